"""The sources behind an answer's [n] markers, for clients that only show the message text.

Generic chat front ends drop the top-level `citations` field, which leaves bare numbers; a
Markdown "Sources" list at the end of the content survives any client. Kind, URL and page
come from the cited document, so the list needs nothing the answer does not already point at.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from s1assist.types import Answer, Citation, Document

QUOTE_CHARS = 110
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|])")


@dataclass(frozen=True, slots=True)
class CitedSource:
    """One numbered source as a person reads it under an answer."""

    n: int
    title: str
    section: str
    kind: str
    quote: str
    url: str | None
    page: int | None


def page_at(document: Document, offset: int) -> int | None:
    """The 1-based page an offset of a paginated document (a PDF) falls on."""
    if not document.pages:
        return None
    return bisect.bisect_right(document.pages, offset)


def cited_sources(
    answer: Answer, document: Callable[[str], Document | None]
) -> tuple[CitedSource, ...]:
    """The answer's citations with their document's kind, URL and page."""
    return tuple(_cited(c, document(c.doc_id)) for c in answer.citations)


def _cited(citation: Citation, doc: Document | None) -> CitedSource:
    return CitedSource(
        n=citation.n,
        title=citation.title,
        section=citation.section,
        kind=doc.kind.value if doc else "",
        quote=citation.quote,
        url=doc.url if doc else None,
        page=page_at(doc, citation.start) if doc else None,
    )


def with_sources(
    citations: list[dict[str, Any]], sources: Sequence[CitedSource]
) -> list[dict[str, Any]]:
    """Citation objects with their document's `kind`, and `url` and `page` when known
    (fields the answer object already has are kept)."""
    by_n = {source.n: source for source in sources}
    out = []
    for citation in citations:
        source = by_n.get(citation["n"])
        extra: dict[str, Any] = {}
        if source:
            fields = {"kind": source.kind, "url": source.url, "page": source.page}
            extra = {key: value for key, value in fields.items() if value is not None}
        out.append({**extra, **citation})
    return out


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return f"{cut}…"


def _escape(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def markdown_sources(sources: Sequence[CitedSource]) -> str:
    """A "Sources" list whose numbers are the [n] markers of the answer; "" for none."""
    if not sources:
        return ""
    lines = ["**Sources**", ""]
    for source in sources:
        where = _escape(source.title)
        if source.section:
            where += f" › {_escape(source.section)}"
        if source.page is not None:
            where += f", p. {source.page}"
        line = f"{source.n}. {where}"
        if source.kind:
            line += f" ({source.kind})"
        line += f': "{_escape(shorten(source.quote))}"'
        if source.url:
            line += f" <{source.url}>"
        lines.append(line)
    return "\n".join(lines)
