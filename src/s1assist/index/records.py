"""Chunks and documents to and from JSON lines: plain files, no pickle."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from s1assist.types import Chunk, Document, EvidenceBlock, Section, SourceKind


def chunk_to_json(chunk: Chunk) -> dict[str, Any]:
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
    }


def chunk_from_json(row: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id=row["chunk_id"],
        doc_id=row["doc_id"],
        title=row["title"],
        section=row["section"],
        text=row["text"],
        start=int(row["start"]),
        end=int(row["end"]),
        kind=SourceKind(row["kind"]),
        block=EvidenceBlock(row["block"]),
    )


def document_to_json(doc: Document) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "kind": doc.kind.value,
        "text": doc.text,
        "sections": [[s.heading, s.start, s.end, s.block.value] for s in doc.sections],
        "path": doc.path,
        "date": doc.date,
        "url": doc.url,
        "references": list(doc.references),
        "content_hash": doc.content_hash,
        "pages": list(doc.pages),
    }


def document_from_json(row: dict[str, Any]) -> Document:
    return Document(
        doc_id=row["doc_id"],
        title=row["title"],
        kind=SourceKind(row["kind"]),
        text=row["text"],
        sections=tuple(
            Section(heading, int(start), int(end), EvidenceBlock(block))
            for heading, start, end, block in row["sections"]
        ),
        path=row.get("path", ""),
        date=row.get("date"),
        url=row.get("url"),
        references=tuple(row.get("references", ())),
        content_hash=row.get("content_hash", ""),
        pages=tuple(int(p) for p in row.get("pages", ())),
    )


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
