"""BEIR benchmark: dense, bm25 and hybrid with the current settings, and plain baselines.

The baselines are what one would try first: bm25s with its own defaults (k1=1.5, b=0.75,
its English stop words, no stemming) over the raw passages, and plain RRF (k=60) of that
with our dense ranking. The first run indexes the corpus (minutes); later runs reuse it.
Pass a new --index folder to time a fresh build.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/beir.py [DIR] [--limit N] [--no-baselines]

Prints one JSON object (per-query scores left out). DIR defaults to ../shared/data/bioasq.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from s1assist.config import RetrievalMode, Settings
from s1assist.evaluation.beir import DEPTH, default_index_dir, run_beir, score
from s1assist.evaluation.beir_data import BeirDataset, load_beir

ROOT = Path(__file__).resolve().parents[1]
RRF_K = 60


def baselines(data: BeirDataset, index_dir: Path, settings: Settings) -> dict[str, Any]:
    """bm25s defaults alone, and RRF(k=60) of it with our dense ranking, per passage."""
    import bm25s
    import numpy as np

    from s1assist.embedding import Encoder
    from s1assist.index import load_index
    from s1assist.retrieval import Retriever

    ids = [doc.doc_id for doc in data.documents]
    texts = [f"{doc.sections[0].heading} {doc.text}".strip() for doc in data.documents]
    model = bm25s.BM25()  # k1=1.5, b=0.75
    model.index(_bm25s_tokens(texts), show_progress=False)
    vocab = model.vocab_dict
    retriever = Retriever(
        load_index(index_dir, settings), Encoder(settings.model), settings.retrieval
    )
    chunks = retriever.index.chunks
    bm25: dict[str, list[str]] = {}
    fused: dict[str, list[str]] = {}
    for query_id, text in data.queries.items():
        known = [t for t in _bm25s_tokens([text])[0] if t in vocab]
        scores = model.get_scores(known) if known else np.zeros(len(ids))
        top = np.argsort(-scores, kind="stable")[:DEPTH]
        bm25[query_id] = [ids[i] for i in top if scores[i] > 0]
        dense = [chunks[row].doc_id for row, _ in retriever.dense_ranking(text, DEPTH)]
        fused[query_id] = _rrf([bm25[query_id], list(dict.fromkeys(dense))])[:DEPTH]
    return {
        "bm25s defaults (k1=1.5, b=0.75)": _rounded(score(bm25, data.qrels)[0]),
        f"plain RRF k={RRF_K} of bm25s defaults and dense": _rounded(score(fused, data.qrels)[0]),
    }


def _bm25s_tokens(texts: list[str]) -> list[list[str]]:
    import bm25s

    tokens: list[list[str]] = bm25s.tokenize(
        texts, stopwords="en", return_ids=False, show_progress=False
    )
    return tokens


def _rrf(rankings: list[list[str]]) -> list[str]:
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(fused, key=lambda doc: -fused[doc])


def _rounded(metrics: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 4) for name, value in metrics.items()}


def main() -> None:
    # Python puts this folder first on the path; a script here named like a standard module
    # (bench/http.py) would then shadow it for the model libraries.
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT.parent / "shared/data/bioasq")
    parser.add_argument("--index", type=Path, default=None, help="index folder (default: cache)")
    parser.add_argument("--limit", type=int, default=None, help="first N judged queries only")
    parser.add_argument("--no-baselines", action="store_true", help="skip the bm25s baselines")
    args = parser.parse_args()
    settings = Settings()
    progress = sys.stderr.isatty()
    modes = {}
    for mode in (RetrievalMode.DENSE, RetrievalMode.BM25, RetrievalMode.HYBRID):
        report = run_beir(
            args.folder, mode, settings, index_dir=args.index, progress=progress, limit=args.limit
        ).to_json()
        del report["per_query_ndcg@10"]
        modes[mode.value] = report
    summary: dict[str, Any] = {
        "settings": settings.retrieval.model_dump(mode="json"),
        "modes": modes,
    }
    if not args.no_baselines:
        data = load_beir(args.folder, limit=args.limit)
        index_dir = args.index or default_index_dir(data.name, settings)
        summary["baselines"] = baselines(data, index_dir, settings)
    summary["index"] = settings.index.model_dump(mode="json")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
