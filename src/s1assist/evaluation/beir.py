"""Run the project's own index and retriever over a BEIR dataset and score the rankings."""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s1assist.config import IndexBackend, RetrievalMode, Settings
from s1assist.errors import QueryError
from s1assist.evaluation.beir_data import BeirDataset, load_beir
from s1assist.evaluation.metrics import evaluate, mrr_at_k, ndcg_at_k, recall_at_k
from s1assist.types import Hit

if TYPE_CHECKING:
    from s1assist.embedding import Encoder
    from s1assist.retrieval import Retriever

DEPTH = 100
"""Passages ranked per query: the deepest cutoff any metric reads."""
_VECTOR_FIELDS = {"name", "precision", "max_seq_length"}


@dataclass(frozen=True, slots=True)
class BeirReport:
    """Scores of one retrieval mode on one dataset, with the cost of getting them."""

    dataset: str
    mode: RetrievalMode
    queries: int
    passages: int
    chunks: int
    metrics: dict[str, float]
    """Mean over queries of ndcg@10, recall@10, recall@100 and mrr@10."""
    ndcg_at_10: dict[str, float]
    """Query id -> nDCG@10, to find the questions a change broke."""
    index: Path
    build_seconds: float | None
    """None when an up-to-date index was reused."""
    tokens_per_second: float | None
    """Encoder throughput of the build; None unless every passage was embedded."""
    latency_p50_ms: float
    backend: IndexBackend = IndexBackend.FAISS

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "backend": self.backend.value,
            "mode": self.mode.value,
            "queries": self.queries,
            "passages": self.passages,
            "chunks": self.chunks,
            "metrics": {name: round(value, 4) for name, value in self.metrics.items()},
            "index": str(self.index),
            "build_seconds": _round(self.build_seconds, 1),
            "tokens_per_second": _round(self.tokens_per_second, 0),
            "latency_p50_ms": round(self.latency_p50_ms, 2),
            "per_query_ndcg@10": {q: round(value, 4) for q, value in self.ndcg_at_10.items()},
        }

    def summary(self) -> str:
        """One line for a terminal."""
        scores = "  ".join(f"{name} {value:.4f}" for name, value in self.metrics.items())
        where = "milvus " if self.backend is IndexBackend.MILVUS else ""
        build = (
            "index reused"
            if self.build_seconds is None
            else f"index built in {self.build_seconds:.1f} s"
        )
        return (
            f"{self.dataset} [{where}{self.mode.value}] {self.queries} queries, "
            f"{self.passages} passages: {scores}  ({build}, p50 {self.latency_p50_ms:.1f} ms)"
        )


def default_index_dir(dataset: str, settings: Settings) -> Path:
    """A cache folder under the data folder, one per dataset and the settings that shape the
    vectors; BM25 settings are left out, since a change to them rebuilds only the lexical
    part."""
    identity = {
        "model": settings.model.model_dump(mode="json", include=_VECTOR_FIELDS),
        "chunking": settings.chunking.model_dump(mode="json"),
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()
    return settings.paths.data / "beir" / f"{dataset}-{digest[:10]}"


def milvus_settings(dataset: str, settings: Settings) -> Settings:
    """The settings with a Milvus collection of the dataset's own, named like its cache
    folder (Milvus names allow letters, digits and underscores)."""
    name = default_index_dir(dataset, settings).name
    collection = "beir_" + "".join(c if c.isalnum() else "_" for c in name)
    return settings.model_copy(
        update={"milvus": settings.milvus.model_copy(update={"collection": collection})}
    )


def doc_ranking(hits: Sequence[Hit]) -> list[str]:
    """Document ids best first; a document split into several chunks keeps its best rank."""
    return list(dict.fromkeys(hit.chunk.doc_id for hit in hits))


def run_beir(
    folder: Path,
    mode: RetrievalMode,
    settings: Settings,
    *,
    index_dir: Path | None = None,
    progress: bool = False,
    limit: int | None = None,
    encoder: Encoder | None = None,
) -> BeirReport:
    """Index the BEIR folder's corpus (or reuse a fresh index), search every judged query
    with `mode`, and score the rankings; pass `encoder` to reuse a loaded model."""
    from s1assist.embedding import Encoder
    from s1assist.index import build_index, index_status, load_index
    from s1assist.retrieval import Retriever

    data = load_beir(folder, limit=limit)
    root = index_dir or default_index_dir(data.name, settings)
    encoder = encoder or Encoder(settings.model)
    build_seconds: float | None = None
    rate: float | None = None
    retriever: Retriever
    if settings.index.backend is IndexBackend.MILVUS:
        from s1assist.index.milvus import build_milvus, milvus_status
        from s1assist.milvus_search import open_milvus_retriever

        settings = milvus_settings(data.name, settings)
        root = Path(settings.milvus.collection)
        if not milvus_status(data.documents, settings).fresh:
            built = build_milvus(data.documents, encoder, settings, progress=progress)
            build_seconds = built.seconds
            if built.encoded == built.chunks and built.encode_seconds > 0:
                rate = built.tokens / built.encode_seconds
        retriever = open_milvus_retriever(settings, encoder)
    else:
        if not index_status(root, data.documents, settings).fresh:
            built = build_index(data.documents, encoder, settings, root, progress=progress)
            build_seconds = built.seconds
            if built.encoded == built.chunks and built.encode_seconds > 0:
                rate = built.tokens / built.encode_seconds
        retriever = Retriever(load_index(root, settings), encoder, settings.retrieval)
        retriever.check_model()
    rankings, latencies = _search_all(retriever, data, mode, progress)
    metrics, ndcg = score(rankings, data.qrels)
    return BeirReport(
        dataset=data.name,
        mode=mode,
        queries=len(data.queries),
        passages=len(data.documents),
        chunks=len(retriever.index.chunks),
        metrics=metrics,
        ndcg_at_10=ndcg,
        index=root,
        build_seconds=build_seconds,
        tokens_per_second=rate,
        latency_p50_ms=statistics.median(latencies) * 1000,
        backend=settings.index.backend,
    )


def score(
    rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]]
) -> tuple[dict[str, float], dict[str, float]]:
    """The aggregate metrics, and nDCG@10 per query."""
    ndcg = evaluate(ndcg_at_k, rankings, qrels, 10)
    metrics = {
        "ndcg@10": ndcg.score,
        "recall@10": evaluate(recall_at_k, rankings, qrels, 10).score,
        "recall@100": evaluate(recall_at_k, rankings, qrels, 100).score,
        "mrr@10": evaluate(mrr_at_k, rankings, qrels, 10).score,
    }
    return metrics, ndcg.per_query


def _search_all(
    retriever: Retriever, data: BeirDataset, mode: RetrievalMode, progress: bool
) -> tuple[dict[str, list[str]], list[float]]:
    # Never deeper than the candidate lists (when those reach DEPTH), so the fused ranking
    # scored is the one a user gets.
    k = max(DEPTH, retriever.settings.candidates)
    items = data.queries.items()
    if progress:
        from tqdm import tqdm

        items = tqdm(items, total=len(data.queries), unit="query", desc=f"searching [{mode}]")
    rankings: dict[str, list[str]] = {}
    latencies: list[float] = []
    for query_id, text in items:
        started = time.perf_counter()
        try:
            hits = retriever.search(text, k=k, mode=mode)
        except QueryError as exc:
            raise QueryError(f"query {query_id!r}: {exc}") from None
        latencies.append(time.perf_counter() - started)
        rankings[query_id] = doc_ranking(hits)
    return rankings, latencies


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
