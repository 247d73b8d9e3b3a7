"""Opening a Milvus index for search: its manifest checked like the FAISS one, documents and
passages read on demand, our tokenizer's document frequencies for idf."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from s1assist.config import Settings
from s1assist.errors import IndexCorruptError, IndexMismatchError
from s1assist.index.manifest import MILVUS_FORMAT_VERSION, Manifest
from s1assist.index.milvus.schema import (
    PASSAGE_FIELDS,
    Names,
    connect,
    ensure_loaded,
    literal,
    require_live,
)
from s1assist.index.records import chunk_from_json, document_from_json
from s1assist.index.store import IndexStatus, LoadedIndex
from s1assist.lexical import LexicalIndex
from s1assist.types import Chunk, Document

MANIFEST_KEY = "manifest"
_BATCH = 1000


def read_manifest(client: Any, names: Names, replicas: int) -> tuple[Manifest, bool] | None:
    """The generation's manifest and whether its build completed; None when it has none."""
    if not client.has_collection(names.meta):
        return None
    ensure_loaded(client, names, replicas)
    rows = client.get(names.meta, ids=[MANIFEST_KEY], output_fields=["payload"])
    if not rows:
        return None
    raw: dict[str, Any] = json.loads(rows[0]["payload"])
    complete = bool(raw.pop("complete", False))
    if raw.get("format_version") != MILVUS_FORMAT_VERSION:
        raise IndexMismatchError(
            f"Milvus collection {names.passages}: index format version "
            f"{raw.get('format_version')}, this s1assist reads {MILVUS_FORMAT_VERSION}; "
            "rebuild with `s1assist index --backend milvus --rebuild`"
        )
    return Manifest(**{**raw, "files": {}}), complete


def iterate(client: Any, collection: str, fields: list[str], filter: str = "") -> Iterator[Any]:
    """Every row of a collection (or those matching `filter`), in batches."""
    rows = client.query_iterator(collection, batch_size=_BATCH, filter=filter, output_fields=fields)
    try:
        while batch := rows.next():
            yield from batch
    finally:
        rows.close()


def document_hashes(client: Any, names: Names) -> dict[str, str]:
    """doc_id -> content hash of each document the generation holds."""
    rows = iterate(client, names.documents, ["doc_id", "content_hash"], "part == 0")
    return {str(row["doc_id"]): str(row["content_hash"]) for row in rows}


class MilvusDocuments(Mapping[str, Document]):
    """Documents read from Milvus on first use and kept."""

    def __init__(self, client: Any, names: Names, count: int) -> None:
        self._client = client
        self._names = names
        self._count = count
        self._cache: dict[str, Document] = {}

    def __getitem__(self, doc_id: str) -> Document:
        cached = self._cache.get(doc_id)
        if cached is not None:
            return cached
        rows = list(
            iterate(
                self._client,
                self._names.documents,
                ["part", "payload"],
                f"doc_id == {literal(doc_id)}",
            )
        )
        if not rows:
            raise KeyError(doc_id)
        payload = "".join(row["payload"] for row in sorted(rows, key=lambda r: int(r["part"])))
        try:
            document = document_from_json(json.loads(payload))
        except (ValueError, KeyError) as exc:
            raise IndexCorruptError(
                f"Milvus collection {self._names.documents}: document {doc_id!r} cannot be read "
                f"({exc}); rebuild"
            ) from None
        self._cache[doc_id] = document
        return document

    def __iter__(self) -> Iterator[str]:
        for row in iterate(self._client, self._names.documents, ["doc_id"], "part == 0"):
            yield str(row["doc_id"])

    def __len__(self) -> int:
        return self._count


class MilvusChunks(Sequence[Chunk]):
    """Every passage, read from Milvus on first use (warm-up and evaluation need them; a
    search does not)."""

    def __init__(self, client: Any, names: Names, count: int) -> None:
        self._client = client
        self._names = names
        self._count = count
        self._rows: tuple[Chunk, ...] | None = None

    def _all(self) -> tuple[Chunk, ...]:
        if self._rows is None:
            chunks = [
                chunk_from_json(row)
                for row in iterate(self._client, self._names.passages, PASSAGE_FIELDS)
            ]
            self._rows = tuple(sorted(chunks, key=lambda c: (c.doc_id, c.start)))
        return self._rows

    @overload
    def __getitem__(self, i: int) -> Chunk: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Chunk]: ...

    def __getitem__(self, i: int | slice) -> Chunk | Sequence[Chunk]:
        return self._all()[i]

    def __len__(self) -> int:
        return self._count


class MilvusTerms(LexicalIndex):
    """Document frequencies of our tokenizer's terms, read from Milvus as queries need them
    and kept; BM25 candidates themselves come from Milvus."""

    def __init__(self, client: Any, names: Names, passages: int) -> None:
        self._client = client
        self._names = names
        self._passages = passages
        self._df: dict[str, int] = {}

    @property
    def size(self) -> int:
        return self._passages

    def scores(self, tokens: Sequence[str]) -> Any:
        raise NotImplementedError("BM25 candidates of a Milvus index come from Milvus")

    def save(self, folder: Path) -> None:
        raise NotImplementedError("a Milvus index is saved in Milvus")

    def frequencies(self, tokens: Sequence[str]) -> dict[str, int]:
        """df of each token (0 when no passage has it), one call for those not seen yet."""
        missing = sorted({t for t in tokens if t not in self._df})
        if missing:
            rows = self._client.get(self._names.terms, ids=missing, output_fields=["df"])
            found = {str(row["term"]): int(row["df"]) for row in rows}
            self._df.update({t: found.get(t, 0) for t in missing})
        return {t: self._df[t] for t in tokens}

    def idfs(self, tokens: Sequence[str]) -> dict[str, float]:
        """The idf of each token some passage has, as `LexicalIndex.idf` computes it."""
        n = self.size
        return {
            t: math.log(1 + (n - df + 0.5) / (df + 0.5))
            for t, df in self.frequencies(tokens).items()
            if df > 0
        }

    def idf(self, token: str) -> float | None:
        return self.idfs([token]).get(token)


class MilvusIndex:
    """The live generation of a Milvus index, as a `LoadedIndex`, and the client to search it."""

    def __init__(self, client: Any, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.names, self.loaded = self._open()

    def _open(self) -> tuple[Names, LoadedIndex]:
        cfg = self.settings.milvus
        names = require_live(self.client, cfg)
        where = f"Milvus collection {names.passages} (alias {cfg.collection!r} at {cfg.uri})"
        found = read_manifest(self.client, names, cfg.replicas)
        if found is None or not found[1]:
            raise IndexCorruptError(f"{where}: no complete build recorded; rebuild")
        manifest = found[0]
        if manifest.model != self.settings.model.name:
            raise IndexMismatchError(
                f"{where}: index built with model {manifest.model!r}, but the settings use "
                f"{self.settings.model.name!r}; rebuild with "
                "`s1assist index --backend milvus --rebuild`"
            )
        stats = self.client.get_collection_stats(names.passages)
        count = int(manifest.counts.get("chunks", -1))
        if int(stats.get("row_count", -1)) != count:
            raise IndexCorruptError(
                f"{where}: {stats.get('row_count')} passages, the manifest says {count}; rebuild"
            )
        loaded = LoadedIndex(
            folder=Path(names.passages),
            manifest=manifest,
            chunks=MilvusChunks(self.client, names, count),
            documents=MilvusDocuments(self.client, names, int(manifest.counts["documents"])),
            dense=None,
            lexical=MilvusTerms(self.client, names, count),
            vectors=np.zeros((0, manifest.dimension), dtype=np.float32),
        )
        return names, loaded

    def refresh(self) -> None:
        """Follow the alias when a build has switched it since the last search."""
        current = require_live(self.client, self.settings.milvus)
        if current != self.names:
            self.names, self.loaded = self._open()


def open_milvus_index(settings: Settings, client: Any | None = None) -> MilvusIndex:
    return MilvusIndex(client if client is not None else connect(settings.milvus), settings)


def milvus_status(
    documents: Sequence[Document], settings: Settings, client: Any | None = None
) -> IndexStatus:
    """Whether the live generation matches this corpus and these settings, and if not, why."""
    from s1assist.index.milvus.schema import live_names

    client = client if client is not None else connect(settings.milvus)
    names = live_names(client, settings.milvus.collection)
    if names is None:
        return IndexStatus(False, (f"no Milvus index {settings.milvus.collection!r} yet",))
    found = read_manifest(client, names, settings.milvus.replicas)
    if found is None or not found[1]:
        return IndexStatus(False, (f"Milvus collection {names.passages} is incomplete",))
    manifest = found[0]
    reasons: list[str] = []
    if manifest.model != settings.model.name:
        reasons.append(f"model changed: {manifest.model} -> {settings.model.name}")
    if manifest.chunking != settings.chunking.model_dump():
        reasons.append("chunking settings changed")
    if manifest.bm25 != {"k1": settings.index.bm25_k1, "b": settings.index.bm25_b}:
        reasons.append("BM25 settings changed")
    current = {doc.doc_id: doc.content_hash for doc in documents}
    held = document_hashes(client, names)
    reasons += [f"new document: {d}" for d in sorted(current.keys() - held.keys())]
    reasons += [f"removed document: {d}" for d in sorted(held.keys() - current.keys())]
    reasons += [
        f"changed document: {d}"
        for d in sorted(current.keys() & held.keys())
        if current[d] != held[d]
    ]
    return IndexStatus(not reasons, tuple(reasons))
