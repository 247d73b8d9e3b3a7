"""The regression gate: today's aggregates against eval/baseline.json, metric by metric.

A metric fails when it is worse than its baseline by more than its tolerance. The
tolerances are explicit, fixed numbers (`TOLERANCES`), not a bootstrap confidence
interval: the pipeline is deterministic on one machine, so a tolerance only has to absorb
arithmetic drift (bf16 on another CPU) and, on the large case sets, a case or two:

- 0.02 where a metric is over ~45-125 cases (about two cases' worth);
- 0.05 where it is over fewer than 20 cases (abstain, follow-up): less than one case
  (1/19 = 0.053, 1/17 = 0.059), so losing any one fails;
- 0 for the red flags: found by rule, with no arithmetic to drift, and a missed warning
  sign is never noise.

The baseline keeps each case's scores too, so a failing metric names the cases that got
worse. `run_eval` is what `s1assist eval` calls.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s1assist.config import Settings
from s1assist.evaluation.gold import EvaluationError, load_gold
from s1assist.evaluation.grounding import METRICS, SPECS, EvalRun, evaluate_cases

if TYPE_CHECKING:
    from s1assist.chat import Assistant

BASELINE_FORMAT = 1
TOLERANCES: dict[str, float] = {
    # Over the ~14 aspect questions of each split: under one case.
    "aspect_top3": 0.05,
    # Over the 113 cases with evidence: 0.02 is 2.3 cases that lose their only gold passage.
    "recall@5": 0.02,
    "recall@10": 0.02,
    "mrr@10": 0.02,
    "ndcg@10": 0.02,
    # Over the ~95 answered cases and the 113 with key facts: about two cases.
    "citation_recall": 0.02,
    "citation_precision": 0.02,
    "key_fact_recall": 0.02,
    "unsupported_rate": 0.02,
    # Over the ~47 abstentions: two more wrong ones pass (-0.016), three fail (-0.024).
    "abstention_precision": 0.02,
    # Over 19 abstain and 17 follow-up cases: under one case, so any lost case fails.
    "abstention_recall": 0.05,
    "followup_success": 0.05,
    # Rules, not arithmetic: no slack for a missed or a false warning sign.
    "red_flag_recall": 0.0,
    "false_alarm_rate": 0.0,
}
_DIGITS = 4


@dataclass(frozen=True, slots=True)
class Baseline:
    """Aggregates and per-case scores of a past run, and the gold file they came from."""

    metrics: dict[str, float]
    cases: dict[str, dict[str, float]]
    """Case id -> metric -> score."""
    gold_sha256: str


@dataclass(frozen=True, slots=True)
class MetricCheck:
    """One metric against its baseline."""

    name: str
    current: float
    baseline: float | None
    """None for a metric the baseline does not have yet."""
    tolerance: float
    higher_is_better: bool
    worse_cases: tuple[str, ...]
    """Cases scoring worse than in the baseline (a case new to this metric is compared
    with a perfect score)."""

    @property
    def delta(self) -> float | None:
        return None if self.baseline is None else self.current - self.baseline

    @property
    def failed(self) -> bool:
        if self.baseline is None:
            return False
        loss = self.baseline - self.current
        if not self.higher_is_better:
            loss = -loss
        return round(loss, 9) > self.tolerance

    def describe(self) -> str:
        """One line: the metric, baseline, current, tolerance and the cases that got worse."""
        direction = "fell" if self.higher_is_better else "rose"
        before = "no baseline" if self.baseline is None else f"{self.baseline:.4f}"
        worse = ", ".join(self.worse_cases) or "none singled out"
        return (
            f"{self.name} {direction} from {before} to {self.current:.4f} "
            f"(tolerance {self.tolerance:.2f}); cases worse: {worse}"
        )


@dataclass(frozen=True, slots=True)
class GateResult:
    checks: tuple[MetricCheck, ...]
    gold_changed: bool
    """The gold file differs from the one the baseline was made from."""

    @property
    def failures(self) -> tuple[MetricCheck, ...]:
        return tuple(check for check in self.checks if check.failed)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True, slots=True)
class EvalOutcome:
    """A run, its gate (None when there was no baseline to compare with) and whether the
    baseline was rewritten from it."""

    run: EvalRun
    gate: GateResult | None
    gold_path: Path
    baseline_path: Path
    baseline_updated: bool
    gated: bool = True
    """False for a report-only run (another corpus): nothing to pass or fail."""
    corpus: Path | None = None

    @property
    def passed(self) -> bool:
        if not self.gated:
            return True
        return self.baseline_updated or (self.gate is not None and self.gate.passed)


def run_eval(
    settings: Settings,
    gold_path: Path,
    baseline_path: Path,
    *,
    update_baseline: bool = False,
    progress: bool = False,
    assistant: Assistant | None = None,
    gate: bool = True,
) -> EvalOutcome:
    """Answer every gold case with one assistant, compare with the baseline (unless not
    `gate`) and, with `update_baseline`, rewrite it from this run."""
    if gate and not update_baseline and not baseline_path.is_file():
        raise EvaluationError(
            f"{baseline_path}: no baseline; create it with `s1assist eval --update-baseline`"
        )
    baseline = read_baseline(baseline_path) if gate and baseline_path.is_file() else None
    if assistant is None:
        from s1assist.chat import Assistant

        assistant = Assistant(settings).load()
    cases = load_gold(gold_path, assistant.retriever.index.documents)
    run = evaluate_cases(assistant, cases, progress=progress)
    digest = file_sha256(gold_path)
    checks = compare(run, baseline, digest) if baseline is not None else None
    if update_baseline and gate:
        write_baseline(baseline_path, run, digest)
    return EvalOutcome(
        run, checks, gold_path, baseline_path, update_baseline and gate, gate, settings.paths.corpus
    )


def compare(run: EvalRun, baseline: Baseline, gold_sha256: str = "") -> GateResult:
    """Each metric of `run` against `baseline`, with the cases that got worse."""
    checks = []
    for spec in METRICS:
        current = round(run.metrics[spec.name], _DIGITS)
        before = baseline.metrics.get(spec.name)
        perfect = 1.0 if spec.higher_is_better else 0.0
        worse = []
        for case_id, score in run.per_case(spec.name).items():
            old = baseline.cases.get(case_id, {}).get(spec.name, perfect)
            new = round(score, _DIGITS)
            if (new < old) if spec.higher_is_better else (new > old):
                worse.append(case_id)
        checks.append(
            MetricCheck(
                spec.name,
                current,
                before,
                TOLERANCES[spec.name],
                spec.higher_is_better,
                tuple(worse),
            )
        )
    changed = bool(gold_sha256) and gold_sha256 != baseline.gold_sha256
    return GateResult(tuple(checks), changed)


def baseline_json(run: EvalRun, gold_sha256: str) -> dict[str, Any]:
    return {
        "format": BASELINE_FORMAT,
        "gold_sha256": gold_sha256,
        "metrics": {name: round(value, _DIGITS) for name, value in run.metrics.items()},
        "counts": run.counts,
        "cases": {
            case.case_id: {
                spec.name: round(case.scores[spec.name], _DIGITS)
                for spec in METRICS
                if spec.name in case.scores
            }
            for case in run.cases
        },
    }


def write_baseline(path: Path, run: EvalRun, gold_sha256: str) -> None:
    """Write the baseline with one line per case, so a diff shows which cases moved."""
    data = baseline_json(run, gold_sha256)
    cases = data.pop("cases")
    head = json.dumps(data, indent=2)[:-2]  # reopen the object to append "cases"
    rows = ",\n".join(f"    {json.dumps(k)}: {json.dumps(v)}" for k, v in cases.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(f'{head},\n  "cases": {{\n{rows}\n  }}\n}}\n', encoding="utf-8")
    tmp.replace(path)


def read_baseline(path: Path) -> Baseline:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvaluationError(f"{path}: cannot read the baseline ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
        raise EvaluationError(
            f"{path}: not a baseline of format {BASELINE_FORMAT}; "
            "rewrite it with `s1assist eval --update-baseline`"
        )
    metrics, cases = data.get("metrics"), data.get("cases")
    if not isinstance(metrics, dict) or not isinstance(cases, dict):
        raise EvaluationError(f"{path}: 'metrics' and 'cases' must be objects")
    unknown = sorted(metrics.keys() - SPECS.keys())
    if unknown:
        raise EvaluationError(f"{path}: unknown metric {unknown[0]!r}")
    return Baseline(
        {k: float(v) for k, v in metrics.items()},
        {case: {k: float(v) for k, v in scores.items()} for case, scores in cases.items()},
        str(data.get("gold_sha256", "")),
    )


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
