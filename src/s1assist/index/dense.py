"""The FAISS side: exact inner product below a size threshold, 4-bit codes re-scored above it.

Above the threshold each passage is held as product-quantization codes, one 4-bit code per
two dimensions (96 bytes for 384 dimensions), scanned in full with FAISS's SIMD fast scan;
the best `ann_rerank` candidates are then re-scored exactly against the memory-mapped
float32 vectors. A full scan needs no structure in the data, so it keeps its recall where
graphs and inverted lists lose theirs (`bench/scale.py` measures both).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from s1assist.config import IndexSettings
from s1assist.errors import ConfigError

FLAT = "flat-ip"
CODES = "pq4fs-ip"
DIMS_PER_CODE = 2
TRAINING_SAMPLE = 65_536
"""Most vectors the quantizer is trained on, spread evenly over the collection."""

Ranking = list[tuple[int, float]]


def dense_kind(count: int, settings: IndexSettings) -> str:
    return CODES if count >= settings.ann_threshold else FLAT


def code_bytes(dimension: int) -> int:
    """Bytes per passage in memory for the coded index."""
    return dimension // DIMS_PER_CODE // 2


def build_dense(vectors: npt.NDArray[np.float32], settings: IndexSettings) -> Any:
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    index: Any
    if dense_kind(len(vectors), settings) == CODES:
        if dim % DIMS_PER_CODE:
            raise ConfigError(
                f"vectors of odd dimension {dim} cannot be coded in pairs; raise "
                "index.ann_threshold above the passage count to keep exact search"
            )
        index = faiss.IndexPQFastScan(dim, dim // DIMS_PER_CODE, 4, faiss.METRIC_INNER_PRODUCT)
        step = max(1, len(vectors) // TRAINING_SAMPLE)
        index.train(vectors[::step])
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


def save_dense(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load_dense(path: Path) -> Any:
    """The index, with an exact index's vectors memory-mapped rather than read into memory."""
    import faiss

    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)


def search_dense(
    index: Any,
    vectors: npt.NDArray[np.float32],
    query: npt.NDArray[np.float32],
    depth: int,
    rerank: int,
) -> Ranking:
    """(row, cosine) of the `depth` passages nearest `query` (shape (1, dim)), best first.

    An exact index answers directly; a coded one proposes `max(depth, rerank)` candidates,
    which are re-scored with the float32 `vectors` (unit length, so inner product is cosine).
    """
    import faiss

    depth = min(depth, index.ntotal)
    if depth < 1:
        return []
    with _one_thread():
        if isinstance(index, faiss.IndexFlat):
            scores, found = index.search(query, depth)
            pairs = zip(found[0], scores[0], strict=True)
            return [(int(row), float(score)) for row, score in pairs if row >= 0]
        _, proposed = index.search(query, min(max(depth, rerank), index.ntotal))
    rows = np.sort(proposed[0][proposed[0] >= 0])  # in file order: fewer page faults
    exact = np.asarray(vectors[rows] @ query[0], dtype=np.float32)
    best = np.lexsort((rows, -exact))[:depth]
    return [(int(rows[i]), float(exact[i])) for i in best]


@contextmanager
def _one_thread() -> Iterator[None]:
    """One query uses one core: FAISS's OpenMP team would only spin against the encoder's
    threads (a 2x slower search on two cores) and against other requests in a server."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
