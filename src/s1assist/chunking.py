"""Documents -> section-aware chunks on sentence boundaries, with exact offsets."""

from __future__ import annotations

from collections.abc import Iterable

from s1assist.config import ChunkSettings
from s1assist.sentences import sentence_spans, word_count
from s1assist.types import Chunk, Document, Section, content_id


def chunk_documents(documents: Iterable[Document], settings: ChunkSettings) -> list[Chunk]:
    return [chunk for doc in documents for chunk in chunk_document(doc, settings)]


def chunk_document(doc: Document, settings: ChunkSettings) -> list[Chunk]:
    """Chunks never span two sections, and a heading alone is never a chunk."""
    return [
        _chunk(doc, section, start, end)
        for section in doc.sections
        for start, end in _pack(doc.text, section, settings)
    ]


def _pack(text: str, section: Section, settings: ChunkSettings) -> list[tuple[int, int]]:
    sentences = [
        (s, e, word_count(text[s:e])) for s, e in sentence_spans(text, section.start, section.end)
    ]
    groups: list[list[tuple[int, int, int]]] = []
    current: list[tuple[int, int, int]] = []
    words = 0
    for sentence in sentences:
        if current and (words >= settings.target_words or words + sentence[2] > settings.max_words):
            groups.append(current)
            current, words = [], 0
        current.append(sentence)
        words += sentence[2]
    if current:
        groups.append(current)
    if len(groups) > 1:
        last_words = sum(w for *_, w in groups[-1])
        before_words = sum(w for *_, w in groups[-2])
        if last_words < settings.min_words and before_words + last_words <= settings.max_words:
            groups[-2:] = [groups[-2] + groups[-1]]
    return [(group[0][0], group[-1][1]) for group in groups]


def _chunk(doc: Document, section: Section, start: int, end: int) -> Chunk:
    text = doc.text[start:end]
    return Chunk(
        chunk_id=content_id(doc.doc_id, section.heading, str(start), text),
        doc_id=doc.doc_id,
        title=doc.title,
        section=section.heading,
        text=text,
        start=start,
        end=end,
        kind=doc.kind,
        block=section.block,
    )
