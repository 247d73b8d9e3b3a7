"""Try the answer's selection settings on the gold dev split (never the test split).

.venv/bin/python eval/tune_selection.py keep_margin=1.0,2.0 min_sentences=2,3
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from s1assist.chat import Assistant
from s1assist.config import Settings
from s1assist.evaluation.gold import Split, load_gold
from s1assist.evaluation.grounding import evaluate_cases

HERE = Path(__file__).parent
SHOWN = ("key_fact_recall", "abstention_precision", "abstention_recall", "followup_success")


def main() -> None:
    grid = {}
    for arg in sys.argv[1:]:
        name, values = arg.split("=")
        grid[name] = [float(v) if "." in v else int(v) for v in values.split(",")]
    settings = Settings()
    assistant = Assistant(settings).load(warm=False)
    cases = load_gold(HERE / "gold.jsonl", assistant.retriever.index.documents)
    dev = [c for c in cases if c.split is Split.DEV]
    for combination in itertools.product(*grid.values()):
        update = dict(zip(grid, combination, strict=True))
        answer = settings.answer.model_copy(update=update)
        assistant.settings = settings.model_copy(update={"answer": answer})
        assistant._reading = None
        run = evaluate_cases(assistant, dev)
        shown = " ".join(f"{m}={run.metrics[m]:.4f}" for m in SHOWN)
        print(update, shown, flush=True)


if __name__ == "__main__":
    main()
