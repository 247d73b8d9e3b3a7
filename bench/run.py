"""`make bench`: the speed figures, each beside a plain baseline measured in the same run.

- build: s1assist's index build vs sentence-transformers encode(batch_size=32) in fp32 plus
  faiss.IndexFlatIP, on the same passage texts: the default corpus (best of 3) and BioASQ
  (20,554 passages, once each, with nDCG@10 of the build against the same pipeline in fp32);
- queries: warm search and ask vs the baseline's encode + flat search (bench/query.py), on
  the default corpus and on the BioASQ index;
- cold start: wall time of `s1assist --help` and of `s1assist search` in a new process;
- scale: the dense index with 100k and 1M synthetic vectors (bench/scale.py);
- memory: peak RSS of `s1assist serve` on the default corpus after answering questions;
- overload: 64 clients for 20 s, the 503's latency and lost requests (bench/overload.py),
  and 300 trickling connections for 30 s (bench/slow_clients.py), about 2 minutes together.

Prints one JSON object (9 to 20 minutes with everything). Machines here are shared and
noisy: read the ratios.
    .venv/bin/python bench/run.py [--skip-bioasq] [--scale-sizes 100000,1000000|none]
        [--skip-overload]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from s1assist.config import Settings
from s1assist.types import Document

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "s1assist"


def build_vs_baseline(
    documents: Sequence[Document],
    settings: Settings,
    *,
    repeats: int,
    keep: Path | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """s1assist's whole index build against the plain baseline on the same chunk texts, each
    the best of `repeats` runs, alternating; `keep` names a folder for our last build."""
    import faiss
    from sentence_transformers import SentenceTransformer

    from s1assist.chunking import chunk_documents
    from s1assist.embedding import Encoder, resolve_model_path
    from s1assist.index import build_index

    texts = [c.search_text for c in chunk_documents(documents, settings.chunking)]
    encoder = Encoder(settings.model)
    encoder.load()
    plain = SentenceTransformer(resolve_model_path(settings.model.name), device="cpu")
    ours, baseline = [], []
    for attempt in range(repeats):
        with tempfile.TemporaryDirectory() as scratch:
            root = keep if keep is not None and attempt == repeats - 1 else Path(scratch)
            started = time.perf_counter()
            report = build_index(
                documents,
                encoder,
                _with_index(settings, root),
                root,
                rebuild=True,
                progress=progress,
            )
            ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        vectors = plain.encode(texts, batch_size=32, normalize_embeddings=True)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.asarray(vectors, dtype=np.float32))
        baseline.append(time.perf_counter() - started)
    best_ours, best_base = min(ours), min(baseline)
    return {
        "documents": len(documents),
        "passages": report.chunks,
        "tokens": report.tokens,
        "precision": "bf16" if encoder.use_bf16 else "fp32",
        "runtime": "openvino" if encoder.bulk() is not None else "onnxruntime or torch",
        "seconds": round(best_ours, 2),
        "passages_per_s": round(report.chunks / best_ours, 1),
        "tokens_per_s": round(report.tokens / best_ours, 1),
        "baseline_seconds": round(best_base, 2),
        "baseline_passages_per_s": round(len(texts) / best_base, 1),
        "speedup_vs_baseline": round(best_base / best_ours, 2),
        "note": "whole build (chunking, BM25, checksums, atomic publish) vs encode+flat index",
    }


def bioasq_build(folder: Path, progress: bool, keep: Path) -> dict[str, Any]:
    """The build on a BEIR corpus (kept in `keep`) against the baseline, once each (minutes),
    and nDCG@10 of the build against the same pipeline in fp32: what bf16 costs in quality."""
    from s1assist.config import Precision, RetrievalMode
    from s1assist.embedding import Encoder
    from s1assist.evaluation.beir import run_beir
    from s1assist.evaluation.beir_data import load_beir
    from s1assist.index import build_index

    settings = Settings()
    fp32 = settings.model_copy(
        update={"model": settings.model.model_copy(update={"precision": Precision.FP32})}
    )
    documents = load_beir(folder).documents
    with tempfile.TemporaryDirectory(prefix="s1assist-bench-") as work:
        fast, exact = keep, Path(work) / "fp32"
        report = build_vs_baseline(documents, settings, repeats=1, keep=fast, progress=progress)
        started = time.perf_counter()
        build_index(
            documents, Encoder(fp32.model), _with_index(fp32, exact), exact, progress=progress
        )
        report["fp32_seconds"] = round(time.perf_counter() - started, 2)
        quality: dict[str, dict[str, float]] = {}
        for name, root, config in (("fp32", exact, fp32), (report["precision"], fast, settings)):
            for mode in (RetrievalMode.DENSE, RetrievalMode.HYBRID):
                beir = run_beir(folder, mode, config, index_dir=root, progress=progress)
                quality.setdefault(mode.value, {})[name] = round(beir.metrics["ndcg@10"], 4)
    report["ndcg@10"] = quality
    return report


def _with_index(settings: Settings, root: Path) -> Settings:
    return settings.model_copy(update={"paths": settings.paths.model_copy(update={"index": root})})


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


def serve_memory(questions: int = 100) -> dict[str, Any]:
    """Peak resident memory of `serve` on the default corpus, loaded and warm."""
    import httpx
    from http_load import body, build_index, free_port, server_env, start_server
    from http_load import questions as question_stream

    with tempfile.TemporaryDirectory(prefix="s1assist-bench-") as work:
        env = server_env(Path(work))
        build_index(env)
        port = free_port()
        server = start_server(env, port, Path(work) / "server.log")
        try:
            after_load = status_kb(server.pid)
            source = question_stream()
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                for _ in range(questions):
                    for path in ("/v1/ask", "/v1/search"):
                        client.post(path, json=body(path, next(source))).raise_for_status()
            warm = status_kb(server.pid)
        finally:
            server.terminate()
            server.wait(30)
    return {
        "rss_after_load_mb": round(after_load["VmRSS"] / 1024, 1),
        "peak_rss_mb": round(warm["VmHWM"] / 1024, 1),
        "requests": 2 * questions,
    }


def status_kb(pid: int) -> dict[str, int]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in lines)
    return {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}


def script(name: str, *args: str) -> Any:
    """Run bench/<name> in a new process and return the JSON it prints."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), *args],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bioasq", type=Path, default=ROOT.parent / "shared/data/bioasq")
    parser.add_argument("--skip-bioasq", action="store_true", help="leave out the BioASQ parts")
    parser.add_argument("--skip-queries", action="store_true")
    parser.add_argument("--scale-sizes", default="100000,1000000", help="or 'none'")
    parser.add_argument(
        "--skip-overload", action="store_true", help="leave out the overload and slow-client runs"
    )
    args = parser.parse_args()
    progress = sys.stderr.isatty()
    report: dict[str, Any] = {}
    documents = load_default_corpus()
    report["build_default_corpus"] = build_vs_baseline(documents, Settings(), repeats=3)
    report["cold_start"] = cold_start()
    if not args.skip_queries:
        report["queries_default_corpus"] = script("query.py")
    if not args.skip_bioasq:
        with tempfile.TemporaryDirectory(prefix="s1assist-bench-") as work:
            kept = Path(work) / "index"
            report["build_bioasq"] = bioasq_build(args.bioasq, progress, keep=kept)
            if not args.skip_queries:
                report["queries_bioasq"] = script(
                    "query.py", "--beir", str(args.bioasq), "--index", str(kept)
                )
    if args.scale_sizes != "none":
        report["scale"] = script("scale.py", "--sizes", args.scale_sizes)
    report["serve_memory"] = serve_memory()
    if not args.skip_overload:
        report["overload"] = script("overload.py", "--clients", "64", "--seconds", "20")
        report["slow_clients"] = script("slow_clients.py", "--connections", "300")
    print(json.dumps(report, indent=2))


def load_default_corpus() -> Sequence[Document]:
    from s1assist.corpus import load_corpus

    return load_corpus(ROOT / "corpus").documents


if __name__ == "__main__":
    main()
