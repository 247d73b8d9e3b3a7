"""Hits -> a grounded, extractive answer: every sentence is a cited slice of a source.

The composer never retrieves. It scores the sentences of the top passages against the
question (embedding similarity plus idf-weighted term overlap), keeps the best few with
maximal marginal relevance, and numbers the passages it cites in order of first use.
When the evidence is weak it abstains rather than quote something beside the point.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from s1assist.config import AnswerSettings
from s1assist.embedding import Vectors
from s1assist.followup import IdfLookup
from s1assist.lexical import tokenize
from s1assist.sentences import sentence_spans, strip_bullet, word_count
from s1assist.types import Answer, AnswerSentence, Chunk, Citation, EvidenceBlock, Hit

NOT_COVERED = (
    "My sources don't cover this. I can answer questions about the S1 nerve root, sciatica, "
    "S1 radiculopathy, the SI joint, and their treatment and recovery."
)
# "... foramen 1." and "... dislocations 2, 3, 4." end in reference numbers, not words.
_TRAILING_REFS = re.compile(r"\s+\d{1,2}(?:,\s*\d{1,2})*\.?$")
# Sentences about the page rather than the subject ("This article examines ...").
_META = re.compile(r"^(?:this|the following|in this) (?:article|page|post|section|guide)\b", re.I)
_UNKNOWN_TERM_IDF = 8.0
_BLOCK_ORDER = {EvidenceBlock.GUIDELINES: 0, EvidenceBlock.RESEARCH: 1, EvidenceBlock.NONE: 2}

Encode = Callable[[Sequence[str]], Vectors]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence of a retrieved passage; `start`/`end` index the cleaned document."""

    chunk: Chunk
    hit_rank: int
    start: int
    end: int
    text: str
    context: float = 0.0
    """How well the whole passage matches the query (the hit's dense score)."""


def candidates(hits: Sequence[Hit]) -> list[Candidate]:
    """The quotable sentences of the hits: whole statements, not list stubs or headings."""
    found: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    known = [h.dense_score for h in hits if h.dense_score is not None]
    floor = min(known) if known else 0.0
    for hit in hits:
        chunk = hit.chunk
        context = floor if hit.dense_score is None else hit.dense_score
        for start, end in sentence_spans(chunk.text):
            start = strip_bullet(chunk.text, start, end)
            quote = chunk.text[start:end]
            trailing = _TRAILING_REFS.search(quote)
            if trailing:
                end = start + trailing.start()
                quote = chunk.text[start:end]
            if word_count(quote) < 5 or quote.endswith((":", "?")) or _META.match(quote):
                continue
            key = (chunk.doc_id, chunk.start + start)
            if key in seen:
                continue
            seen.add(key)
            text = quote if quote[-1] in ".!?" else quote + "."
            found.append(
                Candidate(chunk, hit.rank, chunk.start + start, chunk.start + end, text, context)
            )
    return found


@dataclass(frozen=True, slots=True)
class Evidence:
    """How well the retrieved passages bear on the question, before any sentence is chosen."""

    relevance: float
    """Best cosine similarity of a candidate sentence to the question."""
    coverage: float
    """Share of the question's idf weight whose terms occur in the top passages."""

    @property
    def strength(self) -> float:
        # The square root softens coverage: informal words the corpus never uses ("limp",
        # "tiptoes") should not sink a question whose topic words are all there.
        return float(self.relevance * self.coverage**0.5)


def term_weights(question: str, idf: IdfLookup) -> dict[str, float]:
    weights: dict[str, float] = {}
    for term in tokenize(question):
        value = idf(term)
        weights[term] = _UNKNOWN_TERM_IDF if value is None else value
    return weights


def coverage(weights: dict[str, float], texts: Sequence[str]) -> float:
    if not weights:
        return 0.0
    present = set().union(*(tokenize(t) for t in texts)) if texts else set()
    return sum(w for t, w in weights.items() if t in present) / sum(weights.values())


def compose(
    question: str,
    query: str,
    hits: Sequence[Hit],
    *,
    query_vector: Vectors,
    encode: Encode,
    idf: IdfLookup,
    settings: AnswerSettings,
) -> Answer:
    """An answer to `question` from `hits` (retrieved for `query`, the rewritten question,
    whose vector is `query_vector`); `encode` embeds the passages' sentences and headings."""
    top_hits = list(hits[: settings.hits])
    pool = candidates(top_hits)
    if not pool:
        return abstain(question, query, 0.0)
    vectors = encode([c.text for c in pool])
    relevance = vectors @ query_vector
    # A sentence is read in its passage: "Patients commonly experience numbness..." answers a
    # question about S1 symptoms only because of the passage and heading around it.
    context = np.array([c.context for c in pool], dtype=np.float32)
    in_context = (1 - settings.context_weight) * relevance + settings.context_weight * context
    # Lexical overlap counts the question's own words: terms carried over from earlier turns
    # steer retrieval, but a sentence that only repeats the earlier topic does not answer.
    weights = term_weights(question, idf)
    lexical = np.array(
        [
            0.5 * coverage(weights, [c.text]) + 0.5 * coverage(weights, [c.text, c.chunk.section])
            for c in pool
        ],
        dtype=np.float32,
    )
    evidence = Evidence(
        relevance=float(relevance.max()),
        coverage=coverage(weights, [h.chunk.search_text for h in top_hits]) if weights else 1.0,
    )
    if evidence.strength < settings.abstain_below:
        return abstain(question, query, evidence.strength)
    scores = (
        settings.similarity_weight * in_context
        + (1 - settings.similarity_weight) * lexical
        + np.array([_authority_bonus(c.chunk, settings) for c in pool], dtype=np.float32)
    )
    asked = _asked_section(query_vector, pool, scores, encode, settings)
    if asked:
        # The page asks this very question: its own answer is the text under the heading.
        ordered = _lead_sentences(asked, vectors, settings)
    else:
        chosen = _select(scores, vectors, settings)
        ordered = [chosen[0], *sorted(chosen[1:], key=lambda i: _reading_order(pool[i]))]
    return _answer(question, query, pool, ordered, scores, relevance, evidence)


def abstain(question: str, query: str, confidence: float) -> Answer:
    return Answer(
        question=question,
        rewritten_query=query,
        answer=NOT_COVERED,
        abstained=True,
        confidence=round(float(confidence), 4),
        notice="",
    )


def _authority_bonus(chunk: Chunk, settings: AnswerSettings) -> float:
    # Guideline and research pages outrank a general web page that says the same thing.
    return settings.authority_bonus * (3 - chunk.kind.rank) / 3


def _reading_order(candidate: Candidate) -> tuple[int, int, str, int]:
    chunk = candidate.chunk
    return (chunk.kind.rank, _BLOCK_ORDER[chunk.block], chunk.doc_id, candidate.start)


def _asked_section(
    query_vector: Vectors,
    pool: Sequence[Candidate],
    scores: np.ndarray[Any, Any],
    encode: Encode,
    settings: AnswerSettings,
) -> list[int]:
    """Candidates of the section whose heading asks the question, in reading order; empty
    when no heading does, when that section holds none of the best-scoring sentences, or
    when its source is less authoritative than the best sentence's (a web page's FAQ heading
    must not override what a guideline page says)."""
    best = float(scores.max())
    best_rank = pool[int(np.argmax(scores))].chunk.kind.rank
    sections = list(dict.fromkeys((c.chunk.doc_id, c.chunk.section) for c in pool))
    headings = encode([section for _, section in sections])
    for (doc_id, section), similarity in zip(sections, headings @ query_vector, strict=True):
        if similarity < settings.heading_match:
            continue
        members = [
            i for i, c in enumerate(pool) if (c.chunk.doc_id, c.chunk.section) == (doc_id, section)
        ]
        authoritative = pool[members[0]].chunk.kind.rank <= best_rank
        if authoritative and max(float(scores[i]) for i in members) >= settings.keep_ratio * best:
            return sorted(members, key=lambda i: pool[i].start)
    return []


def _lead_sentences(members: list[int], vectors: Vectors, settings: AnswerSettings) -> list[int]:
    """The first sentences under the heading, skipping near-repeats, up to the maximum."""
    chosen: list[int] = []
    for i in members:
        if chosen and float((vectors[chosen] @ vectors[i]).max()) > settings.max_redundancy:
            continue
        chosen.append(i)
        if len(chosen) == settings.max_sentences:
            break
    return chosen


def _select(scores: np.ndarray[Any, Any], vectors: Vectors, settings: AnswerSettings) -> list[int]:
    """Maximal marginal relevance: each pick adds information the others do not."""
    order = [int(i) for i in np.argsort(-scores)]
    best = float(scores[order[0]])
    chosen = [order[0]]
    while len(chosen) < settings.max_sentences:
        remaining = [i for i in order if i not in chosen]
        if not remaining:
            break
        similarity = vectors[remaining] @ vectors[chosen].T
        redundancy = similarity.max(axis=1)
        mmr = settings.mmr_lambda * scores[remaining] - (1 - settings.mmr_lambda) * redundancy
        pick = int(np.argmax(mmr))
        index = remaining[pick]
        floor = settings.keep_ratio if len(chosen) >= settings.min_sentences else settings.min_ratio
        if scores[index] < floor * best or redundancy[pick] > settings.max_redundancy:
            if len(chosen) >= settings.min_sentences or scores[index] < settings.min_ratio * best:
                break
            order.remove(index)  # a near-duplicate: try the next one
            continue
        chosen.append(index)
    return chosen


def _answer(
    question: str,
    query: str,
    pool: Sequence[Candidate],
    ordered: Sequence[int],
    scores: np.ndarray[Any, Any],
    relevance: np.ndarray[Any, Any],
    evidence: Evidence,
) -> Answer:
    numbers: dict[str, int] = {}
    spans: dict[str, tuple[int, int, float]] = {}
    sentences: list[AnswerSentence] = []
    for i in ordered:
        candidate = pool[i]
        key = candidate.chunk.chunk_id
        n = numbers.setdefault(key, len(numbers) + 1)
        start, end, score = spans.get(key, (candidate.start, candidate.end, 0.0))
        spans[key] = (min(start, candidate.start), max(end, candidate.end), max(score, scores[i]))
        support = round(float(np.clip(relevance[i], 0.0, 1.0)), 4)
        sentences.append(AnswerSentence(candidate.text, (n,), support))
    chunks = {pool[i].chunk.chunk_id: pool[i].chunk for i in ordered}
    citations = tuple(
        _citation(n, chunks[key], *spans[key]) for key, n in sorted(numbers.items(), key=_by_n)
    )
    text = " ".join(_with_marker(s.text, s.citations) for s in sentences)
    return Answer(
        question=question,
        rewritten_query=query,
        answer=text,
        abstained=False,
        confidence=round(float(np.clip(evidence.strength, 0.0, 1.0)), 4),
        notice="",
        sentences=tuple(sentences),
        citations=citations,
    )


def _by_n(item: tuple[str, int]) -> int:
    return item[1]


def _citation(n: int, chunk: Chunk, start: int, end: int, score: float) -> Citation:
    quote = chunk.text[start - chunk.start : end - chunk.start]
    return Citation(
        n, chunk.doc_id, chunk.title, chunk.section, quote, start, end, round(float(score), 4)
    )


def _with_marker(text: str, citations: Sequence[int]) -> str:
    marker = "".join(f"[{n}]" for n in citations)
    if text[-1] in ".!?":
        return f"{text[:-1]} {marker}{text[-1]}"
    return f"{text} {marker}"


def answer_to_json(answer: Answer) -> dict[str, Any]:
    """The stable answer object of `s1assist ask --json` and `POST /v1/ask`."""
    return {
        "session_id": answer.session_id,
        "question": answer.question,
        "rewritten_query": answer.rewritten_query,
        "answer": answer.answer,
        "abstained": answer.abstained,
        "confidence": answer.confidence,
        "red_flags": list(answer.red_flags),
        "notice": answer.notice,
        "writer": answer.writer.value,
        "dropped": answer.dropped,
        "sentences": [
            {"text": s.text, "citations": list(s.citations), "support": s.support}
            for s in answer.sentences
        ],
        "citations": [
            {
                "n": c.n,
                "doc_id": c.doc_id,
                "title": c.title,
                "section": c.section,
                "quote": c.quote,
                "start": c.start,
                "end": c.end,
                "score": c.score,
            }
            for c in answer.citations
        ],
    }
