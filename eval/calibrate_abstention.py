"""Calibrate `answer.abstain_below` on labelled questions kept apart from the gold set.

For each question in eval/calibration.jsonl (answerable or not, by hand) the assistant
answers with abstention switched off, so `confidence` is the raw evidence strength
(best sentence relevance x the square root of the idf-weighted coverage of the
question's terms by the top passages). The threshold
is the midpoint of a gap that maximizes balanced accuracy (mean of the abstain rate on
unanswerable and the answer rate on answerable questions). Cuts within one question's worth
of the best count as ties (90 questions cannot tell them apart), and ties go to the lowest
threshold: an answer is always cited quotes, so answering an unanswerable question shows
sources beside the point, while a needless abstention hides sources that answer.

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
    top = max(_balanced_accuracy(scored, cut) for cut in cuts)
    answerable = sum(a for _, a, _ in scored)
    unanswerable = len(scored) - answerable
    one_question = 0.5 / min(answerable, unanswerable)
    best = min(cut for cut in cuts if _balanced_accuracy(scored, cut) >= top - one_question - 1e-9)
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


if __name__ == "__main__":
    main()
