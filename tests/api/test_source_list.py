"""The Markdown Sources list and the page a PDF offset falls on (pure functions)."""

from __future__ import annotations

from s1assist.api.source_list import CitedSource, markdown_sources, page_at, shorten
from s1assist.types import Document, SourceKind


def test_a_long_quote_is_cut_on_a_word_with_an_ellipsis() -> None:
    quote = "The S1 nerve root supplies the calf and the sole of the foot " * 4
    short = shorten(quote, 50)
    assert short.endswith("…") and len(short) <= 50
    assert quote.startswith(short[:-1])
    assert shorten("A short quote.", 50) == "A short quote."


def test_each_line_names_its_number_place_kind_quote_and_url() -> None:
    sources = [
        CitedSource(1, "S1 *nerve*", "Causes", "guideline summary", "It hurts.", None, None),
        CitedSource(2, "A PDF", "", "research summary", "Page four.", "https://x.org/a", 4),
    ]
    assert markdown_sources(sources).split("\n") == [
        "**Sources**",
        "",
        '1. S1 \\*nerve\\* › Causes (guideline summary): "It hurts."',
        '2. A PDF, p. 4 (research summary): "Page four." <https://x.org/a>',
    ]
    assert markdown_sources([]) == ""


def test_an_offset_falls_on_its_page() -> None:
    doc = Document("d", "D", SourceKind.WEB_PAGE, "a" * 30, (), pages=(0, 10, 20))
    assert [page_at(doc, offset) for offset in (0, 9, 10, 25)] == [1, 1, 2, 3]
    plain = Document("d", "D", SourceKind.WEB_PAGE, "a" * 30, ())
    assert page_at(plain, 5) is None
