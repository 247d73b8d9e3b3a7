"""The answer sentences' vectors the build embeds: they are the vectors the model gives, an
answer looks them up instead of running the model, and a table made on another runtime or
in an older format is not used. Real model, real index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from s1assist.answering import gather
from s1assist.chat import Assistant
from s1assist.config import EncoderBackend, Settings
from s1assist.embedding import Encoder
from s1assist.errors import IndexMismatchError
from s1assist.index import BuildReport, LoadedIndex, build_index, load_index
from s1assist.index import sentences as sentence_table
from s1assist.index.manifest import MANIFEST
from s1assist.index.sentences import SentenceVectors, save_sentences, texts_to_embed
from s1assist.index.store import BUILDS, CURRENT
from s1assist.retrieval import Retriever
from s1assist.types import Hit

QUESTIONS = (
    "Can S1 impingement cause sciatica?",
    "Does SI joint pain show on MRI?",
    "How long does it take for L5-S1 to heal?",
)
# bf16 vectors of one text differ this much with the texts packed beside it (measured
# 8e-4 at most per component, cosine above 0.99999): the tolerance of the whole design.
TOLERANCE = 2e-3


def answer_texts(index: LoadedIndex) -> list[str]:
    """What an answer may embed: every quotable sentence (as the answering stage writes it)
    and every heading."""
    pool = gather([Hit(c, 1, 0.0) for c in index.chunks], {}, frozenset(), extra_sections=0)
    return list(dict.fromkeys([*(c.text for c in pool), *(c.section for c in index.chunks)]))


def fresh_assistant(
    settings: Settings, index: LoadedIndex, *, look_up: bool = True
) -> tuple[Assistant, list[str]]:
    """An assistant on its own encoder (nothing cached yet), and the texts it embeds;
    without `look_up`, its encoder refuses the build's sentence table."""
    encoder = Encoder(settings.model)
    embedded: list[str] = []
    real = encoder.encode_sentences

    def spy(texts):
        embedded.extend(texts)
        return real(texts)

    encoder.encode_sentences = spy
    if not look_up:
        encoder.know = lambda lookup, runtime: False
    assistant = Assistant(settings, Retriever(index, encoder, settings.retrieval))
    return assistant.load(warm=False), embedded


def test_the_build_holds_the_vectors_the_model_gives_for_what_answers_read(
    built_index: LoadedIndex, build_report: BuildReport, encoder: Encoder
) -> None:
    table = built_index.sentences
    assert table is not None
    assert build_report.sentences == len(table) == len(texts_to_embed(built_index.chunks))
    assert build_report.sentences_encoded == build_report.sentences
    wanted = answer_texts(built_index)
    found = [text for text in wanted if table(text) is not None]
    # The rest (one, "According to 2, ..." quoted past its reference) is embedded when an
    # answer asks for it.
    assert len(found) / len(wanted) > 0.99
    assert {c.section for c in built_index.chunks} <= set(found)
    stored = np.stack([table(text) for text in found])
    alone = np.concatenate([encoder.encode_sentences([text]) for text in found])
    assert np.abs(stored - alone).max() < TOLERANCE
    assert float((stored * alone).sum(axis=1).min()) > 0.9999
    assert table("A sentence no passage has.") is None


def test_an_answer_looks_up_the_builds_vectors_and_says_the_same(
    settings: Settings, built_index: LoadedIndex
) -> None:
    table = built_index.sentences
    assert table is not None
    looking_up, embedded = fresh_assistant(settings, built_index)
    embedding, embedded_all = fresh_assistant(settings, built_index, look_up=False)
    for question in QUESTIONS:
        answer = looking_up.answer(question, [])
        reference = embedding.answer(question, [])
        assert answer.answer == reference.answer
        assert [s.citations for s in answer.sentences] == [s.citations for s in reference.sentences]
        assert answer.sentences
        for ours, theirs in zip(answer.sentences, reference.sentences, strict=True):
            assert abs(ours.support - theirs.support) < TOLERANCE
    # Only what the build lacks ran through the model; without the table, everything did.
    assert all(table(text) is None for text in embedded)
    assert len(embedded) < len(set(embedded_all)) / 4


def test_vectors_of_another_runtime_are_not_used(settings: Settings, built_index: LoadedIndex):
    table = built_index.sentences
    assert table is not None
    ours = Encoder(settings.model)
    assert built_index.manifest.sentence_runtime == table.runtime == ours.sentence_runtime
    torch = Encoder(settings.model.model_copy(update={"backend": EncoderBackend.TORCH}))
    assert torch.sentence_runtime != ours.sentence_runtime
    assert not torch.know(table, table.runtime)
    shorter = Encoder(settings.model.model_copy(update={"max_seq_length": 64}))
    assert not shorter.know(table, table.runtime)
    assert ours.know(table, table.runtime)


def test_an_index_of_the_previous_format_is_refused_then_rebuilt(
    index_copy: Path, settings: Settings, encoder: Encoder, corpus_documents
) -> None:
    folder = index_copy / BUILDS / (index_copy / CURRENT).read_text(encoding="utf-8").strip()
    raw = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    raw["format_version"] = 1
    del raw["sentence_runtime"]
    (folder / MANIFEST).write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match=r"s1assist index --rebuild"):
        load_index(index_copy, settings)
    report = build_index(corpus_documents, encoder, settings, index_copy)
    assert report.encoded == report.chunks
    assert report.sentences_encoded == report.sentences > 0
    assert load_index(index_copy, settings).sentences is not None


def test_texts_that_share_a_hash_are_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sentence_table, "_key", lambda text: 7)  # every text collides
    texts = ["First sentence.", "Second one.", "", "Third, ünïcode."]
    vectors = np.eye(4, 6, dtype=np.float32)
    save_sentences(tmp_path, texts, vectors)
    table = SentenceVectors(tmp_path, "runtime", 6)
    for text, vector in zip(texts, vectors, strict=True):
        assert np.array_equal(table(text), vector)
    assert table("Fourth.") is None
