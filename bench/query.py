"""Warm query latency: s1assist search and ask against a plain baseline, in one run.

The baseline is what a user would write first: encode the question with
sentence-transformers in fp32 and search a faiss.IndexFlatIP of the same passages.
Questions are the gold set's last turns on the default corpus, or with --beir the
benchmark's own questions over its index (built by `bench/run.py --bioasq` or
`s1assist eval-beir`); each timed run starts with the query-vector cache emptied, so the
cache does not flatter the figures.

    .venv/bin/python bench/query.py [--repeat 3] [--beir DIR --index DIR]   # one JSON object
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from s1assist.chat import Assistant
from s1assist.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(p99, 2),
        "n": len(ordered),
    }


def timed(call: Callable[[str], object], questions: list[str], repeat: int) -> dict[str, float]:
    samples: list[float] = []
    for _ in range(repeat):
        for question in questions:
            started = time.perf_counter()
            call(question)
            samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--beir", type=Path, default=None, help="a BEIR folder's questions")
    parser.add_argument("--index", type=Path, default=None, help="the index to search")
    parser.add_argument("--questions", type=int, default=300, help="most questions per run")
    args = parser.parse_args()
    settings = Settings()
    if args.index is not None:
        settings = settings.model_copy(
            update={"paths": settings.paths.model_copy(update={"index": args.index})}
        )
    if args.beir is not None:
        from s1assist.evaluation.beir_data import load_beir

        pool = list(load_beir(args.beir).queries.values())
    else:
        rows = [json.loads(line) for line in (ROOT / "eval" / "gold.jsonl").open()]
        pool = [row["turns"][-1] for row in rows]
    questions = list(dict.fromkeys(pool))[: args.questions]
    assistant = Assistant(settings).load()
    index = assistant.retriever.index
    for question in questions[:5]:  # warm-up: first calls pay one-off costs
        assistant.search(question)

    def cold(call: Callable[[str], object]) -> dict[str, float]:
        """`call` timed once over the questions with the query-vector cache emptied first,
        so every question is encoded as a new one would be (the questions stay as asked: a
        marker added to them would change how they are read)."""
        assistant.encoder.forget_queries()
        return timed(call, questions, 1)

    report: dict[str, Any] = {
        "passages": len(index.chunks),
        "dense_index": index.manifest.dense_index,
        "questions": len(questions),
        "search": cold(lambda q: assistant.search(q, k=5)),
        "ask": cold(lambda q: assistant.answer(q, [])),
        "search_cached": timed(lambda q: assistant.search(q, k=5), questions, args.repeat),
    }
    # The baseline last: importing torch starts its thread pool, which would slow ONNX
    # Runtime's threads in this process (s1assist's own search never imports torch).
    import faiss
    from sentence_transformers import SentenceTransformer

    from s1assist.embedding import resolve_model_path

    plain_model = SentenceTransformer(resolve_model_path(settings.model.name), device="cpu")
    plain_index = faiss.IndexFlatIP(index.manifest.dimension)
    plain_index.add(np.ascontiguousarray(index.vectors, dtype=np.float32))

    def plain_search(question: str) -> object:
        vector = plain_model.encode([question], normalize_embeddings=True)
        return plain_index.search(np.asarray(vector, dtype=np.float32), 5)

    for question in questions[:5]:
        plain_search(question)
    report["baseline_search"] = timed(plain_search, questions, 1)
    report["search_vs_baseline"] = round(
        report["baseline_search"]["p50_ms"] / report["search"]["p50_ms"], 2
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
