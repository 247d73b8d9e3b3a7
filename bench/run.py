"""`make bench`: the speed figures, each beside a plain baseline measured in the same run.

- build: s1assist's index build vs sentence-transformers encode(batch_size=32) in fp32 plus
  faiss.IndexFlatIP, on the same passage texts;
- queries: warm search and ask vs the baseline's encode + flat search (bench/query.py);
- cold start: wall time of `s1assist --help` and of `s1assist search` in a new process.

Prints one JSON object. Machines here are shared and noisy: read the ratios.
    .venv/bin/python bench/run.py [--skip-queries]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "s1assist"


def build_vs_baseline(repeats: int = 3) -> dict[str, float]:
    from s1assist.chunking import chunk_documents
    from s1assist.config import PathSettings, Settings
    from s1assist.corpus import load_corpus
    from s1assist.embedding import Encoder, resolve_model_path
    from s1assist.index import build_index

    settings = Settings()
    documents = load_corpus(ROOT / "corpus").documents
    texts = [c.search_text for c in chunk_documents(documents, settings.chunking)]
    encoder = Encoder(settings.model)
    encoder.load()

    import faiss
    from sentence_transformers import SentenceTransformer

    plain = SentenceTransformer(resolve_model_path(settings.model.name), device="cpu")
    ours, baseline = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            report = build_index(
                documents,
                encoder,
                settings.model_copy(update={"paths": PathSettings(index=Path(folder))}),
                Path(folder),
                rebuild=True,
            )
            ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        vectors = plain.encode(texts, batch_size=32, normalize_embeddings=True)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.asarray(vectors, dtype=np.float32))
        baseline.append(time.perf_counter() - started)
    best_ours, best_base = min(ours), min(baseline)
    return {
        "passages": report.chunks,
        "tokens": report.tokens,
        "seconds": round(best_ours, 3),
        "passages_per_s": round(report.chunks / best_ours, 1),
        "tokens_per_s": round(report.tokens / best_ours, 1),
        "baseline_seconds": round(best_base, 3),
        "speedup_vs_baseline": round(best_base / best_ours, 2),
        "note": "whole build (chunking, BM25, checksums, atomic publish) vs encode+flat index",
    }


def cold_start(runs: int = 5) -> dict[str, float]:
    def wall(*args: str) -> float:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([str(CLI), *args], check=True, capture_output=True, cwd=ROOT)
            times.append(time.perf_counter() - started)
        return round(min(times), 3)

    return {
        "help_s": wall("--help"),
        "search_s": wall("search", "Does SI joint pain show on MRI?", "-k", "3"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-queries", action="store_true")
    args = parser.parse_args()
    report = {"build_default_corpus": build_vs_baseline(), "cold_start": cold_start()}
    if not args.skip_queries and shutil.which(sys.executable):
        result = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "query.py")],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        report["queries"] = json.loads(result.stdout)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
