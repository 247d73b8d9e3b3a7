"""Question -> answer in one screen: analysis, evidence, scoring, abstention, selection, layout.

The composer never retrieves: the chat hands it the hits for the (rewritten) question and,
when the person describes a warning sign, the hits for that sign's topic.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from s1assist.answering.abstention import NOT_COVERED, Coverage, decide
from s1assist.answering.evidence import Candidate, asks_for_advice, gather, without_verdict
from s1assist.answering.layout import Part, arrange, disagreement, render
from s1assist.answering.question import Question, says_yes_or_no
from s1assist.answering.scoring import Encode, IdfLookup, Scored, Vectors, score
from s1assist.answering.selection import asked_section, select
from s1assist.aspects import answer_terms, aspect_match, excluded_aspects, only_narrow
from s1assist.config import AnswerSettings
from s1assist.fitted import Fitted
from s1assist.types import Answer, BlockKind, Chunk, Document, Hit

Sections = Mapping[str, Mapping[str, Sequence[Chunk]]]
"""doc_id -> section heading -> the passages of that section, all in reading order."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What the composer needs besides the hits: embeddings, term weights, the corpus."""

    encode: Encode
    idf: IdfLookup
    sections: Sections
    documents: Mapping[str, Document]
    fitted: Fitted
    settings: AnswerSettings


@dataclass(frozen=True, slots=True)
class Composition:
    """The chosen sentences of one question, before numbering."""

    pool: tuple[Candidate, ...]
    parts: tuple[Part, ...]
    support: dict[int, float]
    coverage: Coverage
    conflict: tuple[int, int] | None

    @property
    def answered(self) -> bool:
        """False when the sources don't cover the question (the parts are then empty)."""
        return bool(self.parts)


def compose(
    question: Question,
    hits: Sequence[Hit],
    reading: Reading,
    *,
    ask_vector: Vectors,
    query_vector: Vectors,
) -> Composition | None:
    """The answer's sentences for `question` (none when the sources don't cover it), or
    None when nothing was found at all."""
    settings = reading.settings
    pool = tuple(
        gather(
            hits, reading.sections, question.section_terms, extra_sections=settings.extra_sections
        )
    )
    if not pool:
        return None
    if not question.yes_no:
        pool = tuple(without_verdict(c) for c in pool)
    scored: Scored = score(
        question,
        pool,
        reading.fitted.sentence,
        ask_vector=ask_vector,
        query_vector=query_vector,
        encode=reading.encode,
        idf=reading.idf,
    )
    coverage = decide(question, pool, scored, reading.idf, reading.fitted)
    if not coverage.answerable:
        return Composition(pool, (), {}, coverage, None)
    advice = asks_for_advice(question.ask)
    bears = on_asked_aspect(question, pool, scored.bears_on_aspect(question).tolist())
    # A follow-up's few words can echo an earlier heading; only a full question asks one.
    full = not question.carried
    section = asked_section(pool, scored, settings, advice=advice, bears=bears) if full else []
    chosen = section or select(
        pool, scored, settings, advice=advice, bears=bears, verdicts=verdicts(question, pool)
    )
    if not chosen:
        return Composition(pool, (), {}, coverage, None)
    points = key_points(pool, scored, chosen[0], settings, bears)
    conflict = disagreement(pool, chosen, scored.vectors, settings.disagreement_similarity)
    support = {i: float(scored.ask_similarity[i]) for i in range(len(pool))}
    return Composition(pool, tuple(arrange(pool, chosen, points)), support, coverage, conflict)


def verdicts(question: Question, pool: Sequence[Candidate]) -> list[bool]:
    """Which sentences give a yes/no question its verdict (none for any other question)."""
    if not question.yes_no:
        return []
    return [not c.dangling and says_yes_or_no(question, c.text) for c in pool]


def on_asked_aspect(question: Question, pool: Sequence[Candidate], bears: list[bool]) -> list[bool]:
    """`bears` kept to what the question asks, when some sentence is left: the narrower
    aspect when a bare "help" or "fix" asked for treatment beside it ("What exercises
    help?" is answered by exercises, not by a sentence on diagnosis and treatment), and
    nothing on an aspect it sets aside ("without surgery"), by a sentence's words or its
    heading. Abstention still reads every asked aspect."""
    narrow = only_narrow(question.ask, question.aspects)
    if narrow != question.aspects:
        terms = answer_terms(narrow)
        kept = [b and _addresses(c, terms) for b, c in zip(bears, pool, strict=True)]
        bears = kept if any(kept) else bears
    # What the question sets aside ("without surgery") is not what answers it.
    if aside := answer_terms(tuple(excluded_aspects(question.ask))):
        kept = [b and not _addresses(c, aside) for b, c in zip(bears, pool, strict=True)]
        bears = kept if any(kept) else bears
    return bears


def _addresses(candidate: Candidate, terms: frozenset[str]) -> bool:
    """Whether the sentence or its heading uses one of the aspect words `terms`."""
    return bool(aspect_match(candidate.text, terms) or aspect_match(candidate.chunk.section, terms))


def key_points(
    pool: Sequence[Candidate],
    scored: Scored,
    lead: int,
    settings: AnswerSettings,
    bears: Sequence[bool],
) -> list[int]:
    """The items of the best-scoring list on the asked point: the short items of one
    section, when it has at least `settings.min_key_points` and its best item scores within
    `settings.keep_margin` of the lead."""
    lists: dict[tuple[str, str], list[int]] = {}
    for i, candidate in enumerate(pool):
        if candidate.item and bears[i]:
            lists.setdefault((candidate.chunk.doc_id, candidate.chunk.section), []).append(i)
    best = float(scored.scores[lead])
    found: list[int] = []
    top = 0.0
    for members in lists.values():
        if len(members) < settings.min_key_points:
            continue
        value = max(float(scored.scores[i]) for i in members)
        if value >= best - settings.keep_margin and value > top:
            top, found = value, sorted(members, key=lambda i: pool[i].start)
    return found


def answer(
    question: Question,
    query: str,
    main: Composition | None,
    warning: Composition | None,
    reading: Reading,
) -> Answer:
    """The answer object: what the sources say about a warning sign first (its lead), then
    the answer to what was asked; an abstention when neither is covered."""
    shown = next((c for c in (main, warning) if c is not None and c.answered), None)
    if shown is None:
        return abstained(question.text, query, main.coverage.probability if main else 0.0)
    # One pool, so the two compositions' sentences share citation numbers.
    pool: list[Candidate] = []
    parts: list[Part] = []
    support: dict[int, float] = {}
    seen: set[tuple[str, int]] = set()
    conflict = None
    for composition in (warning, main):
        if composition is None or not composition.answered:
            continue
        offset = len(pool)
        pool += composition.pool
        support.update({offset + i: s for i, s in composition.support.items()})
        chosen = (warning_lead(composition),) if composition is warning else composition.parts
        for part in chosen:
            picks = tuple(offset + i for i in part.picks if composition.pool[i].key not in seen)
            seen.update(pool[i].key for i in picks)
            if picks:
                kind = BlockKind.WARNING if composition is warning else part.kind
                parts.append(Part(kind, picks))
        if composition is main and composition.conflict is not None:
            conflict = (offset + composition.conflict[0], offset + composition.conflict[1])
    return render(
        question.text,
        query,
        pool,
        parts,
        support,
        reading.documents,
        confidence=shown.coverage.probability,
        conflict=conflict,
    )


def warning_lead(composition: Composition) -> Part:
    """What the sources say about a warning sign: the lead sentence of its composition and
    the sentences that lean on it, not the rest of the lead's passage ("Immediate surgical
    assessment is required for cauda equina syndrome", without the operations that follow)."""
    picks = composition.parts[0].picks
    kept = [picks[0], *itertools.takewhile(lambda i: composition.pool[i].dangling, picks[1:])]
    return Part(composition.parts[0].kind, tuple(kept))


def abstained(question: str, query: str, confidence: float) -> Answer:
    return Answer(
        question=question,
        rewritten_query=query,
        answer=NOT_COVERED,
        abstained=True,
        confidence=round(float(confidence), 4),
        notice="",
    )
