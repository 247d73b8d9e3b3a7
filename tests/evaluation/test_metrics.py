"""Metrics against values worked out by hand on made-up rankings."""

from __future__ import annotations

import pytest

from s1assist.evaluation.metrics import (
    MetricResult,
    evaluate,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

RANKING = ["a", "x", "b"]
RELEVANT = {"a", "b"}


def test_recall_counts_relevant_found_in_the_top_k() -> None:
    assert recall_at_k(RANKING, RELEVANT, 3) == 1.0  # a and b: 2 / 2
    assert recall_at_k(RANKING, RELEVANT, 2) == 0.5  # a only: 1 / 2
    assert recall_at_k(RANKING, RELEVANT, 1) == 0.5


def test_precision_divides_by_k() -> None:
    assert precision_at_k(RANKING, RELEVANT, 3) == pytest.approx(2 / 3)
    assert precision_at_k(RANKING, RELEVANT, 2) == 0.5


def test_mrr_is_the_reciprocal_rank_of_the_first_relevant_within_k() -> None:
    assert mrr_at_k(RANKING, RELEVANT, 3) == 1.0
    assert mrr_at_k(["x", "a"], {"a"}, 2) == 0.5
    assert mrr_at_k(["x", "a"], {"a"}, 1) == 0.0  # the first relevant is past k


def test_ndcg_binary() -> None:
    # DCG@3 = 1/log2(2) + 0/log2(3) + 1/log2(4) = 1 + 0.5 = 1.5
    # IDCG@3 (two relevant) = 1/log2(2) + 1/log2(3) = 1 + 0.6309298 = 1.6309298
    # nDCG@3 = 1.5 / 1.6309298 = 0.9197208
    assert ndcg_at_k(RANKING, RELEVANT, 3) == pytest.approx(0.9197208, abs=1e-7)
    # nDCG@2 = 1 / (1 + 1/log2(3)) = 1 / 1.6309298 = 0.6131472
    assert ndcg_at_k(RANKING, RELEVANT, 2) == pytest.approx(0.6131472, abs=1e-7)
    # one relevant at rank 2: (1/log2(3)) / (1/log2(2)) = 0.6309298
    assert ndcg_at_k(["x", "a"], {"a"}, 10) == pytest.approx(0.6309298, abs=1e-7)


def test_ndcg_graded_uses_the_ideal_order_of_all_gains() -> None:
    graded = {"a": 3, "b": 1, "c": 2}
    # DCG@3 = 3/log2(2) + 0 + 1/log2(4) = 3 + 0.5 = 3.5
    # IDCG@3 from the gains sorted 3, 2, 1 = 3 + 2/log2(3) + 1/log2(4) = 4.7618595
    # nDCG@3 = 3.5 / 4.7618595 = 0.7350070
    assert ndcg_at_k(RANKING, graded, 3) == pytest.approx(0.7350070, abs=1e-7)
    # IDCG truncated to k = 1 is 3: nDCG@1 = 3 / 3
    assert ndcg_at_k(RANKING, graded, 1) == 1.0


def test_ranking_in_the_ideal_order_scores_one() -> None:
    assert ndcg_at_k(["c", "b", "x"], {"b": 1, "c": 2}, 3) == pytest.approx(1.0)


def test_nothing_relevant_scores_zero_everywhere() -> None:
    for relevant in (set(), {"z": 0}):
        assert recall_at_k(RANKING, relevant, 3) == 0.0
        assert precision_at_k(RANKING, relevant, 3) == 0.0
        assert mrr_at_k(RANKING, relevant, 3) == 0.0
        assert ndcg_at_k(RANKING, relevant, 3) == 0.0


def test_zero_gain_is_judged_not_relevant() -> None:
    # b is judged 0, so only a is relevant and it is at rank 1
    assert recall_at_k(RANKING, {"a": 1, "b": 0}, 1) == 1.0
    assert ndcg_at_k(RANKING, {"a": 1, "b": 0}, 3) == 1.0


def test_k_larger_than_the_ranking() -> None:
    # only a of {a, b} is ranked at all
    assert recall_at_k(["a"], RELEVANT, 10) == 0.5
    assert precision_at_k(["a"], RELEVANT, 10) == pytest.approx(0.1)
    assert mrr_at_k(["a"], RELEVANT, 10) == 1.0
    # 1 / (1 + 1/log2(3)) = 0.6131472
    assert ndcg_at_k(["a"], RELEVANT, 10) == pytest.approx(0.6131472, abs=1e-7)


def test_empty_ranking_scores_zero() -> None:
    assert recall_at_k([], RELEVANT, 10) == 0.0
    assert ndcg_at_k([], RELEVANT, 10) == 0.0
    assert mrr_at_k([], RELEVANT, 10) == 0.0


def test_a_repeated_id_counts_once_at_its_first_rank() -> None:
    # distinct top 2 is [a, b]: b is found at rank 2
    assert mrr_at_k(["a", "a", "b"], {"b"}, 2) == 0.5
    assert recall_at_k(["b", "b", "b"], {"b", "c"}, 3) == 0.5


def test_k_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        recall_at_k(RANKING, RELEVANT, 0)


def test_evaluate_returns_the_mean_and_every_query() -> None:
    rankings = {"q1": ["a", "x"], "q2": ["x", "a"]}
    qrels = {"q1": {"a"}, "q2": {"a"}, "q3": {"a"}}  # q3 has no ranking: it scores 0
    result = evaluate(mrr_at_k, rankings, qrels, 10)
    assert result.score == pytest.approx((1 + 0.5 + 0) / 3)
    assert result.per_query == {"q1": 1.0, "q2": 0.5, "q3": 0.0}


def test_evaluate_with_no_queries_scores_zero() -> None:
    assert evaluate(ndcg_at_k, {}, {}, 10) == MetricResult(0.0, {})
