"""Per-case metrics against values worked out by hand, then two real cases end to end."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from s1assist.answering.safety import RedFlag
from s1assist.chat import Assistant
from s1assist.embedding import Encoder
from s1assist.evaluation.gold import CaseKind, GoldCase, GoldSpan, load_gold
from s1assist.evaluation.grounding import (
    CaseResult,
    aggregate,
    behaviour_scores,
    citation_scores,
    evaluate_case,
    key_fact_recall,
    relevant_passages,
    retrieval_scores,
)
from s1assist.types import Answer, AnswerSentence, Chunk, Citation, Hit


def chunk(name: str, start: int, end: int, doc_id: str = "d") -> Chunk:
    return Chunk(name, doc_id, "T", "S", "x" * (end - start), start, end)


# Document d in four passages; gold spans inside B and across the C/D border.
A, B, C, D = chunk("A", 0, 100), chunk("B", 100, 200), chunk("C", 200, 300), chunk("D", 300, 400)
OTHER = chunk("E", 100, 200, doc_id="e")  # same offsets as B, another document
FILLER = [chunk(f"F{i}", 0, 100, doc_id=f"f{i}") for i in range(5)]
SPANS = (GoldSpan("d", "q1", 120, 140), GoldSpan("d", "q2", 290, 310))


def hits(*chunks: Chunk) -> list[Hit]:
    return [Hit(c, rank, 1.0 / rank) for rank, c in enumerate(chunks, start=1)]


def test_a_passage_is_relevant_when_it_overlaps_a_gold_span() -> None:
    assert relevant_passages([A, B, C, D, OTHER], SPANS) == {"B", "C", "D"}


def test_retrieval_scores_by_hand() -> None:
    scores, why = retrieval_scores(hits(A, B, OTHER, C, *FILLER, D), [A, B, C, D], SPANS)
    # Relevant B, C, D at ranks 2, 4 and 10.
    assert scores["recall@5"] == pytest.approx(2 / 3)
    assert scores["recall@10"] == 1.0
    assert scores["mrr@10"] == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5) + 1 / math.log2(11)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert scores["ndcg@10"] == pytest.approx(dcg / ideal)  # 0.6187
    assert why == []


def test_retrieval_says_which_gold_evidence_it_missed() -> None:
    scores, why = retrieval_scores(hits(A, B), [A, B, C, D], SPANS)
    assert scores["recall@10"] == pytest.approx(1 / 3)
    assert why == ["gold evidence 2 ('q2') not in top 10"]
    scores, why = retrieval_scores(hits(A, OTHER), [A, B, C, D], SPANS)
    assert scores == {"recall@5": 0.0, "recall@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    assert why == ["retrieved no gold passage in top 10"]


CALF = "The S1 root supplies the calf muscles and the skin of the heel."
REFLEX = "The ankle reflex is reduced when the S1 root is compressed."
MRI = "Magnetic resonance imaging shows a herniated disc pressing on the root."


def citation(n: int, quote: str) -> Citation:
    return Citation(n, "d", "T", "S", quote, 0, len(quote), 1.0)


def answer(*sentences: AnswerSentence, citations: tuple[Citation, ...] = ()) -> Answer:
    text = " ".join(s.text for s in sentences)
    return Answer("q", "q", text, False, 0.9, "", (), sentences, citations)


def test_citation_scores_by_hand(encoder: Encoder) -> None:
    given = answer(
        AnswerSentence(CALF, (1,), 0.9),  # its citation supports it
        AnswerSentence(REFLEX, (2,), 0.9),  # [2] does not; [1] (not cited here) does
        AnswerSentence(MRI, (1, 2), 0.9),  # [2] supports it, [1] does not
        AnswerSentence("Swimming is good exercise for everyone.", (2,), 0.9),  # nothing does
        citations=(citation(1, f"{CALF} {REFLEX}"), citation(2, MRI)),
    )
    scores, why = citation_scores(given, encoder.encode_cached)
    # Recall: sentences 1 and 3 of 4. Precision: pairs (1,[1]) (2,[2]) (3,[1]) (3,[2]) (4,[2]),
    # of which (1,[1]) and (3,[2]) support: 2 of 5. Unsupported: sentence 4 only, 1 of 4.
    assert scores == {
        "citation_recall": 0.5,
        "citation_precision": 0.4,
        "unsupported_rate": 0.25,
    }
    assert why == [
        "citation [2] does not support sentence 2",
        "citation [1] does not support sentence 3",
        "citation [2] does not support sentence 4",
        "sentence 4 is supported by no citation: 'Swimming is good exercise for everyone.'",
    ]


def test_a_sentence_without_citations_is_not_recalled(encoder: Encoder) -> None:
    scores, why = citation_scores(
        answer(AnswerSentence(CALF, (), 0.9), citations=(citation(1, CALF),)),
        encoder.encode_cached,
    )
    assert scores == {"citation_recall": 0.0, "unsupported_rate": 0.0}  # no pairs: no precision
    assert why == ["sentence 1 has no citation"]


def test_key_fact_recall_ignores_case_dashes_and_markers() -> None:
    text = "It supplies the Lower Leg [1]. Widths were 26.2–26.8\u00a0mm [2]."
    score, missing = key_fact_recall(["lower leg", "26.2-26.8 mm", "plantar flexion"], text)
    assert score == pytest.approx(2 / 3)
    assert missing == ["plantar flexion"]


def gold(
    kind: CaseKind, red_flags: tuple[RedFlag, ...] = (), spans: tuple[GoldSpan, ...] = ()
) -> GoldCase:
    turns = ("first?", "second?") if kind is CaseKind.FOLLOWUP else ("first?",)
    return GoldCase("c", kind, turns, "", (), spans, red_flags, (), 1)


def reply(abstained: bool, flags: tuple[str, ...] = (), cites: tuple[Citation, ...] = ()) -> Answer:
    return Answer("q", "q rewritten", "a", abstained, 0.41, "", flags, (), cites)


def test_behaviour_scores_by_hand() -> None:
    scores, why = behaviour_scores(gold(CaseKind.ABSTAIN), reply(False), 0.385)
    assert scores == {"abstention_recall": 0.0, "false_alarm_rate": 0.0}
    assert why == ["should have abstained (confidence 0.410, threshold 0.385)"]

    scores, why = behaviour_scores(gold(CaseKind.ANSWER), reply(True, ("fever",)), 0.385)
    assert scores == {"abstention_precision": 0.0, "false_alarm_rate": 1.0}
    assert why == [
        "abstained but should have answered (confidence 0.410, threshold 0.385)",
        "raised red flag 'fever', not in the gold set",
    ]

    flags = (RedFlag.FEVER, RedFlag.CANCER_HISTORY)
    scores, why = behaviour_scores(gold(CaseKind.REDFLAG, flags), reply(False, ("fever",)), 0.4)
    assert scores == {"red_flag_recall": 0.5}
    assert why == ["red flag 'cancer_history' not raised"]


def test_a_followup_succeeds_only_answered_from_gold_evidence() -> None:
    span = GoldSpan("d", "q", 100, 150)
    case = gold(CaseKind.FOLLOWUP, spans=(span,))
    on_gold = Citation(1, "d", "T", "S", "x", 140, 200, 1.0)
    beside = Citation(1, "d", "T", "S", "x", 150, 200, 1.0)
    assert behaviour_scores(case, reply(False, cites=(on_gold,)), 0.4)[0]["followup_success"] == 1
    scores, why = behaviour_scores(case, reply(False, cites=(beside,)), 0.4)
    assert scores["followup_success"] == 0.0
    assert why == ["follow-up cites no gold evidence (searched for 'q rewritten')"]
    scores, why = behaviour_scores(case, reply(True, cites=()), 0.4)
    assert scores["followup_success"] == 0.0
    assert why[-1].startswith("follow-up abstained (confidence 0.410")


def result(case_id: str, scores: dict[str, float], expected: tuple[str, ...] = ()) -> CaseResult:
    return CaseResult(
        case_id, CaseKind.ANSWER, ("q",), "q", "a", False, 0.5, (), expected, scores, ()
    )


def test_aggregate_by_hand() -> None:
    metrics, counts = aggregate(
        [
            result("a", {"recall@5": 1.0, "red_flag_recall": 0.5}, ("fever", "cancer_history")),
            result("b", {"recall@5": 0.5, "red_flag_recall": 1.0}, ("fever",)),
            result("c", {"recall@5": 0.0, "abstention_precision": 1.0}),
        ]
    )
    assert metrics["recall@5"] == 0.5 and counts["recall@5"] == 3
    # Over flags, not cases: 1 of 2 plus 1 of 1 is 2 of 3 (the mean over cases would be 0.75).
    assert metrics["red_flag_recall"] == pytest.approx(2 / 3)
    assert metrics["abstention_precision"] == 1.0 and counts["abstention_precision"] == 1
    assert metrics["followup_success"] == 0.0 and counts["followup_success"] == 0


@pytest.fixture(scope="module")
def gold_cases(repo_root: Path, assistant: Assistant) -> dict[str, GoldCase]:
    cases = load_gold(repo_root / "eval" / "gold.jsonl", assistant.retriever.index.documents)
    return {c.case_id: c for c in cases}


def test_a_real_answer_case_end_to_end(
    assistant: Assistant, gold_cases: dict[str, GoldCase]
) -> None:
    got = evaluate_case(assistant, gold_cases["ans-001"])
    assert got.scores["recall@10"] == 1.0
    assert got.scores["citation_recall"] == 1.0
    assert got.scores["key_fact_recall"] == 1.0
    assert got.failures == ()


def test_a_real_redflag_case_end_to_end(
    assistant: Assistant, gold_cases: dict[str, GoldCase]
) -> None:
    got = evaluate_case(assistant, gold_cases["red-001"])
    assert got.red_flags == ("bladder_bowel",)
    assert got.scores["red_flag_recall"] == 1.0
    assert "cauda equina" in got.answer.lower()
