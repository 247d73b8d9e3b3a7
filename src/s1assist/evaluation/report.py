"""An evaluation outcome as JSON, as Markdown, as a PNG chart and as a terminal summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from s1assist.evaluation.gate import TOLERANCES, EvalOutcome, MetricCheck
from s1assist.evaluation.gold import Split
from s1assist.evaluation.grounding import METRICS, CaseResult

REPORT_FILES = ("eval.json", "eval.md", "eval.png")
_BLUE, _RED, _GREY = "#2e86c1", "#c0392b", "#b0b7c3"


def outcome_json(outcome: EvalOutcome) -> dict[str, Any]:
    """Aggregates (with baseline, delta and tolerance), the gate and every case."""
    run, checks = outcome.run, _checks(outcome)
    gate = outcome.gate
    return {
        "gold": str(outcome.gold_path),
        "baseline": str(outcome.baseline_path),
        "baseline_updated": outcome.baseline_updated,
        "passed": outcome.passed,
        "cases": len(run.cases),
        "seconds": round(run.seconds, 2),
        "metrics": {
            spec.name: {
                "value": round(run.metrics[spec.name], 4),
                "baseline": None if (c := checks.get(spec.name)) is None else c.baseline,
                "delta": None if c is None or c.delta is None else round(c.delta, 4),
                "tolerance": TOLERANCES[spec.name],
                "higher_is_better": spec.higher_is_better,
                "over_cases": run.counts[spec.name],
                "failed": c is not None and c.failed,
                "worse_cases": [] if c is None else list(c.worse_cases),
            }
            for spec in METRICS
        },
        "gate": None
        if gate is None
        else {
            "passed": gate.passed,
            "gold_changed": gate.gold_changed,
            "failures": [check.describe() for check in gate.failures],
        },
        "splits": {
            split.value: {
                name: {"value": round(value, 4), "over_cases": counts[name]}
                for name, value in metrics.items()
            }
            for split in Split
            for metrics, counts in [run.split(split)]
        },
        "results": [_case_json(case) for case in run.cases],
    }


def markdown(outcome: EvalOutcome) -> str:
    """The aggregate table with baseline and delta, then what failed and why, case by case."""
    run, checks = outcome.run, _checks(outcome)
    lines = [
        "# s1assist evaluation",
        "",
        f"{len(run.cases)} cases from `{outcome.gold_path}` in {run.seconds:.1f} s; "
        f"baseline `{outcome.baseline_path}`. {_verdict(outcome)}",
        "",
        "| metric | cases | current | baseline | delta | tolerance | gate |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for spec in METRICS:
        check = checks.get(spec.name)
        lines.append(
            f"| {_label(spec.name, spec.higher_is_better)} | {run.counts[spec.name]} | "
            f"{run.metrics[spec.name]:.4f} | "
            f"{_number(_baseline(check))} | {_number(_delta(check), signed=True)} "
            f"| {TOLERANCES[spec.name]:.2f} | {_status(check)} |"
        )
    if outcome.gate is not None and outcome.gate.failures:
        lines += ["", "## Failing metrics", ""]
        lines += [f"- {check.describe()}" for check in outcome.gate.failures]
    if outcome.gate is not None and outcome.gate.gold_changed:
        lines += ["", "The gold file changed since the baseline was written."]
    short = [case for case in run.cases if case.failures]
    lines += [
        "",
        f"## What failed and why ({len(short)} of {len(run.cases)} cases)",
        "",
        "| case | kind | question | what failed and why |",
        "| --- | --- | --- | --- |",
    ]
    for case in short:
        question = " / ".join(case.turns)
        why = "; ".join(case.failures)
        lines.append(f"| {case.case_id} | {case.kind} | {_cell(question)} | {_cell(why)} |")
    return "\n".join(lines) + "\n"


def plot(outcome: EvalOutcome, path: Path) -> Path:
    """A pair of bars per metric, baseline over current; a failing metric's bar is red and a
    black tick marks where its tolerance runs out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    checks = _checks(outcome)
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(METRICS) + 1.8), dpi=110)
    height = 0.38
    for row, spec in zip(range(len(METRICS))[::-1], METRICS, strict=True):
        check = checks.get(spec.name)
        value = outcome.run.metrics[spec.name]
        failed = check is not None and check.failed
        ax.barh(row - height / 2, value, height, color=_RED if failed else _BLUE)
        before = _baseline(check)
        end = value
        if before is not None:
            ax.barh(row + height / 2, before, height, color=_GREY)
            ax.text(before + 0.01, row + height / 2, f"{before:.3f}", va="center", fontsize=8)
            sign = -1 if spec.higher_is_better else 1
            limit = before + sign * TOLERANCES[spec.name]
            ax.plot([limit, limit], [row - height, row], color="black", linewidth=1.5)
            end = max(value, limit)
        ax.text(end + 0.01, row - height / 2, f"{value:.3f}", va="center", fontsize=8)
    ax.set_yticks(
        list(range(len(METRICS))[::-1]), [_label(s.name, s.higher_is_better) for s in METRICS]
    )
    ax.tick_params(axis="y", labelsize=9)
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("score")
    ax.set_title(f"s1assist evaluation, {len(outcome.run.cases)} cases: {_headline(outcome)}")
    ax.legend(
        handles=[
            Patch(color=_GREY, label="baseline"),
            Patch(color=_BLUE, label="current"),
            Patch(color=_RED, label="current, failing"),
            Line2D([], [], color="black", label="tolerance limit"),
        ],
        loc="lower right",
        fontsize=8,
    )
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_reports(outcome: EvalOutcome, folder: Path) -> list[Path]:
    """eval.json, eval.md and eval.png in `folder` (created when missing)."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path, png_path = (folder / name for name in REPORT_FILES)
    json_path.write_text(
        json.dumps(outcome_json(outcome), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    md_path.write_text(markdown(outcome), encoding="utf-8")
    return [json_path, md_path, plot(outcome, png_path)]


def summary(outcome: EvalOutcome) -> str:
    """A table for a terminal and the gate's verdict, each failing metric on its own line."""
    run, checks = outcome.run, _checks(outcome)
    dev, dev_counts = run.split(Split.DEV)
    test, test_counts = run.split(Split.TEST)
    lines = [
        f"{'metric':<22}{'cases':>6}{'current':>9}{'baseline':>10}{'delta':>9}{'tol':>6}"
        f"{'':>8}{'dev':>8}{'test':>8}"
    ]
    for spec in METRICS:
        check = checks.get(spec.name)
        lines.append(
            f"{spec.name:<22}{run.counts[spec.name]:>6}{run.metrics[spec.name]:>9.4f}"
            f"{_number(_baseline(check)):>10}"
            f"{_number(_delta(check), signed=True):>9}"
            f"{TOLERANCES[spec.name]:>6.2f}  {_status(check):<6}"
            f"{_split_value(dev, dev_counts, spec.name):>8}"
            f"{_split_value(test, test_counts, spec.name):>8}"
        )
    lines.append(f"\n{len(run.cases)} cases in {run.seconds:.1f} s. {_verdict(outcome)}")
    if outcome.gate is not None:
        lines += [f"  FAILED {check.describe()}" for check in outcome.gate.failures]
        if outcome.gate.gold_changed:
            lines.append("note: the gold file changed since the baseline was written")
    return "\n".join(lines)


def _split_value(metrics: dict[str, float], counts: dict[str, int], name: str) -> str:
    return f"{metrics[name]:.4f}" if counts[name] else "-"


def _checks(outcome: EvalOutcome) -> dict[str, MetricCheck]:
    return {} if outcome.gate is None else {c.name: c for c in outcome.gate.checks}


def _verdict(outcome: EvalOutcome) -> str:
    gate = outcome.gate
    if outcome.baseline_updated:
        return "Baseline rewritten from this run."
    if not outcome.gated:
        return f"Report only (corpus {outcome.corpus}): not gated."
    if gate is None:
        return "No baseline to compare with."
    if gate.passed:
        return "Gate passed."
    return f"Gate FAILED on {', '.join(c.name for c in gate.failures)}."


def _label(name: str, higher_is_better: bool) -> str:
    return name if higher_is_better else f"{name} (lower is better)"


def _baseline(check: MetricCheck | None) -> float | None:
    return None if check is None else check.baseline


def _delta(check: MetricCheck | None) -> float | None:
    return None if check is None else check.delta


def _headline(outcome: EvalOutcome) -> str:
    gate = outcome.gate
    if outcome.baseline_updated or gate is None:
        return "no comparison" if gate is None else "baseline rewritten"
    count = len(gate.failures)
    return "gate passed" if gate.passed else f"gate failed on {count} metric(s)"


def _status(check: MetricCheck | None) -> str:
    if check is None or check.baseline is None:
        return "new"
    return "FAIL" if check.failed else "ok"


def _number(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _case_json(case: CaseResult) -> dict[str, Any]:
    return {
        "id": case.case_id,
        "kind": case.kind.value,
        "turns": list(case.turns),
        "rewritten_query": case.rewritten_query,
        "answer": case.answer,
        "abstained": case.abstained,
        "confidence": case.confidence,
        "red_flags": list(case.red_flags),
        "expected_red_flags": list(case.expected_red_flags),
        "scores": {s.name: round(case.scores[s.name], 4) for s in METRICS if s.name in case.scores},
        "failures": list(case.failures),
    }
