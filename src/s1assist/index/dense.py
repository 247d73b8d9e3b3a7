"""The FAISS side: exact inner product below a size threshold, HNSW above it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from s1assist.config import IndexSettings

FLAT = "flat-ip"
HNSW = "hnsw-ip"


def dense_kind(count: int, settings: IndexSettings) -> str:
    return HNSW if count >= settings.ann_threshold else FLAT


def build_dense(vectors: npt.NDArray[np.float32], settings: IndexSettings) -> Any:
    import faiss

    dim = vectors.shape[1]
    index: Any
    if dense_kind(len(vectors), settings) == HNSW:
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 2 * settings.hnsw_ef_search
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save_dense(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load_dense(path: Path, settings: IndexSettings) -> Any:
    import faiss

    index = faiss.read_index(str(path))
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = settings.hnsw_ef_search
    return index
