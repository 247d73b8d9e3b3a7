"""The one place the stages are wired: question (+history) -> rewrite -> retrieve -> answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from s1assist.answer import abstain, candidates, compose
from s1assist.config import RetrievalMode, Settings
from s1assist.embedding import Encoder
from s1assist.errors import QueryError
from s1assist.followup import rewrite
from s1assist.retrieval import Retriever, check_query, open_retriever
from s1assist.safety import NOTICE, check
from s1assist.sessions import SessionStore, new_session_id
from s1assist.types import Answer, Document, Hit, Writer

SESSIONS_FILE = "sessions.sqlite3"
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
        self.sessions = SessionStore(settings.paths.data / SESSIONS_FILE)
        self._retriever = retriever
        self._warmed = False

    def load(self, *, warm: bool = True) -> Assistant:
        """Load the index and model; with `warm`, embed the corpus sentences up front."""
        if warm and not self._warmed:
            self._warmed = True
            self._warm()
        else:
            _ = self.retriever
        return self

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = open_retriever(self.settings)
        return self._retriever

    @property
    def encoder(self) -> Encoder:
        return self.retriever.encoder

    def _warm(self) -> None:
        index = self.retriever.index
        if len(index.chunks) <= self.settings.answer.warm_limit:
            hits = [Hit(chunk, 1, 0.0) for chunk in index.chunks]
            self.encoder.encode_cached([c.text for c in candidates(hits)])
        self.encoder.encode_query("warm up")

    def search(
        self, query: str, k: int | None = None, mode: RetrievalMode | None = None
    ) -> list[Hit]:
        return self.retriever.search(query, k=k, mode=mode)

    def document(self, doc_id: str) -> Document | None:
        return self.retriever.index.documents.get(doc_id)

    def ask(self, question: str, session_id: str | None = None) -> Reply:
        """Answer `question` in the session (a new one when None or unknown) and record it."""
        question = check_query(question, self.settings.answer.max_question_chars)
        note = ""
        # A session exists through its turns, so one read answers both questions.
        history = self.sessions.questions(session_id) if session_id is not None else []
        new_session = not history
        if session_id is not None and new_session:
            note = f"session {session_id!r} was not found; started a new session"
        if new_session:
            session_id = new_session_id()
        assert session_id is not None
        answer = self.answer(question, history)
        answer = replace(answer, session_id=session_id)
        self.sessions.append(session_id, answer)
        return Reply(answer, new_session, note)

    def answer(self, question: str, history: list[str]) -> Answer:
        """The answer to `question` after the earlier questions `history`, oldest first."""
        safety = check(question)
        if not safety.flags and _SMALL_TALK.match(question):
            thanks = question.strip().lower().startswith(("thank", "cheers"))
            reply = _THANKS if thanks else _GREETING
            return Answer(question, question, reply, False, 1.0, NOTICE)
        retriever = self.retriever
        idf = retriever.index.lexical.idf
        query = rewrite(question, history, idf).query
        try:
            hits = retriever.search(query, k=self.settings.answer.hits)
        except QueryError:
            hits = []
        if hits:
            answer = compose(
                question,
                query,
                hits,
                query_vector=self.encoder.encode_query(query)[0],
                encode=self.encoder.encode_cached,
                idf=idf,
                settings=self.settings.answer,
            )
        else:
            answer = abstain(question, query, 0.0)
        if self.settings.answer.writer is not Writer.EXTRACTIVE:
            answer = self._written(answer, question, history)
        answer = replace(answer, notice=NOTICE, red_flags=tuple(f.value for f in safety.flags))
        if safety.flags:
            answer = replace(answer, answer=f"{safety.urgent_notice}\n\n{answer.answer}")
        return answer

    def _written(self, answer: Answer, question: str, history: list[str]) -> Answer:
        """The LLM writer's verified phrasing of `answer`, or `answer` (writing/writer.py)."""
        from s1assist.writing import write

        documents = self.retriever.index.documents

        def kind_of(doc_id: str) -> str:
            document = documents.get(doc_id)
            return document.kind.value if document is not None else "source"

        return write(answer, question, history, self.settings, self.encoder.encode_cached, kind_of)
