"""Source files to raw text lines, one reader per format; nothing is cleaned here.

A "Source: https://..." line is the document's address, not its text: it is taken out of
the lines and kept as metadata, as are an HTML page's canonical link and a PDF's title.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path

from s1assist.errors import CorpusError

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".pdf"})
_SOURCE_LINE = re.compile(r"^\s*(?:source|url|original)\s*:\s*<?(https?://[^\s<>]+)>?\s*$", re.I)
_SENTENCE_END = ".?!:;"


@dataclass(frozen=True, slots=True)
class RawLine:
    """A line of a source with what its markup says about it."""

    text: str
    heading: bool = False
    indent: int = 0
    """Leading spaces in the source; set when lines are stripped for cleaning."""


@dataclass(frozen=True, slots=True)
class RawSource:
    path: Path
    lines: tuple[RawLine, ...]
    title: str | None = None
    url: str | None = None
    """From a "Source: URL" line, an HTML canonical link or og:url."""
    page_lines: tuple[int, ...] = ()
    """For a PDF: the index in `lines` of the first line of each page."""


def read_source(path: Path, max_bytes: int) -> RawSource:
    """Read one file; raise `CorpusError` naming the file and the problem."""
    size = path.stat().st_size
    if size == 0:
        raise CorpusError(f"{path}: empty file (0 bytes)")
    if size > max_bytes:
        raise CorpusError(
            f"{path}: {size:,} bytes is over the limit of {max_bytes:,} bytes "
            "(setting corpus.max_file_bytes)"
        )
    if path.suffix.lower() == ".pdf":
        return _take_source_line(_read_pdf(path))
    return _take_source_line(_read_text(path))


def _read_text(path: Path) -> RawSource:
    data = path.read_bytes()
    nul = data.find(b"\x00")
    if nul != -1:
        raise CorpusError(f"{path}: binary file (NUL byte at byte {nul})")
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 at byte {bom + exc.start}") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    suffix = path.suffix.lower()
    if suffix in {".html", ".htm"}:
        return _read_html(path, text)
    if suffix == ".md":
        return RawSource(path, tuple(_markdown_line(line) for line in text.split("\n")))
    return RawSource(path, tuple(RawLine(line) for line in text.split("\n")))


def _markdown_line(line: str) -> RawLine:
    stripped = line.lstrip()
    if stripped.startswith("#"):
        return RawLine(stripped.lstrip("#").strip(), heading=True)
    return RawLine(line)


_BLOCK_TAGS = frozenset(
    """p div section article header footer li ul ol table tr br h1 h2 h3 h4 h5 h6 title
    blockquote pre main nav aside dt dd""".split()
)
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "nav", "footer", "svg", "form"})
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[RawLine] = []
        self.title: str | None = None
        self.url: str | None = None
        self._buffer: list[str] = []
        self._skip_depth = 0
        self._in_heading = False
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        canonical = tag == "link" and (values.get("rel") or "").lower() == "canonical"
        og_url = tag == "meta" and values.get("property") == "og:url"
        address = values.get("href") if canonical else values.get("content") if og_url else None
        # The canonical link wins over og:url, whichever comes first.
        if address and address.startswith(("http://", "https://")) and (canonical or not self.url):
            self.url = address
        if tag in _SKIPPED_TAGS:
            self._skip_depth += 1
        if tag in _BLOCK_TAGS:
            self._flush()
        self._in_heading = self._in_heading or tag in _HEADING_TAGS
        self._in_title = self._in_title or tag == "title"
        if tag == "li":
            self._buffer.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS and self._skip_depth:
            self._skip_depth -= 1
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag in _HEADING_TAGS:
            self._in_heading = False
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._in_title:
            self.title = (self.title or "") + data.strip()
            return
        self._buffer.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._buffer).split())
        self._buffer = []
        if text and text != "-":
            self.lines.append(RawLine(text, heading=self._in_heading))

    def close(self) -> None:
        super().close()
        self._flush()


def _read_html(path: Path, text: str) -> RawSource:
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    return RawSource(path, tuple(parser.lines), title=parser.title or None, url=parser.url)


def _take_source_line(source: RawSource) -> RawSource:
    """The first "Source: URL" line becomes the document's URL and leaves its text."""
    for i, line in enumerate(source.lines):
        match = _SOURCE_LINE.match(line.text)
        if match:
            lines = source.lines[:i] + source.lines[i + 1 :]
            pages = tuple(p - 1 if p > i else p for p in source.page_lines)
            return replace(source, lines=lines, url=source.url or match.group(1), page_lines=pages)
    return source


def _read_pdf(path: Path) -> RawSource:
    """A PDF's text page by page (pypdf), wrapped lines joined into paragraphs."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise CorpusError(f"{path}: encrypted PDF; save an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise CorpusError(f"{path}: not a readable PDF ({exc})") from None
    lines: list[RawLine] = []
    starts: list[int] = []
    for text in pages:
        starts.append(len(lines))
        lines.extend(RawLine(paragraph) for paragraph in _paragraphs(text))
    if not any(line.text.strip() for line in lines):
        raise CorpusError(f"{path}: the PDF has no text layer (a scan?); nothing to index")
    return RawSource(
        path, tuple(lines), title=(title or "").strip() or None, page_lines=tuple(starts)
    )


def _paragraphs(text: str) -> list[str]:
    """Layout lines -> paragraphs: a line that ends mid-sentence runs on into the next."""
    out: list[str] = []
    current = ""
    for raw in text.replace("\r", "\n").split("\n"):
        line = " ".join(raw.split())
        if not line:
            if current:
                out.append(current)
            current = ""
            continue
        if current and current[-1] not in _SENTENCE_END and line[0].islower():
            joined = current[:-1] if current.endswith("-") else f"{current} "
            current = joined + line
            continue
        if current:
            out.append(current)
        current = line
    if current:
        out.append(current)
    return out
