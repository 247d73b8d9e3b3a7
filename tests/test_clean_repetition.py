"""Repetition across documents removes navigation only, never shared content."""

from __future__ import annotations

from pathlib import Path

import pytest

from s1assist.corpus import load_corpus
from s1assist.corpus.clean import looks_like_navigation

SHARED_QUESTION = "What are the symptoms of sciatica?"
SHARED_HEADING = "Treatment options"
SHARED_PARAGRAPH = (
    "Sciatica is pain that travels along the path of the sciatic nerve, from the lower back "
    "through the hips and buttocks and down each leg. It usually affects one side of the body."
)
SHARED_ANSWER = "Most people get better with time and self-care treatments."
MENU = ["Home | Health Topics | Back Pain", "Share this page", "Print", "Sign up", "Contact us"]
FOOTER = ["Health Information Center", "Office of Communications"]


def page(n: int) -> str:
    own = f"Patient {n} felt the pain after lifting box number {n} at work on day {n}."
    return "\n\n".join(
        [
            *MENU,
            f"Sciatica notes, part {n}",
            SHARED_QUESTION,
            SHARED_PARAGRAPH,
            own,
            SHARED_HEADING,
            SHARED_ANSWER,
            f"Stretching helped patient {n} within {n + 2} weeks.",
            *FOOTER,
        ]
    )


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory):
    folder: Path = tmp_path_factory.mktemp("site")
    for n in range(20):
        (folder / f"page-{n:02d}.txt").write_text(page(n), encoding="utf-8")
    loaded = load_corpus(folder)
    assert len(loaded.documents) == 20
    return loaded.documents


def test_a_shared_paragraph_and_heading_stay_in_every_document(documents) -> None:
    for doc in documents:
        for text in (SHARED_QUESTION, SHARED_HEADING, SHARED_PARAGRAPH, SHARED_ANSWER):
            assert text in doc.text, f"{doc.doc_id} lost {text!r}"
        headings = [section.heading for section in doc.sections]
        assert SHARED_QUESTION in headings and SHARED_HEADING in headings, headings
        answer = next(s for s in doc.sections if s.heading == SHARED_HEADING)
        assert SHARED_ANSWER in doc.text[answer.start : answer.end]


def test_navigation_repeated_on_every_page_is_removed(documents) -> None:
    for doc in documents:
        for line in MENU + FOOTER:
            assert line not in doc.text, f"{doc.doc_id} kept {line!r}"


def test_a_menu_line_in_one_document_only_is_kept(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Print\n\nThe S1 nerve root serves the calf.", "utf-8")
    (tmp_path / "b.txt").write_text("The L5 root serves the big toe.", "utf-8")
    texts = {doc.doc_id: doc.text for doc in load_corpus(tmp_path).documents}
    assert "Print" in texts["a"]


@pytest.mark.parametrize(
    ("line", "navigation"),
    [
        ("Home | About | Contact", True),
        ("Share this page", True),
        (SHARED_QUESTION, False),
        (SHARED_PARAGRAPH, False),
        (SHARED_ANSWER, False),
        ("- Rest for two days", False),
    ],
)
def test_what_looks_like_navigation(line: str, navigation: bool) -> None:
    assert looks_like_navigation(line) is navigation
