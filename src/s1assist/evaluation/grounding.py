"""Run the gold cases through one assistant and score them, in total and case by case.

Each case is answered as in a chat (`assistant.answer(last turn, earlier turns)`) and its
retrieval is the search for the query the assistant rewrote the last turn to. Metrics:

- retrieval (cases with evidence): recall@5, recall@10, MRR@10 and nDCG@10 of the top 10
  passages, where a passage is relevant when it overlaps a gold span;
- citations (answered cases, as in ALCE): citation recall, the share of sentences that
  their own citations support, and citation precision, the share of citations that
  support their sentence, by the rule of `support.py`;
- answers: key-fact recall (cases with key facts; case-insensitive, in the answer text)
  and the unsupported rate, the share of sentences that no citation of the answer supports;
- behaviour: abstention precision and recall (positive = abstained, should = kind
  abstain), red-flag recall (share of gold red flags raised, over all flags), false-alarm
  rate (share of cases without gold red flags that raised one) and follow-up success (a
  followup case answered, citing a gold span).

A metric over no cases is 0. Each case also lists, in words, what failed and why.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from s1assist.errors import QueryError
from s1assist.evaluation.gold import CaseKind, GoldCase, GoldSpan, Split, overlaps_any
from s1assist.evaluation.metrics import mrr_at_k, ndcg_at_k, recall_at_k
from s1assist.evaluation.support import Encode, supports
from s1assist.fitted import load_fitted
from s1assist.types import Answer, Chunk, Citation, Hit

if TYPE_CHECKING:
    from s1assist.chat import Assistant

DEPTH = 10
"""Passages retrieved per case: the deepest cutoff any retrieval metric reads."""
ASPECT_TAG = "aspect"
"""Cases that ask one aspect (treatment, surgery, ...) of a well-covered subject."""


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    higher_is_better: bool
    description: str


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("recall@5", True, "gold passages in the top 5"),
    MetricSpec("aspect_top3", True, "aspect questions with a gold passage in the top 3"),
    MetricSpec("recall@10", True, "gold passages in the top 10"),
    MetricSpec("mrr@10", True, "1 / rank of the first gold passage"),
    MetricSpec("ndcg@10", True, "ranking quality of the gold passages"),
    MetricSpec("citation_recall", True, "sentences their citations support"),
    MetricSpec("citation_precision", True, "citations that support their sentence"),
    MetricSpec("key_fact_recall", True, "key facts found in the answer"),
    MetricSpec("unsupported_rate", False, "sentences no citation supports"),
    MetricSpec("abstention_precision", True, "abstentions on abstain cases"),
    MetricSpec("abstention_recall", True, "abstain cases abstained on"),
    MetricSpec("red_flag_recall", True, "gold red flags raised"),
    MetricSpec("false_alarm_rate", False, "cases without red flags that raised one"),
    MetricSpec("followup_success", True, "follow-ups answered from gold evidence"),
)
SPECS = {spec.name: spec for spec in METRICS}

_MARKER = re.compile(r"\s*\[\d+\]")
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "’": "'", "‘": "'", "“": '"', "”": '"'})


@dataclass(frozen=True, slots=True)
class CaseResult:
    """What the assistant did on one case, its score on each metric that applies, and why
    it fell short (empty when nothing failed)."""

    case_id: str
    kind: CaseKind
    turns: tuple[str, ...]
    rewritten_query: str
    answer: str
    abstained: bool
    confidence: float
    red_flags: tuple[str, ...]
    expected_red_flags: tuple[str, ...]
    scores: dict[str, float]
    failures: tuple[str, ...]
    split: Split = Split.TEST


@dataclass(frozen=True, slots=True)
class EvalRun:
    """The aggregate of each metric, how many cases it is over, and every case."""

    metrics: dict[str, float]
    counts: dict[str, int]
    cases: tuple[CaseResult, ...]
    seconds: float

    def split(self, split: Split) -> tuple[dict[str, float], dict[str, int]]:
        """The aggregates over the cases of one split of the gold set."""
        return aggregate([c for c in self.cases if c.split is split])

    def per_case(self, metric: str) -> dict[str, float]:
        """Case id -> score, for the cases `metric` applies to."""
        return {c.case_id: c.scores[metric] for c in self.cases if metric in c.scores}


def evaluate_cases(
    assistant: Assistant, cases: Sequence[GoldCase], *, progress: bool = False
) -> EvalRun:
    """Answer and score every case with one (loaded) assistant."""
    started = time.perf_counter()
    items: Iterable[GoldCase] = cases
    if progress:
        from tqdm import tqdm

        items = tqdm(cases, unit="case", desc="evaluating")
    results = tuple(evaluate_case(assistant, case) for case in items)
    metrics, counts = aggregate(results)
    return EvalRun(metrics, counts, results, time.perf_counter() - started)


def evaluate_case(assistant: Assistant, case: GoldCase) -> CaseResult:
    """Ask the case's last turn after the earlier ones, search the rewritten query, score."""
    answer = assistant.answer(case.question, case.history)
    scores: dict[str, float] = {}
    failures: list[str] = []
    if case.evidence:
        try:
            hits = assistant.search(answer.rewritten_query, k=DEPTH)
        except QueryError:
            hits = []
        found, why = retrieval_scores(hits, assistant.retriever.index.chunks, case.evidence)
        scores.update(found)
        failures += why
        if ASPECT_TAG in case.tags:
            top = [h.chunk for h in hits[:3]]
            scores["aspect_top3"] = float(
                any(overlaps_any(case.evidence, c.doc_id, c.start, c.end) for c in top)
            )
            if not scores["aspect_top3"]:
                failures.append("aspect question: no gold passage in the search top 3")
    if answer.sentences:
        found, why = citation_scores(answer, assistant.encoder.encode_cached)
        scores.update(found)
        failures += why
    if case.key_facts:
        scores["key_fact_recall"], missing = key_fact_recall(case.key_facts, answer.answer)
        failures += [f"key fact {fact!r} missing" for fact in missing]
    found, why = behaviour_scores(case, answer, load_fitted().answerable_below)
    scores.update(found)
    failures += why
    return CaseResult(
        case_id=case.case_id,
        kind=case.kind,
        turns=case.turns,
        rewritten_query=answer.rewritten_query,
        answer=answer.answer,
        abstained=answer.abstained,
        confidence=answer.confidence,
        red_flags=answer.red_flags,
        expected_red_flags=tuple(f.value for f in case.red_flags),
        scores=scores,
        failures=tuple(failures),
        split=case.split,
    )


def relevant_passages(chunks: Iterable[Chunk], spans: Sequence[GoldSpan]) -> set[str]:
    """Ids of the passages that overlap a gold span."""
    return {c.chunk_id for c in chunks if overlaps_any(spans, c.doc_id, c.start, c.end)}


def retrieval_scores(
    hits: Sequence[Hit], chunks: Iterable[Chunk], spans: Sequence[GoldSpan]
) -> tuple[dict[str, float], list[str]]:
    """recall@5, recall@10, MRR@10 and nDCG@10 of `hits` against the passages overlapping
    `spans`, and the gold quotes the top 10 missed."""
    relevant = relevant_passages(chunks, spans)
    ranking = [hit.chunk.chunk_id for hit in hits]
    scores = {
        "recall@5": recall_at_k(ranking, relevant, 5),
        "recall@10": recall_at_k(ranking, relevant, DEPTH),
        "mrr@10": mrr_at_k(ranking, relevant, DEPTH),
        "ndcg@10": ndcg_at_k(ranking, relevant, DEPTH),
    }
    top = [hit.chunk for hit in hits[:DEPTH]]
    missed = [
        i
        for i, span in enumerate(spans, start=1)
        if not any(span.overlaps(c.doc_id, c.start, c.end) for c in top)
    ]
    if len(missed) == len(spans):
        return scores, [f"retrieved no gold passage in top {DEPTH}"]
    return scores, [
        f"gold evidence {i} ({_clip(spans[i - 1].quote)!r}) not in top {DEPTH}" for i in missed
    ]


def citation_scores(answer: Answer, encode: Encode) -> tuple[dict[str, float], list[str]]:
    """Citation recall and precision (ALCE) and the unsupported rate of an answer's sentences."""
    by_n = {c.n: c for c in answer.citations}
    failures: list[str] = []
    recalled = pairs = precise = unsupported = 0
    for i, sentence in enumerate(answer.sentences, start=1):
        cited = [by_n[n] for n in sentence.citations if n in by_n]
        verdicts = [supports(sentence.text, c.quote, encode).supported for c in cited]
        pairs += len(cited)
        precise += sum(verdicts)
        for citation, ok in zip(cited, verdicts, strict=True):
            if not ok:
                failures.append(f"citation [{citation.n}] does not support sentence {i}")
        if not cited:
            failures.append(f"sentence {i} has no citation")
        elif any(verdicts) or supports(sentence.text, _joined(cited), encode).supported:
            recalled += 1
        others = [c for c in answer.citations if c not in cited]
        if not any(verdicts) and not any(
            supports(sentence.text, c.quote, encode).supported for c in others
        ):
            unsupported += 1
            failures.append(f"sentence {i} is supported by no citation: {_clip(sentence.text)!r}")
    count = len(answer.sentences)
    scores = {"citation_recall": recalled / count, "unsupported_rate": unsupported / count}
    if pairs:
        scores["citation_precision"] = precise / pairs
    return scores, failures


def key_fact_recall(facts: Sequence[str], text: str) -> tuple[float, list[str]]:
    """Share of `facts` found in `text` (case, dashes, quotes, spacing and "[n]" markers
    ignored), and the facts missing."""
    plain = _plain(_MARKER.sub("", text))
    missing = [fact for fact in facts if _plain(fact) not in plain]
    return (1 - len(missing) / len(facts) if facts else 0.0), missing


def behaviour_scores(
    case: GoldCase, answer: Answer, threshold: float
) -> tuple[dict[str, float], list[str]]:
    """Per-case parts of the abstention, red-flag and follow-up metrics."""
    scores: dict[str, float] = {}
    failures: list[str] = []
    should_abstain = case.kind is CaseKind.ABSTAIN
    confidence = f"confidence {answer.confidence:.3f}, threshold {threshold:.3f}"
    if answer.abstained:
        scores["abstention_precision"] = float(should_abstain)
        if not should_abstain:
            failures.append(f"abstained but should have answered ({confidence})")
    if should_abstain:
        scores["abstention_recall"] = float(answer.abstained)
        if not answer.abstained:
            failures.append(f"should have abstained ({confidence})")
    expected = {flag.value for flag in case.red_flags}
    raised = set(answer.red_flags)
    if expected:
        scores["red_flag_recall"] = len(expected & raised) / len(expected)
        failures += [f"red flag {flag!r} not raised" for flag in sorted(expected - raised)]
    else:
        scores["false_alarm_rate"] = float(bool(raised))
    failures += [
        f"raised red flag {flag!r}, not in the gold set" for flag in sorted(raised - expected)
    ]
    if case.kind is CaseKind.FOLLOWUP:
        cites_gold = any(
            overlaps_any(case.evidence, c.doc_id, c.start, c.end) for c in answer.citations
        )
        scores["followup_success"] = float(not answer.abstained and cites_gold)
        if answer.abstained:
            failures.append(
                f"follow-up abstained ({confidence}; searched for {answer.rewritten_query!r})"
            )
        elif not cites_gold:
            failures.append(
                f"follow-up cites no gold evidence (searched for {answer.rewritten_query!r})"
            )
    return scores, failures


def aggregate(results: Sequence[CaseResult]) -> tuple[dict[str, float], dict[str, int]]:
    """Each metric's mean over the cases it applies to (red-flag recall: over all gold
    flags), and how many cases that is."""
    metrics: dict[str, float] = {}
    counts: dict[str, int] = {}
    for spec in METRICS:
        scored = [r for r in results if spec.name in r.scores]
        counts[spec.name] = len(scored)
        if spec.name == "red_flag_recall":
            weights = [len(r.expected_red_flags) for r in scored]
        else:
            weights = [1] * len(scored)
        total = sum(weights)
        value = sum(r.scores[spec.name] * w for r, w in zip(scored, weights, strict=True))
        metrics[spec.name] = value / total if total else 0.0
    return metrics, counts


def _joined(citations: Sequence[Citation]) -> str:
    return "\n".join(c.quote for c in citations)


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).casefold()
    return " ".join(text.split())


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
