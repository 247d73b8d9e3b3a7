"""Source files to raw text lines, one reader per format; nothing is cleaned here."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from s1assist.errors import CorpusError

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm"})


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
        self._buffer: list[str] = []
        self._skip_depth = 0
        self._in_heading = False
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
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
    return RawSource(path, tuple(parser.lines), title=parser.title or None)
