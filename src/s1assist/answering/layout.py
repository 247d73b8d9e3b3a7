"""Layout: the answer in the seed pages' own form, every line a cited exact quote.

A direct lead first; then key points as a list when a section of the sources lists three or
more items on what was asked; then the supporting sentences grouped by evidence tier (from
the guidelines, from the research, other sources). Citations are numbered in order of first
use and carry their source's kind and URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from s1assist.answering.evidence import Candidate, sentence_before
from s1assist.types import (
    Answer,
    AnswerBlock,
    AnswerSentence,
    BlockKind,
    Citation,
    Document,
    EvidenceBlock,
    SourceKind,
)

TIER_HEADINGS = {
    BlockKind.GUIDELINES: "From the guidelines",
    BlockKind.RESEARCH: "From the research",
    BlockKind.OTHER: "Other sources",
}
KEY_POINTS = "Key points"
WARNING = "About this warning sign"
_NEGATION = re.compile(
    r"\b(?:not(?! only)|no|never|cannot|can't|doesn't|don't|isn't|aren't|unlikely)\b", re.I
)
# Where a sentence turns from its claim to a qualification: "Injections may help reduce the
# pain, but are unlikely to provide complete relief"; "a set of symptoms, not a nerve".
_TURN = re.compile(r",?\s+but\b|;|,\s+not\b|\b(?:however|although|though|whereas)\b", re.I)


@dataclass(frozen=True, slots=True)
class Part:
    """Chosen sentences of one block before numbering: indexes into the pool."""

    kind: BlockKind
    picks: tuple[int, ...]


def tier(candidate: Candidate) -> BlockKind:
    """The evidence tier of a sentence: its page's block, else its source's kind."""
    chunk = candidate.chunk
    if chunk.block is EvidenceBlock.GUIDELINES:
        return BlockKind.GUIDELINES
    if chunk.block is EvidenceBlock.RESEARCH:
        return BlockKind.RESEARCH
    if chunk.kind is SourceKind.GUIDELINE:
        return BlockKind.GUIDELINES
    if chunk.kind is SourceKind.RESEARCH:
        return BlockKind.RESEARCH
    return BlockKind.OTHER


def arrange(pool: Sequence[Candidate], chosen: Sequence[int], points: Sequence[int]) -> list[Part]:
    """The lead (and the sentences of its passage that continue it), the key points, then
    the other chosen sentences by tier, each tier in reading order."""
    if not chosen:
        return []
    first = pool[chosen[0]]
    # The lead's passage is read together: the sentences that run on from the lead follow
    # it, into the next passage too, then its other chosen sentences in reading order (a
    # sentence that leans on the one before it stays right after it either way).
    picked = set(chosen)
    after = {b: a for a, b in sentence_before(pool).items() if a in picked and b in picked}
    lead = [chosen[0]]
    while (following := after.get(lead[-1])) is not None and following not in lead:
        lead.append(following)
    lead += sorted(
        (i for i in chosen if i not in lead and pool[i].chunk.chunk_id == first.chunk.chunk_id),
        key=lambda i: pool[i].position,
    )
    parts = [Part(BlockKind.LEAD, tuple(lead))]
    if points:
        parts.append(Part(BlockKind.POINTS, tuple(points)))
    rest = [i for i in chosen if i not in lead]
    for kind in TIER_HEADINGS:
        members = sorted(
            (i for i in rest if tier(pool[i]) is kind),
            key=lambda i: (pool[i].chunk.kind.rank, pool[i].chunk.doc_id, pool[i].start),
        )
        if members:
            parts.append(Part(kind, tuple(members)))
    return parts


def disagreement(
    pool: Sequence[Candidate], chosen: Sequence[int], vectors: np.ndarray, floor: float
) -> tuple[int, int] | None:
    """A (better source, web page) pair of chosen sentences on the same point, one of them
    negated and the other not; None when the sources agree."""
    for i in chosen:
        if pool[i].chunk.kind is not SourceKind.WEB_PAGE:
            continue
        for j in chosen:
            if pool[j].chunk.kind.rank >= SourceKind.HEALTH_ARTICLE.rank:
                continue
            same_point = float(vectors[i] @ vectors[j]) >= floor
            if same_point and denies(pool[i].text) != denies(pool[j].text):
                return (j, i)
    return None


def denies(text: str) -> bool:
    """Whether the sentence's claim, before any turn to a qualification, is negated: "No,
    the S1 nerve is not the same as sciatica" is; "Injections may help reduce the pain, but
    are unlikely to provide complete relief" makes a claim and then limits it."""
    return bool(_NEGATION.search(_TURN.split(text, maxsplit=1)[0]))


def render(
    question: str,
    query: str,
    pool: Sequence[Candidate],
    parts: Sequence[Part],
    support: Mapping[int, float],
    documents: Mapping[str, Document],
    *,
    confidence: float,
    conflict: tuple[int, int] | None = None,
) -> Answer:
    """Number the cited passages in order of first use and write the answer text."""
    numbers: dict[str, int] = {}
    spans: dict[str, tuple[int, int, float]] = {}
    sentences: list[AnswerSentence] = []
    blocks: list[AnswerBlock] = []
    position: dict[int, int] = {}
    for part in parts:
        members: list[int] = []
        for i in part.picks:
            candidate = pool[i]
            key = candidate.chunk.chunk_id
            n = numbers.setdefault(key, len(numbers) + 1)
            start, end, best = spans.get(key, (candidate.start, candidate.end, 0.0))
            spans[key] = (
                min(start, candidate.start),
                max(end, candidate.end),
                max(best, support[i]),
            )
            position[i] = len(sentences)
            members.append(len(sentences))
            sentences.append(
                AnswerSentence(candidate.text, (n,), round(float(np.clip(support[i], 0, 1)), 4))
            )
        blocks.append(AnswerBlock(part.kind, _heading(part.kind), tuple(members)))
    chunks = {pool[i].chunk.chunk_id: pool[i].chunk for part in parts for i in part.picks}
    citations = []
    for key, n in sorted(numbers.items(), key=lambda item: item[1]):
        chunk = chunks[key]
        start, end, best = spans[key]
        document = documents.get(chunk.doc_id)
        citations.append(
            Citation(
                n=n,
                doc_id=chunk.doc_id,
                title=chunk.title,
                section=chunk.section,
                quote=chunk.text[start - chunk.start : end - chunk.start],
                start=start,
                end=end,
                score=round(float(best), 4),
                kind=chunk.kind,
                url=document.url if document is not None else None,
            )
        )
    disagree: tuple[int, ...] = ()
    if conflict is not None and all(i in position for i in conflict):
        disagree = tuple(sentences[position[i]].citations[0] for i in conflict)
    return Answer(
        question=question,
        rewritten_query=query,
        answer=answer_text(sentences, blocks, disagree),
        abstained=False,
        confidence=round(float(np.clip(confidence, 0.0, 1.0)), 4),
        notice="",
        sentences=tuple(sentences),
        citations=tuple(citations),
        blocks=tuple(blocks),
        disagreement=disagree,
    )


def _heading(kind: BlockKind) -> str:
    if kind is BlockKind.POINTS:
        return KEY_POINTS
    if kind is BlockKind.WARNING:
        return WARNING
    return TIER_HEADINGS.get(kind, "")


def answer_text(
    sentences: Sequence[AnswerSentence], blocks: Sequence[AnswerBlock], disagree: Sequence[int]
) -> str:
    """Plain text: blocks apart by a blank line, each under its heading; key points listed."""
    paragraphs: list[str] = []
    for block in blocks:
        marked = [with_marker(sentences[i].text, sentences[i].citations) for i in block.sentences]
        if block.kind is BlockKind.POINTS:
            body = "\n".join(f"- {line}" for line in marked)
        else:
            body = " ".join(marked)
        paragraphs.append(f"{block.heading}\n{body}" if block.heading else body)
    if disagree:
        cited = " and ".join(f"[{n}]" for n in disagree)
        paragraphs.append(f"The sources disagree on this point: compare {cited}.")
    return "\n\n".join(paragraphs)


def with_marker(text: str, citations: Sequence[int]) -> str:
    """The sentence with its "[n]" markers before the final punctuation."""
    marker = "".join(f"[{n}]" for n in citations)
    if text[-1] in ".!?":
        return f"{text[:-1]} {marker}{text[-1]}"
    return f"{text} {marker}"
