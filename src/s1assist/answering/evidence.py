"""Evidence gathering: the quotable sentences of the retrieved passages and their sections.

The top passages are read whole, and so is every passage of their documents' sections that
addresses the asked aspect: "When Surgical Intervention Is Necessary" is read for a surgery
question even when the search ranked a symptoms passage of the same page higher. Each
sentence keeps its exact span; a span is trimmed (never edited) past a leading "According
to 2," and before trailing reference numbers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from s1assist.aspects import aspect_match
from s1assist.sentences import is_bullet, sentence_spans, strip_bullet, word_count
from s1assist.types import Chunk, Hit

# "... foramen 1." and "... dislocations 2, 3, 4." end in reference numbers, not words.
_TRAILING_REFS = re.compile(r"\s+\d{1,2}(?:,\s*\d{1,2})*\.?$")
# "According to 2, the S1 nerve root ..." cites a reference by number; the claim follows it.
_LEADING_REF = re.compile(
    r"(?:according to|as (?:shown|noted|reported) (?:in|by)) \d{1,2},\s+", re.I
)
# Sentences about the page rather than the subject ("This article examines ...").
_META = re.compile(r"^(?:this|the following|in this) (?:article|page|post|section|guide)\b", re.I)
# A sentence that leans on the one before it for its subject.
_DANGLING = re.compile(
    r"^(?:it|this|these|those|they|that|such|for this|for these|the study|however, (?:it|this|"
    r"these|the study)|in (?:these|such) cases|additionally, (?:it|this|they)|"
    # an opening phrase, then the reference: "In some cases, this instability ..."
    r"(?:[a-z'-]+ ){0,3}[a-z'-]+, (?:it|this|these|those|they|such)|"
    r"(?:because of|as a result of|despite) (?:this|that|these|those|it))\b",
    re.IGNORECASE,
)
# Generic advice that pads an answer unless the person asked about seeing someone.
_FILLER = re.compile(
    r"\b(?:talk|speak) (?:to|with) (?:your|a) (?:doctor|physician|healthcare)|"
    r"\bconsult (?:your|a)\b|"
    r"\bshould not be ignored\b|\brelief is possible\b|\bspecific to your needs\b|"
    r"\bbefore starting any new\b",
    re.IGNORECASE,
)
_MIN_WORDS = 5
_ADJACENT = 2
"""The most characters between two sentences that follow each other (a space, a blank line)."""
_VERDICT = re.compile(r"(?:yes|no),\s+(?=\w)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A quotable sentence of a passage; `start`/`end` index the cleaned document."""

    chunk: Chunk
    start: int
    end: int
    text: str
    position: int
    """The sentence's place in its passage, 0 for the first."""
    hit_rank: int
    """Rank of the passage in the search, 0 for a passage read for its section."""
    context: float
    """How well the whole passage matches the query (its dense score)."""
    dangling: bool = False
    filler: bool = False
    item: bool = False
    """A short list item ("Herniated discs"), quotable only as a key point."""

    @property
    def key(self) -> tuple[str, int]:
        return (self.chunk.doc_id, self.start)


def without_verdict(candidate: Candidate) -> Candidate:
    """`candidate` without an opening "Yes," or "No," (the span trimmed, the text not
    edited): a page's answer to its own heading reads as a bare statement when quoted for a
    question that a yes or a no does not answer."""
    found = _VERDICT.match(candidate.text)
    if not found:
        return candidate
    rest = candidate.text[found.end() :]
    return replace(candidate, start=candidate.start + found.end(), text=rest[0].upper() + rest[1:])


def gather(
    hits: Sequence[Hit],
    sections: Mapping[str, Mapping[str, Sequence[Chunk]]],
    aspect_terms: frozenset[str],
    *,
    extra_sections: int,
) -> list[Candidate]:
    """Candidates from `hits`, then from the passages of up to `extra_sections` sections of
    the hits' documents whose heading addresses the aspect (`sections` maps a document to
    its headings, in reading order, and each heading to its passages)."""
    known = [h.dense_score for h in hits if h.dense_score is not None]
    floor = min(known) if known else 0.0
    found: list[Candidate] = []
    seen_chunks: set[str] = set()
    for hit in hits:
        context = floor if hit.dense_score is None else hit.dense_score
        found += _sentences(hit.chunk, hit.rank, context)
        seen_chunks.add(hit.chunk.chunk_id)
    if aspect_terms and extra_sections:
        added = 0
        headed = (
            chunks
            for doc_id in dict.fromkeys(h.chunk.doc_id for h in hits)
            for heading, chunks in sections.get(doc_id, {}).items()
            if aspect_match(heading, aspect_terms)
        )
        for chunks in headed:
            if added == extra_sections:
                break
            fresh = [c for c in chunks if c.chunk_id not in seen_chunks]
            if not fresh:
                continue
            added += 1
            for chunk in fresh:
                found += _sentences(chunk, 0, floor)
                seen_chunks.add(chunk.chunk_id)
    unique: dict[tuple[str, int], Candidate] = {}
    for candidate in found:
        unique.setdefault(candidate.key, candidate)
    return list(unique.values())


def _sentences(chunk: Chunk, rank: int, context: float) -> list[Candidate]:
    return [
        Candidate(chunk, start, end, text, position, rank, context, dangling, filler, item)
        for start, end, text, position, dangling, filler, item in _quotable(chunk)
    ]


@lru_cache(maxsize=65_536)
def _quotable(chunk: Chunk) -> tuple[tuple[int, int, str, int, bool, bool, bool], ...]:
    """The quotable sentences of a passage as (start, end, text, position, dangling,
    filler, item), computed once per passage."""
    found = []
    text = chunk.text
    for position, (start, end) in enumerate(sentence_spans(text)):
        item = is_bullet(text[start:end])
        start = strip_bullet(text, start, end)
        lead = _LEADING_REF.match(text, start, end)
        if lead:
            start = lead.end()
        quote = text[start:end]
        trailing = _TRAILING_REFS.search(quote)
        if trailing:
            end = start + trailing.start()
            quote = text[start:end]
        if not quote or quote.endswith((":", "?")) or _META.match(quote):
            continue
        short = word_count(quote) < _MIN_WORDS
        if short and not item:
            continue
        shown = quote if quote[-1] in ".!?" else quote + "."
        found.append(
            (
                chunk.start + start,
                chunk.start + end,
                shown[0].upper() + shown[1:],
                position,
                bool(_DANGLING.match(quote)),
                bool(_FILLER.search(quote)),
                short,
            )
        )
    return tuple(found)


def asks_for_advice(question: str) -> bool:
    """True when the person asks whom to see, so advice to see a doctor is not filler."""
    return bool(
        re.search(r"\b(?:doctor|gp|physician|specialist|see someone|who should)\b", question, re.I)
    )


def sentence_before(pool: Sequence[Candidate]) -> dict[int, int]:
    """Each candidate's index -> the index of the candidate right before it in its document
    (nothing but a space or a line break between them), when the pool holds it; across the
    end of a passage too ("Laminectomy is used when ..." ends one passage, "This surgery
    involves ..." opens the next)."""
    order = sorted(range(len(pool)), key=lambda i: (pool[i].chunk.doc_id, pool[i].start))
    return {
        after: before
        for before, after in itertools.pairwise(order)
        if pool[before].chunk.doc_id == pool[after].chunk.doc_id
        and 0 <= pool[after].start - pool[before].end <= _ADJACENT
    }
