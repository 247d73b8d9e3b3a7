"""Build an index into a staging folder and publish it atomically; reuse unchanged vectors."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from s1assist.chunking import chunk_documents
from s1assist.config import Settings
from s1assist.embedding import Encoder, Lookup, Vectors
from s1assist.errors import SearchIndexError
from s1assist.index.dense import build_dense, dense_kind, save_dense
from s1assist.index.manifest import (
    FORMAT_VERSION,
    MANIFEST,
    Manifest,
    file_entries,
    verify_files,
)
from s1assist.index.records import chunk_to_json, document_to_json, read_jsonl, write_jsonl
from s1assist.index.sentences import embed_sentences, save_sentences, texts_to_embed
from s1assist.index.store import (
    BM25,
    BUILDS,
    CHUNKS,
    CURRENT,
    DENSE,
    DOCUMENTS,
    VECTORS,
    current_folder,
    load_index,
)
from s1assist.index.upkeep import STAGING_PREFIX, build_lock, clear_load_failure, prune_leftovers
from s1assist.lexical import LexicalIndex
from s1assist.types import Chunk, Document

_ENCODE_STEP = 256  # passages per progress-bar step


@dataclass(frozen=True, slots=True)
class BuildReport:
    folder: Path
    documents: int
    chunks: int
    reused: int
    encoded: int
    tokens: int
    """Model tokens of the passages embedded by this build."""
    seconds: float
    encode_seconds: float
    """Embedding the passages (the sentences' time is in `seconds` only)."""
    sentences: int = 0
    """Sentences and headings whose vectors the build holds for answers."""
    sentences_encoded: int = 0
    """Of those, embedded by this build (the rest came from the previous one)."""


def _unknown(text: str) -> Vectors | None:
    return None


def build_index(
    documents: Sequence[Document],
    encoder: Encoder,
    settings: Settings,
    root: Path,
    *,
    rebuild: bool = False,
    progress: bool = False,
) -> BuildReport:
    """Chunk, embed and index `documents` under `root`; the previous build stays live until
    the new one is complete."""
    started = time.perf_counter()
    builds = root / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    with build_lock(root):
        prune_leftovers(root)
        previous, known = ({}, _unknown) if rebuild else _previous(root, settings, encoder)
        staging = builds / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
        staging.mkdir()
        chunks = chunk_documents(documents, settings.chunking)
        if not chunks:
            raise SearchIndexError("the corpus has no passages to index")
        encode_started = time.perf_counter()
        vectors, reused = _vectors(chunks, previous, encoder, progress)
        encode_seconds = time.perf_counter() - encode_started
        texts = texts_to_embed(chunks)
        sentence_vectors, sentences_encoded = embed_sentences(texts, encoder, known, progress)
        save_sentences(staging, texts, sentence_vectors)
        _write(staging, documents, chunks, vectors, settings, encoder)
        name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + staging.name[-12:]
        final = builds / name
        os.replace(staging, final)
        _publish(root, name)
        clear_load_failure(root)
        prune_leftovers(root)
    # Throughput counts only what was embedded this time, not the reused passages.
    embedded = [chunk.search_text for chunk in chunks if chunk.chunk_id not in previous]
    tokens = encoder.count_tokens(embedded) if embedded else 0
    return BuildReport(
        folder=final,
        documents=len(documents),
        chunks=len(chunks),
        reused=reused,
        encoded=len(chunks) - reused,
        tokens=tokens,
        seconds=time.perf_counter() - started,
        encode_seconds=encode_seconds,
        sentences=len(texts),
        sentences_encoded=sentences_encoded,
    )


def _previous(
    root: Path, settings: Settings, encoder: Encoder
) -> tuple[dict[str, npt.NDArray[np.float32]], Lookup]:
    """Vectors of the live build by chunk id, when it was made with the same model, and its
    sentence vectors when made on this encoder's runtime; from a damaged build, those of its
    passages and vectors when both files are intact (the FAISS and BM25 files are rebuilt
    from them anyway), and no sentences."""
    try:
        old = load_index(root, settings)
    except SearchIndexError:
        return _salvaged_vectors(root, settings), _unknown
    passages = {chunk.chunk_id: old.vectors[i] for i, chunk in enumerate(old.chunks)}
    if old.sentences is None or old.sentences.runtime != encoder.sentence_runtime:
        return passages, _unknown
    return passages, old.sentences


def _salvaged_vectors(root: Path, settings: Settings) -> dict[str, npt.NDArray[np.float32]]:
    try:
        folder = current_folder(root)
        manifest = Manifest.read(folder)
        if manifest.model != settings.model.name:
            return {}
        verify_files(folder, manifest, names=(CHUNKS, VECTORS))
        chunk_ids = [row["chunk_id"] for row in read_jsonl(folder / CHUNKS)]
        vectors = np.load(folder / VECTORS)
    except (SearchIndexError, OSError, ValueError, KeyError, TypeError):
        return {}
    if vectors.shape != (len(chunk_ids), manifest.dimension):
        return {}
    return dict(zip(chunk_ids, vectors.astype(np.float32, copy=False), strict=True))


def _vectors(
    chunks: Sequence[Chunk],
    previous: dict[str, npt.NDArray[np.float32]],
    encoder: Encoder,
    progress: bool,
) -> tuple[npt.NDArray[np.float32], int]:
    missing = [i for i, chunk in enumerate(chunks) if chunk.chunk_id not in previous]
    # Longest first, so each batch pads to similar lengths and the bar ends on the cheap ones.
    missing.sort(key=lambda i: -len(chunks[i].search_text))
    dim = encoder.dimension
    vectors = np.zeros((len(chunks), dim), dtype=np.float32)
    for i, chunk in enumerate(chunks):
        if chunk.chunk_id in previous:
            vectors[i] = previous[chunk.chunk_id]
    steps = range(0, len(missing), _ENCODE_STEP)
    if progress and missing:
        from tqdm import tqdm

        bar = tqdm(total=len(missing), unit="passage", desc="embedding", leave=True)
    else:
        bar = None
    for offset in steps:
        rows = missing[offset : offset + _ENCODE_STEP]
        vectors[rows] = encoder.encode_passages([chunks[i].search_text for i in rows])
        if bar is not None:
            bar.update(len(rows))
    if bar is not None:
        bar.close()
    return vectors, len(chunks) - len(missing)


def _write(
    folder: Path,
    documents: Sequence[Document],
    chunks: Sequence[Chunk],
    vectors: npt.NDArray[np.float32],
    settings: Settings,
    encoder: Encoder,
) -> None:
    write_jsonl(folder / DOCUMENTS, (document_to_json(doc) for doc in documents))
    write_jsonl(folder / CHUNKS, (chunk_to_json(chunk) for chunk in chunks))
    np.save(folder / VECTORS, vectors)
    save_dense(build_dense(vectors, settings.index), folder / DENSE)
    lexical = LexicalIndex.build(
        (chunk.search_text for chunk in chunks), settings.index.bm25_k1, settings.index.bm25_b
    )
    lexical.save(folder / BM25)
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model=settings.model.name,
        dimension=int(vectors.shape[1]),
        normalized=True,
        precision="bf16" if encoder.use_bf16 else "fp32",
        dense_index=dense_kind(len(chunks), settings.index),
        chunking=settings.chunking.model_dump(),
        bm25={"k1": settings.index.bm25_k1, "b": settings.index.bm25_b},
        documents={doc.doc_id: doc.content_hash for doc in documents},
        counts={"documents": len(documents), "chunks": len(chunks)},
        files=file_entries(folder),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        sentence_runtime=encoder.sentence_runtime,
    )
    (folder / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    for path in folder.rglob("*"):
        if path.is_file():
            _fsync(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(root: Path, name: str) -> None:
    pointer = root / CURRENT
    temporary = root / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
    temporary.write_text(name + "\n", encoding="utf-8")
    _fsync(temporary)
    os.replace(temporary, pointer)
    _fsync(root)
