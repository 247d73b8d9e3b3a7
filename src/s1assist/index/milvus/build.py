"""Build a Milvus index incrementally and publish it by switching an alias.

The build brings the generation the alias does not point at up to this corpus: passages of
removed or changed documents are deleted, those of new or changed documents upserted
(vectors reused from either generation by chunk id, so only new text is embedded), then the
alias moves. A build killed half-way leaves the alias on the previous, complete generation;
the next build finds the half-written one marked incomplete, or unreadable where the kill cut
one of Milvus Lite's files short, and writes it afresh.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from s1assist.chunking import chunk_documents
from s1assist.config import Settings
from s1assist.embedding import Encoder
from s1assist.errors import SearchIndexError
from s1assist.index.build import BuildReport
from s1assist.index.dense import FLAT, dense_kind
from s1assist.index.manifest import MILVUS_FORMAT_VERSION, Manifest
from s1assist.index.milvus.schema import (
    DUMMY_DIM,
    MAX_VARCHAR,
    PART_CHARS,
    Names,
    connect,
    create_generation,
    drop_generation,
    literal,
    live_names,
)
from s1assist.index.milvus.store import MANIFEST_KEY, document_hashes, read_manifest
from s1assist.index.records import document_to_json
from s1assist.lexical import tokenize
from s1assist.types import Chunk, Document

_log = logging.getLogger(__name__)

_WRITE_BATCH = 256
_READ_BATCH = 512
_DELETE_BATCH = 200


def build_milvus(
    documents: Sequence[Document],
    encoder: Encoder,
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: bool = False,
    client: Any | None = None,
) -> BuildReport:
    """Index `documents` into the Milvus collection the settings name; searches keep the
    previous build until this one is complete."""
    started = time.perf_counter()
    client = client if client is not None else connect(settings.milvus)
    chunks = chunk_documents(documents, settings.chunking)
    if not chunks:
        raise SearchIndexError("the corpus has no passages to index")
    live = live_names(client, settings.milvus.collection)
    target = live.other() if live is not None else Names(settings.milvus.collection, "a")
    manifest = _manifest(documents, chunks, settings, encoder.dimension)
    held = _prepare(client, target, manifest, settings, rebuild=rebuild)
    current = {doc.doc_id: doc.content_hash for doc in documents}
    stale = sorted(doc_id for doc_id, digest in held.items() if current.get(doc_id) != digest)
    fresh = {doc.doc_id for doc in documents if held.get(doc.doc_id) != doc.content_hash}
    wanted = [chunk for chunk in chunks if chunk.doc_id in fresh]
    # Vectors by chunk id from both generations, read before the stale passages go.
    sources = [target] + (
        [live]
        if live is not None and _same_vectors(client, live, manifest, settings.milvus.replicas)
        else []
    )
    known = _known_vectors(client, sources, [c.chunk_id for c in wanted])
    encode_started = time.perf_counter()
    vectors = _embed(wanted, known, encoder, progress)
    encode_seconds = time.perf_counter() - encode_started
    _delete_documents(client, target, stale)
    _write_passages(client, target, wanted, vectors, progress)
    _write_documents(client, target, [doc for doc in documents if doc.doc_id in fresh])
    _write_terms(client, target, chunks)
    for name in target.all:
        client.flush(name)
    _write_manifest(client, target, manifest, complete=True)
    if live is None:
        client.create_alias(target.passages, settings.milvus.collection)
    else:
        client.alter_alias(target.passages, settings.milvus.collection)
    embedded = [chunk.search_text for chunk in wanted if chunk.chunk_id not in known]
    return BuildReport(
        folder=Path(target.passages),
        documents=len(documents),
        chunks=len(chunks),
        reused=len(chunks) - len(embedded),
        encoded=len(embedded),
        tokens=encoder.count_tokens(embedded) if embedded else 0,
        seconds=time.perf_counter() - started,
        encode_seconds=encode_seconds,
    )


def _manifest(
    documents: Sequence[Document], chunks: Sequence[Chunk], settings: Settings, dimension: int
) -> Manifest:
    return Manifest(
        format_version=MILVUS_FORMAT_VERSION,
        model=settings.model.name,
        dimension=dimension,
        normalized=True,
        precision="fp32",
        dense_index="milvus-" + ("flat" if _exact(len(chunks), settings) else "hnsw"),
        chunking=settings.chunking.model_dump(),
        bm25={"k1": settings.index.bm25_k1, "b": settings.index.bm25_b},
        documents={},  # the documents collection holds each content hash
        # BM25's average passage length (in terms) comes from the total.
        counts={
            "documents": len(documents),
            "chunks": len(chunks),
            "terms": sum(len(tokenize(chunk.search_text)) for chunk in chunks),
        },
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _exact(passages: int, settings: Settings) -> bool:
    return dense_kind(passages, settings.index) == FLAT


def _same_shape(a: Manifest, b: Manifest) -> bool:
    """Whether rows of one can stay in the other: same vectors, passages and BM25 index."""
    return (a.model, a.dimension, a.chunking, a.bm25, a.dense_index) == (
        b.model,
        b.dimension,
        b.chunking,
        b.bm25,
        b.dense_index,
    )


def _prepare(
    client: Any, target: Names, manifest: Manifest, settings: Settings, *, rebuild: bool
) -> dict[str, str]:
    """Make `target` ready to be written; the documents it already holds, by content hash.
    It is marked incomplete first, so a build killed from here on is never published."""
    found = _readable_manifest(client, target, settings.milvus.replicas)
    if rebuild or found is None or not found[1] or not _same_shape(found[0], manifest):
        drop_generation(client, target)
        create_generation(
            client,
            target,
            manifest.dimension,
            settings,
            exact=manifest.dense_index == "milvus-flat",
        )
        _write_manifest(client, target, manifest, complete=False)
        return {}
    _write_manifest(client, target, found[0], complete=False)
    return document_hashes(client, target)


def _readable_manifest(client: Any, target: Names, replicas: int) -> tuple[Manifest, bool] | None:
    """The target generation's manifest, or None when it cannot be loaded: the alias never
    points at it, so a generation a killed build left unreadable is only written afresh."""
    from pymilvus.exceptions import MilvusException

    try:
        return read_manifest(client, target, replicas)
    except MilvusException as exc:
        _log.warning("Milvus %s cannot be loaded (%s); writing it afresh", target.passages, exc)
        return None


def _same_vectors(client: Any, names: Names, manifest: Manifest, replicas: int) -> bool:
    found = read_manifest(client, names, replicas)
    return found is not None and (found[0].model, found[0].dimension) == (
        manifest.model,
        manifest.dimension,
    )


def _write_manifest(client: Any, names: Names, manifest: Manifest, *, complete: bool) -> None:
    payload = json.dumps({**asdict(manifest), "files": {}, "complete": complete})
    client.upsert(
        names.meta, [{"key": MANIFEST_KEY, "payload": payload, "dummy": [0.0] * DUMMY_DIM}]
    )
    client.flush(names.meta)


def _known_vectors(
    client: Any, sources: Sequence[Names], chunk_ids: Sequence[str]
) -> dict[str, npt.NDArray[np.float32]]:
    known: dict[str, npt.NDArray[np.float32]] = {}
    for names in sources:
        missing = [cid for cid in chunk_ids if cid not in known]
        for batch in _batches(missing, _READ_BATCH):
            for row in client.get(names.passages, ids=batch, output_fields=["dense"]):
                known[str(row["chunk_id"])] = np.asarray(row["dense"], dtype=np.float32)
    return known


def _embed(
    chunks: Sequence[Chunk],
    known: dict[str, npt.NDArray[np.float32]],
    encoder: Encoder,
    progress: bool,
) -> npt.NDArray[np.float32]:
    vectors = np.zeros((len(chunks), encoder.dimension), dtype=np.float32)
    missing = [i for i, chunk in enumerate(chunks) if chunk.chunk_id not in known]
    for i, chunk in enumerate(chunks):
        if chunk.chunk_id in known:
            vectors[i] = known[chunk.chunk_id]
    missing.sort(key=lambda i: -len(chunks[i].search_text))
    bar = _bar(progress, len(missing), "embedding")
    for batch in _batches(missing, _WRITE_BATCH):
        vectors[batch] = encoder.encode_passages([chunks[i].search_text for i in batch])
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()
    return vectors


def _delete_documents(client: Any, names: Names, doc_ids: Sequence[str]) -> None:
    for batch in _batches(list(doc_ids), _DELETE_BATCH):
        ids = ", ".join(literal(doc_id) for doc_id in batch)
        client.delete(names.passages, filter=f"doc_id in [{ids}]")
        client.delete(names.documents, filter=f"doc_id in [{ids}]")


def _write_passages(
    client: Any,
    names: Names,
    chunks: Sequence[Chunk],
    vectors: npt.NDArray[np.float32],
    progress: bool,
) -> None:
    bar = _bar(progress, len(chunks), "writing")
    for batch in _batches(list(range(len(chunks))), _WRITE_BATCH):
        client.upsert(names.passages, [_passage_row(chunks[i], vectors[i]) for i in batch])
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()


def _passage_row(chunk: Chunk, vector: npt.NDArray[np.float32]) -> dict[str, Any]:
    terms = " ".join(tokenize(chunk.search_text))
    for field, value in (("text", chunk.text), ("section", chunk.section), ("terms", terms)):
        if len(value.encode("utf-8")) > MAX_VARCHAR:
            raise SearchIndexError(
                f"{chunk.doc_id}: a passage's {field} is over Milvus's {MAX_VARCHAR:,}-byte "
                "field limit; lower chunking.max_words"
            )
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "title": chunk.title,
        "section": chunk.section,
        "text": chunk.text,
        "start": chunk.start,
        "end": chunk.end,
        "kind": chunk.kind.value,
        "block": chunk.block.value,
        "terms": terms,
        "dense": vector.tolist(),
    }


def _write_documents(client: Any, names: Names, documents: Sequence[Document]) -> None:
    """Each document's JSON, split into parts that fit a VARCHAR field."""
    rows: list[dict[str, Any]] = []
    for doc in documents:
        payload = json.dumps(document_to_json(doc), ensure_ascii=False)
        for part, offset in enumerate(range(0, len(payload), PART_CHARS)):
            rows.append(
                {
                    "part_id": f"{doc.doc_id}#{part}",
                    "doc_id": doc.doc_id,
                    "content_hash": doc.content_hash,
                    "payload": payload[offset : offset + PART_CHARS],
                    "part": part,
                    "dummy": [0.0] * DUMMY_DIM,
                }
            )
    for batch in _batches(rows, _WRITE_BATCH):
        client.upsert(names.documents, batch)


def _write_terms(client: Any, names: Names, chunks: Sequence[Chunk]) -> None:
    """Document frequencies of our terms over every passage, replacing the old ones."""
    df: Counter[str] = Counter()
    for chunk in chunks:
        df.update(set(tokenize(chunk.search_text)))
    client.delete(names.terms, filter='term != ""')
    rows = (
        {"term": term, "df": count, "dummy": [0.0] * DUMMY_DIM}
        for term, count in df.items()
        if len(term.encode("utf-8")) <= 1024
    )
    for batch in _batches(list(rows), 2048):
        client.upsert(names.terms, batch)


def _batches(items: Sequence[Any] | list[Any], size: int) -> Iterator[list[Any]]:
    for offset in range(0, len(items), size):
        yield list(items[offset : offset + size])


def _bar(progress: bool, total: int, desc: str) -> Any:
    if not progress or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="passage", desc=desc, leave=True)


__all__ = ["build_milvus"]
