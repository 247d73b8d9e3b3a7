"""Sentence boundaries as character spans, so every sentence stays an exact slice."""

from __future__ import annotations

import re

# A period after one of these does not end a sentence.
_ABBREVIATIONS = frozenset(
    "e.g i.e dr mr mrs ms prof vs etc fig al approx no st cf ca resp".split()
)
# A stop, then space and a capital; or a stop glued to a structured abstract's next label
# ("... population.METHODS: Ninety-two subjects ...").
_BOUNDARY = re.compile(
    r"[.!?][\"'”’)\]]*(?:\s+(?=[\"“‘(\[]?[A-Z0-9•\-])|(?=[A-Z]{3,}(?: [A-Z]{2,})*:))"
)
_BULLET = re.compile(r"(?:[-•*–]|\d{1,2}[.)])\s+")  # match() anchors it at pos


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences in `text[start:end]`; a line break always ends a sentence."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    line_start = start
    while line_start < end:
        newline = text.find("\n", line_start, end)
        line_end = end if newline == -1 else newline
        spans.extend(_line_spans(text, line_start, line_end))
        line_start = line_end + 1
    return spans


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        if _ends_with_abbreviation(text, cursor, match.start()):
            continue
        stop = match.end() - len(match.group()) + len(match.group().rstrip())
        spans.append((cursor, stop))
        cursor = match.end()
    spans.append((cursor, end))
    return [trimmed for span in spans if (trimmed := _trim(text, *span))]


def _ends_with_abbreviation(text: str, start: int, period: int) -> bool:
    if text[period] != ".":
        return False
    words = text[start:period].split()
    return bool(words) and words[-1].lower().lstrip("(") in _ABBREVIATIONS


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def strip_bullet(text: str, start: int, end: int) -> int:
    """The start of a sentence past a leading list marker ("- ", "• ", "1. ")."""
    match = _BULLET.match(text, start, end)
    return match.end() if match else start


def is_bullet(text: str) -> bool:
    """True for a line that starts with a list marker."""
    return strip_bullet(text, 0, len(text)) > 0


def word_count(text: str) -> int:
    return len(text.split())
