"""Ranking metrics: pure functions of one ranking and its relevant ids, and a mean over queries.

A ranking is a sequence of ids, best first; an id repeated in it counts once, at its first
rank. Relevance is a set of ids (each worth a gain of 1) or a mapping id -> graded gain;
ids with a gain of 0 or less are not relevant, as in TREC qrels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

Relevance = Collection[str] | Mapping[str, float]
Metric = Callable[[Sequence[str], Relevance, int], float]


@dataclass(frozen=True, slots=True)
class MetricResult:
    """The mean over queries and each query's own value, so a regression names its query."""

    score: float
    per_query: dict[str, float]


def gains(relevant: Relevance) -> dict[str, float]:
    """Id -> gain of the relevant ids only."""
    if isinstance(relevant, Mapping):
        return {doc: float(gain) for doc, gain in relevant.items() if gain > 0}
    return dict.fromkeys(relevant, 1.0)


def top_k(ranking: Sequence[str], k: int) -> list[str]:
    """The first `k` distinct ids of `ranking`."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    seen: dict[str, None] = {}
    for doc in ranking:
        seen.setdefault(doc, None)
        if len(seen) == k:
            break
    return list(seen)


def recall_at_k(ranking: Sequence[str], relevant: Relevance, k: int) -> float:
    """Share of the relevant ids found in the top k; 0 when nothing is relevant."""
    wanted = gains(relevant)
    if not wanted:
        return 0.0
    return sum(doc in wanted for doc in top_k(ranking, k)) / len(wanted)


def precision_at_k(ranking: Sequence[str], relevant: Relevance, k: int) -> float:
    """Relevant ids in the top k over k (a ranking shorter than k is not excused)."""
    wanted = gains(relevant)
    return sum(doc in wanted for doc in top_k(ranking, k)) / k


def mrr_at_k(ranking: Sequence[str], relevant: Relevance, k: int) -> float:
    """1 / rank of the first relevant id within the top k, else 0."""
    wanted = gains(relevant)
    for rank, doc in enumerate(top_k(ranking, k), start=1):
        if doc in wanted:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranking: Sequence[str], relevant: Relevance, k: int) -> float:
    """DCG of the top k (gain / log2(rank + 1)) over the DCG of the ideal top k; 0 when
    nothing is relevant."""
    wanted = gains(relevant)
    if not wanted:
        return 0.0
    dcg = sum(
        wanted.get(doc, 0.0) / math.log2(rank + 1)
        for rank, doc in enumerate(top_k(ranking, k), start=1)
    )
    ideal = sorted(wanted.values(), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 1) for rank, gain in enumerate(ideal, start=1))
    return dcg / idcg


def evaluate(
    metric: Metric,
    rankings: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Relevance],
    k: int,
) -> MetricResult:
    """`metric` at k for every query of `qrels` (a query with no ranking scores 0), and the mean."""
    per_query = {query: metric(rankings.get(query, ()), rel, k) for query, rel in qrels.items()}
    score = sum(per_query.values()) / len(per_query) if per_query else 0.0
    return MetricResult(score, per_query)
