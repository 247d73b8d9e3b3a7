"""Per-document metadata from `sources.toml` beside the documents."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from s1assist.errors import CorpusError
from s1assist.types import SourceKind

SOURCES_FILE = "sources.toml"
_FIELDS = frozenset({"title", "kind", "date", "url"})


@dataclass(frozen=True, slots=True)
class SourceInfo:
    title: str | None = None
    kind: SourceKind = SourceKind.WEB_PAGE
    date: str | None = None
    url: str | None = None


def load_sources(corpus_dir: Path) -> dict[str, SourceInfo]:
    """Metadata keyed by doc id (the file name without its suffix); missing file means none."""
    path = corpus_dir / SOURCES_FILE
    if not path.exists():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: not valid TOML ({exc})") from None
    return {doc_id: _source_info(path, doc_id, entry) for doc_id, entry in table.items()}


def _source_info(path: Path, doc_id: str, entry: object) -> SourceInfo:
    if not isinstance(entry, dict):
        raise CorpusError(f"{path}: [{doc_id}] must be a table")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise CorpusError(
            f"{path}: [{doc_id}] unknown field {sorted(unknown)[0]!r}; "
            f"allowed: {', '.join(sorted(_FIELDS))}"
        )
    kind = entry.get("kind", SourceKind.WEB_PAGE.value)
    try:
        source_kind = SourceKind(kind)
    except ValueError:
        valid = ", ".join(repr(k.value) for k in SourceKind)
        raise CorpusError(f"{path}: [{doc_id}] kind {kind!r} is not one of {valid}") from None
    return SourceInfo(
        title=entry.get("title"),
        kind=source_kind,
        date=str(entry["date"]) if "date" in entry else None,
        url=entry.get("url"),
    )
