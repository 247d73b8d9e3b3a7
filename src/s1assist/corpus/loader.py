"""A corpus folder -> cleaned `Document`s, with a word for every file that was skipped."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from s1assist.corpus.clean import Cleaned, clean, repeated_lines
from s1assist.corpus.pages import page_starts
from s1assist.corpus.reader import SUPPORTED_SUFFIXES, RawSource, read_source
from s1assist.corpus.sources import SOURCES_FILE, SourceInfo, load_sources
from s1assist.errors import CorpusError
from s1assist.types import Document


@dataclass(frozen=True, slots=True)
class CorpusLoad:
    documents: tuple[Document, ...]
    skipped: tuple[str, ...]
    """One line per file that was not used, naming the file and the reason."""
    warnings: tuple[str, ...] = ()
    """One line per document indexed on a guess: no sources.toml entry names it."""


def load_corpus(corpus_dir: Path, max_file_bytes: int = 10_000_000) -> CorpusLoad:
    """Read every supported file below `corpus_dir`; refuse a folder with nothing usable."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir}: corpus folder not found")
    sources_info = load_sources(corpus_dir)
    paths = sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)
    )
    candidates = [p for p in paths if p.suffix.lower() in SUPPORTED_SUFFIXES]
    skipped = [
        f"{p}: skipped, unsupported file type {p.suffix or '(none)'!r}"
        for p in paths
        if p.suffix.lower() not in SUPPORTED_SUFFIXES and p.name != SOURCES_FILE
    ]
    if not candidates:
        raise CorpusError(
            f"{corpus_dir}: no documents ({', '.join(sorted(SUPPORTED_SUFFIXES))}) in the folder"
        )
    raws: list[RawSource] = []
    for path in candidates:
        try:
            raws.append(read_source(path, max_file_bytes))
        except CorpusError as exc:
            skipped.append(f"{exc}; skipped")
    repeated = repeated_lines(raws)
    documents: list[Document] = []
    warnings: list[str] = []
    seen: dict[str, Path] = {}
    for raw in raws:
        doc_id = _doc_id(corpus_dir, raw.path)
        if doc_id in seen:
            raise CorpusError(f"{raw.path}: same document id {doc_id!r} as {seen[doc_id]}")
        seen[doc_id] = raw.path
        cleaned = clean(raw, repeated)
        if not cleaned.sections:
            skipped.append(f"{raw.path}: skipped, no text left after removing site chrome")
            continue
        info = sources_info.get(doc_id)
        if info is None:
            info = SourceInfo()
            warnings.append(
                f"{raw.path}: no [{doc_id}] entry in {corpus_dir / SOURCES_FILE}; "
                f"indexed as {info.kind.value!r}"
            )
        documents.append(_document(doc_id, raw, cleaned, info))
    for doc_id in sorted(sources_info.keys() - seen.keys()):
        skipped.append(f"{corpus_dir / 'sources.toml'}: [{doc_id}] names no document; ignored")
    if not documents:
        raise CorpusError(f"{corpus_dir}: no usable documents:\n  " + "\n  ".join(skipped))
    return CorpusLoad(tuple(documents), tuple(skipped), tuple(warnings))


def _doc_id(corpus_dir: Path, path: Path) -> str:
    return path.relative_to(corpus_dir).with_suffix("").as_posix()


def _document(doc_id: str, raw: RawSource, cleaned: Cleaned, info: SourceInfo) -> Document:
    title = info.title or raw.title or cleaned.first_heading or doc_id
    sections = tuple(replace(s, heading=s.heading or title) for s in cleaned.sections)
    url = info.url or raw.url
    # The URL joins the hash only when there is one, so older documents keep their hashes.
    hashed = [doc_id, title, info.kind.value, cleaned.text, *([url] if url else [])]
    digest = hashlib.sha256("\x1f".join(hashed).encode("utf-8")).hexdigest()
    return Document(
        doc_id=doc_id,
        title=title,
        kind=info.kind,
        text=cleaned.text,
        sections=sections,
        path=str(raw.path),
        date=info.date or cleaned.date,
        url=url,
        references=cleaned.references,
        content_hash=digest,
        pages=page_starts(raw, cleaned.text),
    )
