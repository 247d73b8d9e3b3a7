"""Chunks: exact offsets, one section each, never a bare heading, bounded in size."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from s1assist.chunking import chunk_document, chunk_documents
from s1assist.config import ChunkSettings
from s1assist.corpus import load_corpus
from s1assist.sentences import sentence_spans, word_count
from s1assist.types import Chunk, Document, EvidenceBlock, Section, SourceKind

DEFAULT = ChunkSettings()
SMALL = ChunkSettings(min_words=5, target_words=20, max_words=40)


@pytest.fixture(scope="module", params=[DEFAULT, SMALL], ids=["default", "small"])
def chunked(request: pytest.FixtureRequest, corpus_documents) -> tuple[ChunkSettings, list]:
    settings: ChunkSettings = request.param
    pairs = [(doc, chunk) for doc in corpus_documents for chunk in chunk_document(doc, settings)]
    return settings, pairs


def section_of(doc: Document, chunk: Chunk) -> Section:
    matches = [s for s in doc.sections if s.start <= chunk.start and chunk.end <= s.end]
    assert len(matches) == 1, f"{chunk.chunk_id} is not inside exactly one section"
    return matches[0]


def test_every_chunk_is_an_exact_slice_of_its_document(chunked) -> None:
    _, pairs = chunked
    assert pairs
    for doc, chunk in pairs:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.doc_id == doc.doc_id
        assert chunk.title == doc.title
        assert chunk.kind is doc.kind


def test_no_chunk_spans_two_sections(chunked) -> None:
    _, pairs = chunked
    for doc, chunk in pairs:
        section = section_of(doc, chunk)
        assert chunk.section == section.heading
        assert chunk.block is section.block


def test_no_chunk_is_only_a_heading(chunked) -> None:
    _, pairs = chunked
    for doc, chunk in pairs:
        all_headings = {section.heading for section in doc.sections} | {doc.title}
        assert chunk.text.strip() not in all_headings
        assert not chunk.text.startswith(chunk.section), "the heading leaked into the body"
        assert sentence_spans(doc.text, chunk.start, chunk.end), "a chunk with no sentence"


def test_chunks_cover_every_sentence_of_every_section_once(chunked) -> None:
    _, pairs = chunked
    by_doc: dict[str, list[Chunk]] = {}
    docs = {}
    for doc, chunk in pairs:
        by_doc.setdefault(doc.doc_id, []).append(chunk)
        docs[doc.doc_id] = doc
    for doc_id, chunks in by_doc.items():
        doc = docs[doc_id]
        spans = sorted((c.start, c.end) for c in chunks)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))
        for section in doc.sections:
            for s, e in sentence_spans(doc.text, section.start, section.end):
                covering = [c for c in chunks if c.start <= s and e <= c.end]
                assert len(covering) == 1, f"{doc_id}: {doc.text[s:e]!r} in {len(covering)} chunks"


def test_word_counts_stay_within_bounds(chunked) -> None:
    settings, pairs = chunked
    for doc, chunk in pairs:
        words = word_count(chunk.text)
        single = len(sentence_spans(doc.text, chunk.start, chunk.end)) == 1
        assert words <= settings.max_words or single, f"{chunk.section}: {words} words"


def test_a_short_last_chunk_merges_into_the_one_before(chunked) -> None:
    """The last chunk of a section is under min_words only when it is the whole section or
    merging it into the chunk before would pass max_words."""
    settings, pairs = chunked
    for index, (_, chunk) in enumerate(pairs):
        following = pairs[index + 1][1] if index + 1 < len(pairs) else None
        is_last = following is None or (following.doc_id, following.section) != (
            chunk.doc_id,
            chunk.section,
        )
        words = word_count(chunk.text)
        if not is_last or words >= settings.min_words:
            continue
        previous = pairs[index - 1][1] if index else None
        alone = previous is None or (previous.doc_id, previous.section) != (
            chunk.doc_id,
            chunk.section,
        )
        assert alone or word_count(previous.text) + words > settings.max_words, (
            f"{chunk.section}: a {words}-word last chunk that should have merged"
        )


def test_real_corpus_chunk_count_and_ids(corpus_documents) -> None:
    chunks = chunk_documents(corpus_documents, DEFAULT)
    assert len(chunks) == 43
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_chunk_ids_are_stable_across_runs(corpus_dir: Path, corpus_documents) -> None:
    first = [c.chunk_id for c in chunk_documents(corpus_documents, DEFAULT)]
    reloaded = load_corpus(corpus_dir).documents
    second = [c.chunk_id for c in chunk_documents(reloaded, DEFAULT)]
    assert first == second


# A made-up document whose chunks are known in advance.

A1 = "One two three four five six."
A2 = "Seven eight nine ten eleven twelve."
A3 = "Alpha beta gamma delta epsilon zeta."
A4 = "Eta theta iota kappa lambda mu."
A5 = "Short tail here."
B1 = " ".join(f"word{i}" for i in range(25)) + "."
B2 = "Then a short one."
C_BODY = "• Heat\n• Ice"
TINY = ChunkSettings(min_words=5, target_words=10, max_words=20)


def made_up_document() -> Document:
    body_a = f"{A1} {A2}\n\n{A3} {A4} {A5}"
    text = (
        f"Made-up title\n\nFirst heading\n\n{body_a}\n\nSecond heading\n\n{B1} {B2}\n\n"
        f"Research bit\n\n{C_BODY}"
    )
    a = text.index(A1)
    b = text.index(B1)
    c = text.index(C_BODY)
    sections = (
        Section("First heading", a, a + len(body_a)),
        Section("Second heading", b, text.index(B2) + len(B2)),
        Section("Research bit", c, c + len(C_BODY), EvidenceBlock.RESEARCH),
    )
    return Document(
        doc_id="made-up",
        title="Made-up title",
        kind=SourceKind.RESEARCH,
        text=text,
        sections=sections,
    )


def test_made_up_document_gives_the_expected_chunks() -> None:
    doc = made_up_document()
    chunks = chunk_document(doc, TINY)
    assert [(c.section, c.text) for c in chunks] == [
        # 6 + 6 words reach the target of 10: the chunk closes.
        ("First heading", f"{A1} {A2}"),
        # The 3-word tail is under min_words and merges back (12 + 3 <= 20).
        ("First heading", f"{A3} {A4} {A5}"),
        # A 25-word sentence is longer than max_words: it stands alone, unsplit.
        ("Second heading", B1),
        # 4 words, but merging would make 29 > 20 words: it stays on its own.
        ("Second heading", B2),
        ("Research bit", C_BODY),
    ]
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.doc_id == "made-up"
        assert chunk.kind is SourceKind.RESEARCH
    assert [c.block for c in chunks] == [EvidenceBlock.NONE] * 4 + [EvidenceBlock.RESEARCH]


def test_without_merging_the_short_tail_is_its_own_chunk() -> None:
    doc = made_up_document()
    settings = ChunkSettings(min_words=3, target_words=10, max_words=20)
    texts = [c.text for c in chunk_document(doc, settings) if c.section == "First heading"]
    assert texts == [f"{A1} {A2}", f"{A3} {A4}", A5]


def test_a_chunk_id_changes_with_its_text_and_only_then() -> None:
    doc = made_up_document()
    before = chunk_document(doc, TINY)
    edited = doc.text.replace("Then a short one.", "Then a short two.")
    after = chunk_document(Document(doc.doc_id, doc.title, doc.kind, edited, doc.sections), TINY)
    changed = [a.text for a, b in zip(before, after, strict=True) if a.chunk_id != b.chunk_id]
    assert changed == ["Then a short one."]
