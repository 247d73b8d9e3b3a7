"""A BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) -> documents, queries, qrels."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s1assist.errors import CorpusError
from s1assist.types import Document, Section, SourceKind

CORPUS = "corpus.jsonl"
QUERIES = "queries.jsonl"
QRELS = Path("qrels") / "test.tsv"
_QRELS_HEADER = ["query-id", "corpus-id", "score"]


@dataclass(frozen=True, slots=True)
class BeirDataset:
    """One BEIR test split; `queries` holds only the questions that have judgements."""

    name: str
    documents: tuple[Document, ...]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    """query id -> passage id -> graded relevance (0 means judged not relevant)."""


def passage_document(passage_id: str, title: str, text: str) -> Document:
    """A passage as a one-section document; the section heading is the passage title, so
    the title is searched with the text (an empty title adds nothing)."""
    digest = hashlib.sha256(
        "\x1f".join([passage_id, title, SourceKind.RESEARCH.value, text]).encode("utf-8")
    ).hexdigest()
    return Document(
        doc_id=passage_id,
        title=title or passage_id,
        kind=SourceKind.RESEARCH,
        text=text,
        sections=(Section(heading=title, start=0, end=len(text)),),
        content_hash=digest,
    )


def load_beir(folder: Path, *, limit: int | None = None) -> BeirDataset:
    """Read a BEIR folder; `limit` keeps the first judged queries (for quick runs)."""
    if not folder.is_dir():
        raise CorpusError(f"{folder}: BEIR folder not found")
    documents: list[Document] = []
    seen: set[str] = set()
    for where, row in _jsonl(folder / CORPUS):
        passage_id = _field(row, "_id", where)
        if passage_id in seen:
            raise CorpusError(f"{where}: passage id {passage_id!r} appears twice")
        seen.add(passage_id)
        title = row.get("title") or ""
        documents.append(passage_document(passage_id, str(title), _field(row, "text", where)))
    if not documents:
        raise CorpusError(f"{folder / CORPUS}: no passages")
    texts = {
        _field(row, "_id", where): _field(row, "text", where)
        for where, row in _jsonl(folder / QUERIES)
    }
    qrels = _qrels(folder / QRELS)
    missing = sorted(qrels.keys() - texts.keys())
    if missing:
        raise CorpusError(
            f"{folder / QRELS}: {len(missing)} judged queries are not in {QUERIES}, "
            f"e.g. {missing[0]!r}"
        )
    judged = [query_id for query_id in texts if query_id in qrels][:limit]
    if not judged:
        raise CorpusError(f"{folder / QRELS}: no judged queries")
    return BeirDataset(
        name=folder.resolve().name,
        documents=tuple(documents),
        queries={query_id: texts[query_id] for query_id in judged},
        qrels={query_id: qrels[query_id] for query_id in judged},
    )


def _jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path:line, object) for each non-blank line."""
    if not path.is_file():
        raise CorpusError(f"{path}: file not found")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{where}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise CorpusError(f"{where}: expected a JSON object")
            yield where, row


def _field(row: dict[str, Any], name: str, where: str) -> str:
    value = row.get(name)
    if not isinstance(value, str):
        raise CorpusError(f"{where}: field {name!r} missing or not a string")
    return value


def _qrels(path: Path) -> dict[str, dict[str, int]]:
    if not path.is_file():
        raise CorpusError(f"{path}: file not found")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        header = next(rows, None)
        if header != _QRELS_HEADER:
            raise CorpusError(f"{path}: header {header!r}, expected {_QRELS_HEADER!r}")
        for number, row in enumerate(rows, start=2):
            if not row:
                continue
            try:
                query_id, passage_id, score = row
                qrels.setdefault(query_id, {})[passage_id] = int(score)
            except ValueError:
                raise CorpusError(
                    f"{path}:{number}: expected query-id, corpus-id and an integer score"
                ) from None
    return qrels
