"""Where builds live, and loading one back with every check the manifest allows.

Layout: `<root>/CURRENT` names the live folder under `<root>/builds/`. A build is written to
a staging folder and published by replacing CURRENT, so readers see the old build or the new
one, never half of one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from s1assist.config import Settings
from s1assist.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from s1assist.index.dense import dense_kind, load_dense
from s1assist.index.manifest import Manifest, verify_files
from s1assist.index.records import chunk_from_json, document_from_json, read_jsonl
from s1assist.lexical import LexicalIndex
from s1assist.types import Chunk, Document

CURRENT = "CURRENT"
BUILDS = "builds"
CHUNKS = "chunks.jsonl"
DOCUMENTS = "documents.jsonl"
VECTORS = "vectors.npy"
DENSE = "dense.faiss"
BM25 = "bm25"


def current_folder(root: Path) -> Path:
    pointer = root / CURRENT
    if not pointer.is_file():
        raise IndexMissingError(f"{root}: no index built yet; run `s1assist index`")
    name = pointer.read_text(encoding="utf-8").strip()
    folder = root / BUILDS / name
    if not name or not folder.is_dir():
        raise IndexCorruptError(f"{pointer}: names build {name!r}, which is missing; rebuild")
    return folder


@dataclass(frozen=True, slots=True)
class LoadedIndex:
    """Everything a query needs, loaded once."""

    folder: Path
    manifest: Manifest
    chunks: Sequence[Chunk]
    documents: Mapping[str, Document]
    dense: Any
    lexical: LexicalIndex
    vectors: npt.NDArray[np.float32] = field(repr=False)


def load_index(root: Path, settings: Settings, *, verify: bool = True) -> LoadedIndex:
    """Load the live build; refuse, with the reason, one that does not match or is damaged."""
    folder = current_folder(root)
    manifest = Manifest.read(folder)
    if manifest.model != settings.model.name:
        raise IndexMismatchError(
            f"{folder}: index built with model {manifest.model!r}, but the settings use "
            f"{settings.model.name!r}; rebuild with `s1assist index --rebuild`"
        )
    if verify:
        verify_files(folder, manifest)
    try:
        chunks = tuple(chunk_from_json(row) for row in read_jsonl(folder / CHUNKS))
        documents = {
            doc.doc_id: doc
            for doc in (document_from_json(row) for row in read_jsonl(folder / DOCUMENTS))
        }
        vectors = np.load(folder / VECTORS, mmap_mode="r").view(np.ndarray)  # see lexical.py
        dense = load_dense(folder / DENSE)
        lexical = LexicalIndex.load(folder / BM25, mmap=True)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexCorruptError(f"{folder}: cannot be read ({exc}); rebuild") from None
    sizes = {"chunks": len(chunks), "vectors": len(vectors), "faiss": int(dense.ntotal)}
    sizes["bm25"] = lexical.size
    if len(set(sizes.values())) != 1 or sizes["chunks"] != manifest.counts.get("chunks"):
        raise IndexCorruptError(f"{folder}: parts disagree on the passage count {sizes}; rebuild")
    if dense.d != manifest.dimension or vectors.shape[1] != manifest.dimension:
        raise IndexMismatchError(
            f"{folder}: vectors of dimension {dense.d}, manifest says {manifest.dimension}"
        )
    return LoadedIndex(folder, manifest, chunks, documents, dense, lexical, vectors)


@dataclass(frozen=True, slots=True)
class IndexStatus:
    fresh: bool
    reasons: tuple[str, ...]


def index_status(root: Path, documents: Sequence[Document], settings: Settings) -> IndexStatus:
    """Whether the live build matches this corpus and these settings, and if not, why."""
    try:
        manifest = Manifest.read(current_folder(root))
    except (IndexMissingError, IndexCorruptError, IndexMismatchError) as exc:
        return IndexStatus(False, (str(exc),))
    reasons: list[str] = []
    if manifest.model != settings.model.name:
        reasons.append(f"model changed: {manifest.model} -> {settings.model.name}")
    if manifest.chunking != settings.chunking.model_dump():
        reasons.append("chunking settings changed")
    if manifest.bm25 != {"k1": settings.index.bm25_k1, "b": settings.index.bm25_b}:
        reasons.append("BM25 settings changed")
    kind = dense_kind(manifest.counts.get("chunks", 0), settings.index)
    if manifest.dense_index != kind:
        reasons.append(f"dense index kind changed: {manifest.dense_index} -> {kind}")
    current = {doc.doc_id: doc.content_hash for doc in documents}
    for doc_id in sorted(current.keys() - manifest.documents.keys()):
        reasons.append(f"new document: {doc_id}")
    for doc_id in sorted(manifest.documents.keys() - current.keys()):
        reasons.append(f"removed document: {doc_id}")
    for doc_id in sorted(current.keys() & manifest.documents.keys()):
        if current[doc_id] != manifest.documents[doc_id]:
            reasons.append(f"changed document: {doc_id}")
    return IndexStatus(not reasons, tuple(reasons))
