"""The dense index at scale: synthetic 384-dimensional unit vectors, 100k and 1M of them.

For each size, the index s1assist builds above `index.ann_threshold` (4-bit fast-scan codes
plus exact re-scoring of `retrieval.ann_rerank` candidates, through the same functions the
retriever calls) against exact search with a plain faiss.IndexFlatIP, in the same run:
build time, memory, single-query p50/p99 on one thread, and recall@10 against the exact
top 10. Random vectors are the hard case for approximate search: nothing clusters, and
the 10th and 11th neighbours are nearly tied. `--hnsw` adds an HNSW graph for comparison
(its 1M build takes about ten minutes here).

    .venv/bin/python bench/scale.py [--sizes 100000,1000000] [--hnsw]   # one JSON object
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from query import percentiles

from s1assist.config import IndexSettings, RetrievalSettings
from s1assist.index.dense import build_dense, code_bytes, load_dense, save_dense, search_dense

DIM = 384
QUERIES = 200
K = 10
Matrix = npt.NDArray[np.float32]


def unit_vectors(count: int, seed: int) -> Matrix:
    rng = np.random.default_rng(seed)
    out = np.empty((count, DIM), dtype=np.float32)
    for start in range(0, count, 100_000):
        block = rng.standard_normal((min(100_000, count - start), DIM), dtype=np.float32)
        out[start : start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def rss_mb() -> dict[str, float]:
    """This process's resident memory: private (anonymous) and file-backed pages, which for
    memory-mapped files are page cache the kernel can reclaim."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {name: int(fields[name].split()[0]) / 1024 for name in ("RssAnon", "RssFile")}


def grown(before: dict[str, float]) -> dict[str, float]:
    now = rss_mb()
    return {
        "private_mb": round(now["RssAnon"] - before["RssAnon"], 1),
        "file_backed_mb": round(now["RssFile"] - before["RssFile"], 1),
    }


def latency(search: Callable[[Matrix], list[int]], queries: Matrix, truth: Any) -> dict[str, Any]:
    samples, found = [], 0
    for i in range(len(queries)):
        started = time.perf_counter()
        rows = search(queries[i : i + 1])
        samples.append((time.perf_counter() - started) * 1000)
        found += len(set(rows[:K]) & set(truth[i].tolist()))
    spread = percentiles(samples)
    return {
        "p50_ms": spread["p50_ms"],
        "p99_ms": spread["p99_ms"],
        "recall@10": round(found / (K * len(queries)), 4),
    }


def one_size(count: int, work: Path, hnsw: bool) -> dict[str, Any]:
    import faiss

    vectors = unit_vectors(count, seed=count)
    queries = unit_vectors(QUERIES, seed=count + 1)
    np.save(work / "vectors.npy", vectors)
    exact = faiss.IndexFlatIP(DIM)
    started = time.perf_counter()
    exact.add(vectors)
    exact_build = time.perf_counter() - started
    _, truth = exact.search(queries, K)  # all threads: this is the answer key, not timed
    with one_thread():  # one thread per query, as in the server
        exact_latency = latency(lambda q: exact.search(q, K)[1][0].tolist(), queries, truth)
    report: dict[str, Any] = {
        "vectors": count,
        "exact_flat": {
            "build_s": round(exact_build, 2),
            "memory_mb": round(count * DIM * 4 / 2**20, 1),
            **exact_latency,
        },
    }
    exact.reset()
    started = time.perf_counter()
    save_dense(build_dense(vectors, IndexSettings(ann_threshold=1)), work / "dense.faiss")
    build_s = time.perf_counter() - started
    del vectors
    gc.collect()
    report["coded"] = {"build_and_save_s": round(build_s, 2), **coded_figures(work, queries, truth)}
    if hnsw:
        report["hnsw32"] = hnsw_figures(work, queries, truth)
    return report


def coded_figures(work: Path, queries: Matrix, truth: Any) -> dict[str, Any]:
    """The saved coded index loaded as the retriever loads it, and searched as it searches."""
    before = rss_mb()
    loaded = load_dense(work / "dense.faiss")
    mapped = np.load(work / "vectors.npy", mmap_mode="r")
    after_load = grown(before)
    rerank = RetrievalSettings().ann_rerank
    curve = {}
    with one_thread():
        for depth in sorted({100, 250, rerank, 1000, 2000}):

            def search(query: Matrix, depth: int = depth) -> list[int]:
                return [row for row, _ in search_dense(loaded, mapped, query, K, depth)]

            curve[str(depth)] = latency(search, queries, truth)
    return {
        "kind": "4-bit product codes, fast scan, exact re-scoring",
        "index_file_mb": round((work / "dense.faiss").stat().st_size / 2**20, 1),
        "bytes_per_passage_in_memory": code_bytes(DIM),
        "float_vectors_on_disk_mb": round((work / "vectors.npy").stat().st_size / 2**20, 1),
        "resident_after_load": after_load,
        "resident_after_queries": grown(before),
        "ann_rerank": rerank,
        **curve[str(rerank)],
        "by_ann_rerank": curve,
    }


@contextmanager
def one_thread() -> Iterator[None]:
    import faiss

    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(os.cpu_count() or 1)


def hnsw_figures(work: Path, queries: Matrix, truth: Any) -> dict[str, Any]:
    """An HNSW graph (M=32, efConstruction=80) over the same vectors, for comparison."""
    import faiss

    vectors = np.load(work / "vectors.npy")
    graph = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = 80
    started = time.perf_counter()
    graph.add(vectors)
    build_s = time.perf_counter() - started
    curve = {}
    with one_thread():
        for ef in (256, 1024, 2048, 4096):
            graph.hnsw.efSearch = ef
            curve[str(ef)] = latency(lambda q: graph.search(q, K)[1][0].tolist(), queries, truth)
    return {"build_s": round(build_s, 1), "by_ef_search": curve}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="Comma-separated counts.")
    parser.add_argument("--hnsw", action="store_true", help="Also time an HNSW graph.")
    args = parser.parse_args()
    results = []
    for count in (int(size) for size in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="s1assist-scale-") as work:
            results.append(one_size(count, Path(work), args.hnsw))
    print(json.dumps({"dimension": DIM, "queries": QUERIES, "sizes": results}, indent=2))


if __name__ == "__main__":
    main()
