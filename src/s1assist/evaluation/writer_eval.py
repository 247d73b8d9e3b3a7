"""The LLM writer on the gold set: its text before and after verification, beside the
extractive answer it started from.

For every gold case the assistant answers extractively (as `s1assist eval` does); where it
did not abstain, the model writes from that answer's evidence and the same metrics as the
grounding gate's are taken three times, with the same rule (`grounding.citation_scores`,
`grounding.key_fact_recall`):

- extractive: the answer the writer started from;
- before: every sentence the model wrote, with the valid citation numbers it gave;
- after: what the person gets: the verified sentences, or the extractive answer when the
  model failed or nothing survived.

The gate for the LLM writer is on "after": citation precision 1.0 and unsupported rate 0.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from s1assist.config import Settings
from s1assist.evaluation.gold import GoldCase, load_gold
from s1assist.evaluation.grounding import citation_scores, key_fact_recall
from s1assist.support import Encode
from s1assist.types import Answer, Writer
from s1assist.writing import assemble, draft, unverified, wants_writer

if TYPE_CHECKING:
    from pathlib import Path

    from s1assist.chat import Assistant

STAGES = ("extractive", "before", "after")
METRICS = ("citation_precision", "citation_recall", "unsupported_rate", "key_fact_recall")
GATE = {"citation_precision": 1.0, "unsupported_rate": 0.0}
"""The verified output's required values."""


@dataclass(frozen=True, slots=True)
class WriterCase:
    """One answered case: each stage's scores, what the model did, and how long it took."""

    case_id: str
    scores: dict[str, dict[str, float]]
    """Stage -> metric -> score ("before" is absent when the model failed)."""
    written: bool
    """The person gets the model's sentences (not the extractive fallback)."""
    sentences: int
    dropped: int
    seconds: float
    """The writer's time: the model's request and the verification."""
    error: str
    answer: str


@dataclass(frozen=True, slots=True)
class WriterEval:
    metrics: dict[str, dict[str, float]]
    """Stage -> metric -> mean over the cases it applies to."""
    cases: tuple[WriterCase, ...]
    extractive_seconds: float
    """Mean time of the extractive answer (retrieval and composition) per case."""
    model: str

    @property
    def writer_seconds(self) -> float:
        return sum(c.seconds for c in self.cases) / len(self.cases) if self.cases else 0.0

    @property
    def failures(self) -> list[str]:
        """The gate's failures, in words; empty when the verified output passes."""
        after = self.metrics.get("after", {})
        found = []
        for metric, wanted in GATE.items():
            value = after.get(metric)
            if value is not None and round(value, 6) != wanted:
                found.append(f"{metric} after verification is {value:.4f}, not {wanted}")
        return found


def evaluate_writer(
    assistant: Assistant, cases: Sequence[GoldCase], settings: Settings
) -> WriterEval:
    """Answer each case extractively with `assistant`, then write it with `settings.llm`."""
    llm = settings.model_copy(
        update={"answer": settings.answer.model_copy(update={"writer": Writer.LLM})}
    )
    encode = assistant.encoder.encode_cached
    documents = assistant.retriever.index.documents

    def kind_of(doc_id: str) -> str:
        document = documents.get(doc_id)
        return document.kind.value if document is not None else "source"

    results: list[WriterCase] = []
    extractive_time = 0.0
    for case in cases:
        started = time.perf_counter()
        extractive = assistant.answer(case.question, case.history)
        extractive_time += time.perf_counter() - started
        if not wants_writer(extractive, llm):
            continue
        started = time.perf_counter()
        drafted = draft(extractive, case.question, case.history, llm, encode, kind_of)
        after = assemble(extractive, drafted)
        seconds = time.perf_counter() - started
        stages = {"extractive": extractive, "after": after}
        if not drafted.error:
            stages["before"] = unverified(extractive, drafted)
        scores = {stage: _scores(case, answer, encode) for stage, answer in stages.items()}
        results.append(
            WriterCase(
                case.case_id,
                scores,
                after.writer is Writer.LLM,
                len(drafted.checked),
                sum(not c.ok for c in drafted.checked),
                seconds,
                drafted.error,
                after.answer,
            )
        )
    metrics = {stage: _means(r.scores.get(stage, {}) for r in results) for stage in STAGES}
    seconds = extractive_time / len(cases) if cases else 0.0
    return WriterEval(
        metrics, tuple(results), seconds, f"{settings.llm.model} at {settings.llm.base_url}"
    )


def _scores(case: GoldCase, answer: Answer, encode: Encode) -> dict[str, float]:
    scores: dict[str, float] = {}
    if answer.sentences:
        scores.update(citation_scores(answer, encode)[0])
    else:
        scores["unsupported_rate"] = 0.0
    if case.key_facts:
        scores["key_fact_recall"] = key_fact_recall(case.key_facts, answer.answer)[0]
    return scores


def _means(per_case: Iterable[dict[str, float]]) -> dict[str, float]:
    rows = list(per_case)
    means: dict[str, float] = {}
    for metric in METRICS:
        values = [row[metric] for row in rows if metric in row]
        if values:
            means[metric] = sum(values) / len(values)
    return means


def run_writer_eval(
    settings: Settings, gold_path: Path, *, assistant: Assistant | None = None
) -> WriterEval:
    """What `s1assist eval --writer llm` runs: the gold set through one extractive assistant."""
    if assistant is None:
        from s1assist.chat import Assistant

        extractive = settings.answer.model_copy(update={"writer": Writer.EXTRACTIVE})
        assistant = Assistant(settings.model_copy(update={"answer": extractive})).load()
    cases = load_gold(gold_path, assistant.retriever.index.documents)
    return evaluate_writer(assistant, cases, settings)


def writer_summary(result: WriterEval) -> str:
    """A table of the three stages, the model's behaviour, the time per answer and the gate."""
    lines = [f"LLM writer ({result.model}) on {len(result.cases)} answered gold cases", ""]
    lines.append(f"{'metric':<22}" + "".join(f"{stage:>12}" for stage in STAGES))
    for metric in METRICS:
        cells = [result.metrics[stage].get(metric) for stage in STAGES]
        lines.append(
            f"{metric:<22}" + "".join(f"{'-':>12}" if v is None else f"{v:>12.4f}" for v in cells)
        )
    written = sum(c.written for c in result.cases)
    failed = sum(bool(c.error) for c in result.cases)
    total = sum(c.sentences for c in result.cases)
    dropped = sum(c.dropped for c in result.cases)
    lines += [
        "",
        f"model answers given: {written}/{len(result.cases)} (extractive fallback: "
        f"{len(result.cases) - written}, of which the model failed: {failed})",
        f"model sentences dropped by the verifier: {dropped}/{total}",
        f"time per answer: extractive {result.extractive_seconds:.3f} s, writer (model + "
        f"verification) {result.writer_seconds:.3f} s more",
    ]
    gate = result.failures
    lines.append(
        "gate (after verification: citation precision 1.0, unsupported rate 0): "
        + ("passed" if not gate else "FAILED: " + "; ".join(gate))
    )
    return "\n".join(lines)


def writer_json(result: WriterEval) -> dict[str, Any]:
    return {
        "model": result.model,
        "metrics": result.metrics,
        "extractive_seconds_per_answer": round(result.extractive_seconds, 4),
        "writer_seconds_per_answer": round(result.writer_seconds, 4),
        "passed": not result.failures,
        "failures": result.failures,
        "cases": [_case_json(c) for c in result.cases],
    }


def _case_json(case: WriterCase) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "scores": case.scores,
        "written": case.written,
        "sentences": case.sentences,
        "dropped": case.dropped,
        "seconds": round(case.seconds, 4),
        "error": case.error,
        "answer": case.answer,
    }
