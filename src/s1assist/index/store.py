"""Where builds live, and loading one back with every check the manifest allows.

Layout: `<root>/CURRENT` names the live folder under `<root>/builds/`. A build is written to
a staging folder and published by replacing CURRENT, so readers see the old build or the new
one, never half of one.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from s1assist.config import Settings
from s1assist.errors import (
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexPointerError,
)
from s1assist.index.dense import dense_kind, load_dense
from s1assist.index.manifest import Manifest, verify_files
from s1assist.index.records import chunk_from_json, document_from_json, read_jsonl
from s1assist.index.sentences import SentenceVectors
from s1assist.lexical import LexicalIndex
from s1assist.types import Chunk, Document

CURRENT = "CURRENT"
BUILDS = "builds"
CHUNKS = "chunks.jsonl"
DOCUMENTS = "documents.jsonl"
VECTORS = "vectors.npy"
DENSE = "dense.faiss"
BM25 = "bm25"
LOAD_FAILED = ".load-failed"
"""Left in the root when a load found a damaged file, so the next `index` hashes every file."""
_BUILD_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,127}")
_CURRENT_MAX_BYTES = 256  # a build name and a newline; anything longer is not a pointer


def current_name(root: Path) -> str:
    """The build CURRENT names. Any content that is not a build name (not UTF-8, empty,
    a path, too long, unreadable) is no current build: `IndexPointerError` saying why."""
    pointer = root / CURRENT
    if not pointer.exists() and not pointer.is_symlink():
        raise IndexMissingError(f"{root}: no index built yet; run `s1assist index`")
    unusable = "treated as no current build; run `s1assist index`"
    try:
        with pointer.open("rb") as handle:
            raw = handle.read(_CURRENT_MAX_BYTES + 1)
    except OSError as exc:
        raise IndexPointerError(f"{pointer}: cannot be read ({exc.strerror}); {unusable}") from None
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise IndexPointerError(f"{pointer}: not UTF-8 at byte {exc.start}; {unusable}") from None
    if len(raw) > _CURRENT_MAX_BYTES or not _BUILD_NAME.fullmatch(name):
        shown = name if len(name) <= 40 else name[:40] + "..."
        raise IndexPointerError(f"{pointer}: {shown!r} is not a build name; {unusable}")
    return name


def current_folder(root: Path) -> Path:
    name = current_name(root)
    folder = root / BUILDS / name
    if not folder.is_dir():
        raise IndexCorruptError(
            f"{root / CURRENT}: names build {name!r}, which is missing; run `s1assist index`"
        )
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
    sentences: SentenceVectors | None = field(default=None, repr=False)
    """The answer sentences' vectors the build embedded (None on Milvus)."""


def load_index(root: Path, settings: Settings, *, verify: bool = True) -> LoadedIndex:
    """Load the live build; refuse, with the reason, one that does not match or is damaged."""
    folder = current_folder(root)
    manifest = Manifest.read(folder)
    if manifest.model != settings.model.name:
        raise IndexMismatchError(
            f"{folder}: index built with model {manifest.model!r}, but the settings use "
            f"{settings.model.name!r}; rebuild with `s1assist index --rebuild`"
        )
    try:
        if verify:
            verify_files(folder, manifest)
    except IndexCorruptError:
        _note_load_failure(root)
        raise
    try:
        chunks = tuple(chunk_from_json(row) for row in read_jsonl(folder / CHUNKS))
        documents = {
            doc.doc_id: doc
            for doc in (document_from_json(row) for row in read_jsonl(folder / DOCUMENTS))
        }
        vectors = np.load(folder / VECTORS, mmap_mode="r").view(np.ndarray)  # see lexical.py
        dense = load_dense(folder / DENSE)
        lexical = LexicalIndex.load(folder / BM25, mmap=True)
        sentences = SentenceVectors(folder, manifest.sentence_runtime, vectors.shape[1])
    except IndexCorruptError:
        _note_load_failure(root)
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        _note_load_failure(root)
        raise IndexCorruptError(
            f"{folder}: cannot be read ({exc}); run `s1assist index` to rebuild it"
        ) from None
    sizes = {"chunks": len(chunks), "vectors": len(vectors), "faiss": int(dense.ntotal)}
    sizes["bm25"] = lexical.size
    if len(set(sizes.values())) != 1 or sizes["chunks"] != manifest.counts.get("chunks"):
        _note_load_failure(root)
        raise IndexCorruptError(
            f"{folder}: parts disagree on the passage count {sizes}; run `s1assist index`"
        )
    if dense.d != manifest.dimension or vectors.shape[1] != manifest.dimension:
        raise IndexMismatchError(
            f"{folder}: vectors of dimension {dense.d}, manifest says {manifest.dimension}"
        )
    return LoadedIndex(folder, manifest, chunks, documents, dense, lexical, vectors, sentences)


def _note_load_failure(root: Path) -> None:
    """Best effort: a reader may have no right to write here, and that must not hide the
    error it is about to raise."""
    with contextlib.suppress(OSError):
        (root / LOAD_FAILED).touch()


def load_failed(root: Path) -> bool:
    """Whether a load found the live build damaged since the last build."""
    return (root / LOAD_FAILED).is_file()


@dataclass(frozen=True, slots=True)
class IndexStatus:
    fresh: bool
    reasons: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    """Faults worth a warning beyond "rebuild": CURRENT that names no build."""


def index_status(
    root: Path, documents: Sequence[Document], settings: Settings, *, thorough: bool = False
) -> IndexStatus:
    """Whether the live build matches this corpus and these settings and is whole, and if not,
    why. Whole: every file of the manifest is there at its size; when `thorough`, also with
    its checksum, and the build loads."""
    try:
        folder = current_folder(root)
        manifest = Manifest.read(folder)
        verify_files(folder, manifest, hashes=False)
        if thorough:
            load_index(root, settings)
    except IndexPointerError as exc:
        return IndexStatus(False, (str(exc),), (str(exc),))
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
