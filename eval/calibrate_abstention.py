"""Calibrate `answer.abstain_below` on labelled questions kept apart from the gold set.

For each question in eval/calibration.jsonl (answerable or not, by hand) the assistant
answers with abstention switched off, so `confidence` is the raw evidence strength
(best sentence relevance x the square root of the idf-weighted coverage of the
question's terms by the top passages). The threshold
is the midpoint of the gap that maximizes balanced accuracy (mean of the abstain rate on
unanswerable and the answer rate on answerable questions); ties go to the widest gap.

    .venv/bin/python eval/calibrate_abstention.py [--json]
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

from s1assist.chat import Assistant
from s1assist.config import Settings

HERE = Path(__file__).parent


def main() -> None:
    settings = Settings()
    settings = settings.model_copy(
        update={"answer": settings.answer.model_copy(update={"abstain_below": 0.0})}
    )
    assistant = Assistant(settings).load()
    rows = [json.loads(line) for line in (HERE / "calibration.jsonl").open()]
    scored = [
        (assistant.answer(row["question"], []).confidence, bool(row["answerable"]), row["question"])
        for row in rows
    ]
    values = sorted({s for s, _, _ in scored})
    cuts = [(a + b) / 2 for a, b in itertools.pairwise(values)]
    best = max(cuts, key=lambda cut: (_balanced_accuracy(scored, cut), _gap(values, cut)))
    report = {
        "threshold": round(best, 4),
        "balanced_accuracy": round(_balanced_accuracy(scored, best), 4),
        "answerable": sum(a for _, a, _ in scored),
        "unanswerable": sum(not a for _, a, _ in scored),
        "errors": [
            {"question": q, "strength": round(s, 4), "answerable": a}
            for s, a, q in scored
            if (s >= best) != a
        ],
    }
    if "--json" in sys.argv:
        print(json.dumps(report, indent=2))
        return
    for s, a, q in sorted(scored):
        print(f"{s:.4f}  {'answerable  ' if a else 'unanswerable'}  {q}")
    print(json.dumps({k: v for k, v in report.items() if k != "errors"}))


def _balanced_accuracy(scored: list[tuple[float, bool, str]], cut: float) -> float:
    answerable = [s >= cut for s, a, _ in scored if a]
    unanswerable = [s < cut for s, a, _ in scored if not a]
    return (sum(answerable) / len(answerable) + sum(unanswerable) / len(unanswerable)) / 2


def _gap(values: list[float], cut: float) -> float:
    below = max((v for v in values if v < cut), default=cut)
    above = min((v for v in values if v > cut), default=cut)
    return above - below


if __name__ == "__main__":
    main()
