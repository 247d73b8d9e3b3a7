"""The one place the stages are wired: question (+history) -> rewrite -> retrieve -> answer."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from s1assist.answering import Question, Reading, Sections, analyze, answer, compose, gather
from s1assist.answering.compose import Composition
from s1assist.answering.followup import carried_aspects, rewrite
from s1assist.answering.question import with_subject
from s1assist.answering.safety import NOTICE, SafetyCheck, check, without_signs
from s1assist.answering.spelling import correct
from s1assist.config import RetrievalMode, Settings
from s1assist.embedding import Encoder
from s1assist.errors import QueryError
from s1assist.fitted import load_fitted
from s1assist.retrieval import Retriever, check_query, open_retriever
from s1assist.sessions import (
    SessionStore,
    new_session_id,
    open_session_store,
    read_history,
    record_turn,
)
from s1assist.types import Answer, AnswerBlock, BlockKind, Chunk, Document, Hit, Writer

_SMALL_TALK = re.compile(
    r"^\s*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|thanks?|thank you|"
    r"thanks a lot|cheers|ok|okay|bye|goodbye)(?: there)?[\s!.,]*$",
    re.IGNORECASE,
)
_GREETING = (
    "Hello. Ask me about the S1 nerve root, sciatica, S1 radiculopathy or the SI joint, and "
    "I'll answer from my sources, citing each sentence."
)
_THANKS = "You're welcome. Ask another question whenever you like."


@dataclass(frozen=True, slots=True)
class Reply:
    answer: Answer
    new_session: bool
    note: str = ""
    """Said to the person when their session id was not found."""


class Assistant:
    """Answers questions with citations and remembers sessions; load() does the heavy part."""

    def __init__(self, settings: Settings, retriever: Retriever | None = None) -> None:
        self.settings = settings
        self.sessions: SessionStore = open_session_store(settings)
        self._retriever = retriever
        self._warmed = False
        self._reading: Reading | None = None

    def load(self, *, warm: bool = True) -> Assistant:
        """Load the index and model; with `warm`, embed the corpus sentences up front."""
        if warm and not self._warmed:
            self._warmed = True
            self._warm()
        else:
            _ = self.retriever
        return self

    def with_retriever(self, retriever: Retriever) -> Assistant:
        """A copy over another loaded index (a newer build); settings and sessions shared."""
        clone = copy.copy(self)
        clone._retriever = retriever
        clone._warmed = False
        return clone

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = open_retriever(self.settings)
        return self._retriever

    @property
    def encoder(self) -> Encoder:
        return self.retriever.encoder

    @property
    def reading(self) -> Reading:
        """What the composer reads besides the hits; built once per loaded index."""
        if self._reading is None:
            index = self.retriever.index
            self._reading = Reading(
                encode=self.encoder.encode_cached,
                idf=index.lexical.idf,
                sections=_sections(index.chunks),
                documents=index.documents,
                fitted=load_fitted(),
                settings=self.settings.answer,
            )
        return self._reading

    def _warm(self) -> None:
        # The retriever has let the encoder look up the sentence vectors its build embedded.
        index = self.retriever.index
        if len(index.chunks) <= self.settings.answer.warm_limit:
            hits = [Hit(chunk, 1, 0.0) for chunk in index.chunks]
            pool = gather(hits, {}, frozenset(), extra_sections=0)
            self.encoder.encode_cached([c.text for c in pool])
            self.encoder.encode_cached(list(dict.fromkeys(c.section for c in index.chunks)))
        self.encoder.encode_query("warm up")

    def search(
        self, query: str, k: int | None = None, mode: RetrievalMode | None = None
    ) -> list[Hit]:
        return self.retriever.search(query, k=k, mode=mode)

    def document(self, doc_id: str) -> Document | None:
        return self.retriever.index.documents.get(doc_id)

    def ask(self, question: str, session_id: str | None = None) -> Reply:
        """Answer `question` in the session (a new one when None or unknown) and record it."""
        limit = self.settings.answer.max_question_chars
        question = check_query(question, limit, "answer.max_question_chars")
        # A session exists through its turns, so one read answers both questions.
        history, note = read_history(self.sessions, session_id)
        new_session = not history
        if session_id is not None and new_session and not note:
            note = f"session {session_id!r} was not found; started a new session"
        if new_session:
            session_id = new_session_id()
        assert session_id is not None
        answer = self.answer(question, history)
        answer = replace(answer, session_id=session_id)
        note = "; ".join(filter(None, [note, record_turn(self.sessions, session_id, answer)]))
        return Reply(answer, new_session, note)

    def answer(self, question: str, history: list[str]) -> Answer:
        """The answer to `question` after the earlier questions `history`, oldest first."""
        safety = check(question)
        if not safety.flags and _SMALL_TALK.match(question):
            thanks = question.strip().lower().startswith(("thank", "cheers"))
            reply = _THANKS if thanks else _GREETING
            return Answer(question, question, reply, False, 1.0, NOTICE)
        asked, query = self.read_question(question, history, safety)
        warning = None
        if safety.topics:
            topic = " ".join(safety.topics)
            warning = self.compose(analyze(topic), topic)
        # A warning sign told with no question beside it ("I have sciatica and since
        # yesterday I cannot control my bladder") is answered by what the sources say about
        # the sign; the rest of the story asks nothing.
        told_only = asked.statement and warning is not None and warning.answered
        main = None if told_only else self.compose(asked, query)
        result = answer(asked, query, main, warning, self.reading)
        if self.settings.answer.writer is not Writer.EXTRACTIVE:
            result = self._written(result, question, history)
        result = replace(result, notice=NOTICE, red_flags=tuple(f.value for f in safety.flags))
        if safety.flags:
            result = replace(result, answer=f"{safety.urgent_notice}\n\n{result.answer}")
        return result

    def read_question(
        self, question: str, history: list[str], safety: SafetyCheck | None = None
    ) -> tuple[Question, str]:
        """The question analysed, and the search query: a follow-up carries the earlier
        topic, and everyday words bring the corpus's terms along. A warning sign the person
        describes is left out of the reading: the urgent notice and what the sources say
        about that sign answer it, and what else they ask is read without it."""
        idf = self.retriever.index.lexical.idf
        safety = check(question) if safety is None else safety
        text = without_signs(question, safety) if safety.flags else question
        text = correct(text, idf)  # "siatica" is read as "sciatica"
        asked = replace(analyze(text), text=question)
        rewritten = rewrite(text, history, idf)
        if rewritten.inherited:
            if aspects := carried_aspects(question, history):
                asked = replace(asked, aspects=aspects)
            asked = with_subject(asked, rewritten.inherited)
        query = " ".join((rewritten.query, *asked.lay_terms))
        return asked, query

    def compose(self, asked: Question, query: str) -> Composition | None:
        """The chosen evidence for `asked`, searched as `query`; None when not covered."""
        try:
            hits = self.retriever.search(query, k=self.settings.answer.hits)
        except QueryError:
            return None
        if not hits:
            return None
        query_vector = self.encoder.encode_query(query)[0]
        reading = asked.reading
        ask_vector = query_vector if reading == query else self.encoder.encode_query(reading)[0]
        return compose(asked, hits, self.reading, ask_vector=ask_vector, query_vector=query_vector)

    def _written(self, answer: Answer, question: str, history: list[str]) -> Answer:
        """The LLM writer's verified phrasing of `answer`, or `answer` (writing/writer.py);
        a written answer is one block: the model joins the tiers into a few sentences."""
        from s1assist.writing import write

        documents = self.retriever.index.documents

        def kind_of(doc_id: str) -> str:
            document = documents.get(doc_id)
            return document.kind.value if document is not None else "source"

        written = write(
            answer, question, history, self.settings, self.encoder.encode_cached, kind_of
        )
        if written.writer is Writer.EXTRACTIVE:
            return written
        lead = AnswerBlock(BlockKind.LEAD, "", tuple(range(len(written.sentences))))
        return replace(written, blocks=(lead,), disagreement=())


def _sections(chunks: Sequence[Chunk]) -> Sections:
    found: dict[str, dict[str, list[Chunk]]] = {}
    for chunk in sorted(chunks, key=lambda c: (c.doc_id, c.start)):
        found.setdefault(chunk.doc_id, {}).setdefault(chunk.section, []).append(chunk)
    return found
