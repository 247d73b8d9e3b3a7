"""Site chrome out, references aside, sections found: raw lines -> cleaned text and spans.

Nothing here edits a file: the cleaned text is built from the lines that are kept, and
every offset a chunk or citation carries points into that cleaned text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from s1assist.corpus.reader import RawLine, RawSource
from s1assist.sentences import is_bullet, strip_bullet
from s1assist.types import EvidenceBlock, Section

# Whole lines that are site chrome wherever they appear.
_CHROME_LINE = re.compile(
    r"^(?:skip to (?:main )?content|help us tailor your experience|personali[sz]e|"
    r"which best describes you\?.*|have a follow-up question\?|article review status|"
    r"submitted|under review|approved|related questions|.*view editorial policy.*|"
    r"medical advisory board.*|educational purpose only.*|.*\bdisclaimer)$",
    re.IGNORECASE,
)
# Headings whose whole section is chrome (a disclaimer, an advert for the site's chat).
_CHROME_SECTION = re.compile(
    r"disclaimer|have a follow-up question|related questions|help us tailor", re.IGNORECASE
)
_REFERENCES_HEADING = re.compile(
    r"^(?:references|sources|bibliography|citations|works cited)$", re.IGNORECASE
)
_NUMBERED_ITEM = re.compile(r"^\d{1,3}\.\s+\S")
_BLOCK_MARKERS = {
    re.compile(r"^from the guidelines?$", re.IGNORECASE): EvidenceBlock.GUIDELINES,
    re.compile(r"^from the research$", re.IGNORECASE): EvidenceBlock.RESEARCH,
}
_DATE = re.compile(
    r"(?:last updated|updated|published)\s*:?\s*([A-Z][a-z]+ \d{1,2}, \d{4})", re.IGNORECASE
)
# Repetition across documents marks a line as chrome only when it looks like navigation: a
# short line with no sentence or question punctuation that is a menu item (a separator or a
# site word) or sits beside another such repeated line (a menu, a footer). Shared paragraphs
# and shared headings are content: pages of one site answer related questions alike.
_NAV_MAX_WORDS = 8
_NAV_SEPARATOR = re.compile(r"\s[|›»·•>/]\s|^[|›»·•>]|[|›»·•>]$")
_NAV_WORDS = re.compile(
    r"^(?:home|menu|main menu|search|share|share this(?: page| article)?|print|email|"
    r"next|previous|back|back to top|top of page|sign in|sign up|log in|log out|register|"
    r"subscribe|newsletter|contact us|about us|privacy policy|terms of use|cookie settings|"
    r"site map|sitemap|follow us|facebook|twitter|linkedin|instagram|youtube)$",
    re.IGNORECASE,
)
_HEADING_MAX_WORDS = 12
_QUESTION_MAX_WORDS = 20
_REFERENCE_MAX_WORDS = 16


@dataclass(frozen=True, slots=True)
class Cleaned:
    text: str
    sections: tuple[Section, ...]
    references: tuple[str, ...]
    first_heading: str | None
    date: str | None


def _normalize(line: str) -> str:
    return " ".join(line.lower().split())


def looks_like_navigation(text: str) -> bool:
    """Short, and neither a sentence nor a question: what a menu or footer line looks like."""
    stripped = text.strip()
    return (
        0 < len(stripped.split()) <= _NAV_MAX_WORDS
        and stripped[-1] not in ".?!;:,"
        and not is_bullet(stripped)
    )


def repeated_lines(sources: Iterable[RawSource]) -> frozenset[str]:
    """Navigation-like lines found in more than one document (normalized); `clean` drops
    those that are menu items or sit beside another of them."""
    counts: Counter[str] = Counter()
    for source in sources:
        counts.update(
            {_normalize(line.text) for line in source.lines if looks_like_navigation(line.text)}
        )
    return frozenset(line for line, count in counts.items() if count > 1)


def _repeated_navigation(lines: Sequence[RawLine], repeated: frozenset[str]) -> set[int]:
    """Indexes of the lines that repetition marks as chrome: repeated, navigation-like, and
    a menu item by their own look or beside another repeated navigation line."""
    candidates = [
        _normalize(line.text) in repeated and looks_like_navigation(line.text) for line in lines
    ]
    marked: set[int] = set()
    for i, line in enumerate(lines):
        if not candidates[i]:
            continue
        menu_item = bool(_NAV_SEPARATOR.search(line.text) or _NAV_WORDS.match(line.text))
        beside = (i > 0 and candidates[i - 1]) or (i + 1 < len(lines) and candidates[i + 1])
        if menu_item or beside:
            marked.add(i)
    return marked


def is_heading(line: RawLine, is_last: bool) -> bool:
    """Question headings, markup headings and short title lines without end punctuation."""
    text = line.text
    if line.heading:
        return True
    if is_bullet(text):
        return False
    words = len(text.split())
    if text.endswith("?"):
        return words <= _QUESTION_MAX_WORDS
    return (
        not is_last
        and words <= _HEADING_MAX_WORDS
        and text[-1] not in ".:;,!"
        and (text[0].isupper() or text[0].isdigit())
    )


def clean(source: RawSource, repeated: frozenset[str]) -> Cleaned:
    """Drop chrome, set references aside, and lay out the kept lines with their sections."""
    lines = [
        RawLine(line.text.strip(), line.heading, len(line.text) - len(line.text.lstrip()))
        for line in source.lines
        if line.text.strip()
    ]
    date = _find_date(line.text for line in lines)
    lines, references = _split_references(lines)
    kept = _drop_chrome(lines, repeated)
    return _layout(kept, references, date)


def _find_date(lines: Iterable[str]) -> str | None:
    for line in lines:
        if match := _DATE.search(line):
            try:
                return datetime.strptime(match.group(1), "%B %d, %Y").date().isoformat()
            except ValueError:
                continue
    return None


def _split_references(lines: list[RawLine]) -> tuple[list[RawLine], tuple[str, ...]]:
    """A "References" section, or a trailing numbered list, is metadata, not passages."""
    for i, line in enumerate(lines):
        if _REFERENCES_HEADING.match(line.text):
            end = next(
                (j for j in range(i + 1, len(lines)) if _CHROME_SECTION.search(lines[j].text)),
                len(lines),
            )
            return lines[:i] + lines[end:], tuple(line.text for line in lines[i + 1 : end])
    tail = len(lines)
    while tail > 0 and _is_reference_item(lines[tail - 1]):
        tail -= 1
    if len(lines) - tail >= 2:
        return lines[:tail], tuple(
            line.text[strip_bullet(line.text, 0, len(line.text)) :] for line in lines[tail:]
        )
    return lines, ()


def _is_reference_item(line: RawLine) -> bool:
    """An indented, numbered title such as "  3. Is Your Sciatica Coming From Your Spine?";
    a flush-left numbered list ("1. Rest for two days") is content and stays."""
    text = line.text
    return (
        line.indent > 0
        and bool(_NUMBERED_ITEM.match(text))
        and not text.endswith(".")
        and len(text.split()) <= _REFERENCE_MAX_WORDS
    )


def _drop_chrome(lines: Sequence[RawLine], repeated: frozenset[str]) -> list[tuple[RawLine, bool]]:
    kept: list[tuple[RawLine, bool]] = []
    in_chrome_section = False
    navigation = _repeated_navigation(lines, repeated)
    for i, line in enumerate(lines):
        heading = is_heading(line, is_last=i == len(lines) - 1)
        if heading:
            in_chrome_section = bool(_CHROME_SECTION.search(line.text))
        if in_chrome_section or _CHROME_LINE.match(line.text):
            continue
        if i in navigation:
            continue
        kept.append((line, heading))
    return kept


def _layout(
    kept: list[tuple[RawLine, bool]], references: tuple[str, ...], date: str | None
) -> Cleaned:
    parts: list[str] = []
    offset = 0
    sections: list[Section] = []
    heading: str | None = None
    first_heading: str | None = None
    block = EvidenceBlock.NONE
    body_start: int | None = None
    body_end = 0

    def close_section() -> None:
        if body_start is not None:
            sections.append(Section(heading or "", body_start, body_end, block))

    previous_bullet = False
    for line, is_head in kept:
        bullet = is_bullet(line.text)
        if parts:
            separator = "\n" if bullet and previous_bullet else "\n\n"
            parts.append(separator)
            offset += len(separator)
        start = offset
        parts.append(line.text)
        offset += len(line.text)
        previous_bullet = bullet
        if is_head:
            close_section()
            body_start = None
            marker = next((b for rx, b in _BLOCK_MARKERS.items() if rx.match(line.text)), None)
            block = marker or block
            heading = line.text
            first_heading = first_heading or line.text
            continue
        if body_start is None:
            body_start = start
        body_end = offset
    close_section()
    return Cleaned("".join(parts), tuple(sections), references, first_heading, date)
