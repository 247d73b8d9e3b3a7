"""The index: manifest, oracles for FAISS and BM25, damage detection, incremental and
crash-safe builds. Real model, real FAISS, real bm25s."""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from s1assist.chunking import chunk_documents
from s1assist.config import IndexSettings, Settings
from s1assist.corpus import load_corpus
from s1assist.embedding import Encoder
from s1assist.errors import (
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    SearchIndexError,
)
from s1assist.index import LoadedIndex, build_index, index_status, load_index
from s1assist.index.dense import search_dense
from s1assist.index.manifest import FORMAT_VERSION, MANIFEST
from s1assist.index.store import BUILDS, CURRENT
from s1assist.lexical import LexicalIndex, tokenize
from s1assist.retrieval import Retriever
from s1assist.types import Document

QUERIES = (
    "What does the S1 nerve control?",
    "Does SI joint pain show on MRI?",
    "How long does it take for L5-S1 to heal?",
    "ankle reflex and calf weakness",
)
CHANGED_DOC = "s1-nerve-distribution"
LAST_SENTENCE = "likely composed of a mixed population of nociceptive and autonomic fibers 4."


def live_folder(root: Path) -> Path:
    return root / BUILDS / (root / CURRENT).read_text(encoding="utf-8").strip()


def staging_folders(root: Path) -> list[Path]:
    return sorted((root / BUILDS).glob(".staging-*"))


def corpus_copy(corpus_dir: Path, destination: Path) -> Path:
    shutil.copytree(corpus_dir, destination)
    return destination


def edit_last_sentence(corpus: Path) -> None:
    """Change the last sentence of one document: one passage of the corpus changes."""
    path = corpus / f"{CHANGED_DOC}.txt"
    text = path.read_text(encoding="utf-8")
    assert LAST_SENTENCE in text
    path.write_text(text.replace("autonomic fibers 4.", "autonomic fibres 4."), encoding="utf-8")


# The manifest.


def test_manifest_records_what_the_index_was_built_from(
    built_index: LoadedIndex, settings: Settings, encoder: Encoder, corpus_documents
) -> None:
    raw = json.loads((built_index.folder / MANIFEST).read_text(encoding="utf-8"))
    assert raw["format_version"] == FORMAT_VERSION
    assert raw["model"] == settings.model.name
    assert raw["dimension"] == encoder.dimension == 384
    assert raw["normalized"] is True
    assert raw["chunking"] == settings.chunking.model_dump()
    assert set(raw["chunking"]) == {"min_words", "target_words", "max_words"}
    assert raw["bm25"] == {"k1": settings.index.bm25_k1, "b": settings.index.bm25_b}
    assert raw["documents"] == {doc.doc_id: doc.content_hash for doc in corpus_documents}
    assert all(len(digest) == 64 for digest in raw["documents"].values())
    passages = len(chunk_documents(corpus_documents, settings.chunking))
    assert raw["counts"] == {"documents": len(corpus_documents), "chunks": passages}
    assert raw["dense_index"] == "flat-ip"


def test_manifest_has_a_checksum_for_every_file_of_the_build(built_index: LoadedIndex) -> None:
    raw = json.loads((built_index.folder / MANIFEST).read_text(encoding="utf-8"))
    on_disk = {
        path.relative_to(built_index.folder).as_posix(): path
        for path in built_index.folder.rglob("*")
        if path.is_file() and path.name != MANIFEST
    }
    assert set(raw["files"]) == set(on_disk)
    assert {"chunks.jsonl", "documents.jsonl", "vectors.npy", "dense.faiss"} <= set(on_disk)
    assert any(name.startswith("bm25/") for name in on_disk)
    for name, path in on_disk.items():
        data = path.read_bytes()
        assert raw["files"][name] == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }


def test_session_build_report(build_report, built_index: LoadedIndex, corpus_documents) -> None:
    passages = len(built_index.chunks)
    assert (build_report.documents, build_report.chunks) == (len(corpus_documents), passages)
    assert (build_report.encoded, build_report.reused) == (passages, 0)
    assert build_report.folder == built_index.folder
    assert build_report.tokens > 0


def test_stored_vectors_are_unit_rows_aligned_with_their_chunks(
    built_index: LoadedIndex, encoder: Encoder
) -> None:
    vectors = np.asarray(built_index.vectors)
    assert vectors.shape == (len(built_index.chunks), encoder.dimension)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sample = list(range(0, len(built_index.chunks), 5))
    fresh = encoder.encode([built_index.chunks[i].search_text for i in sample])
    # Row i of the vectors must be the embedding of chunk i (bf16 may differ in the 4th digit).
    assert np.min(np.sum(vectors[sample] * fresh, axis=1)) > 0.99


# Oracles.


def assert_same_ranking(rows: list[int], scores: list[float], sims: np.ndarray) -> None:
    """`rows`/`scores` rank like the exact cosine scores `sims` (near-ties may swap)."""
    assert len(set(rows)) == len(rows)
    best = np.sort(sims)[::-1][: len(rows)]
    np.testing.assert_allclose(scores, best, atol=1e-5)
    np.testing.assert_allclose(sims[rows], scores, atol=1e-5)


@pytest.mark.parametrize("query", QUERIES)
def test_faiss_ranking_equals_brute_force_cosine(
    query: str, built_index: LoadedIndex, encoder: Encoder, retriever: Retriever
) -> None:
    vectors = np.asarray(built_index.vectors, dtype=np.float64)
    q = encoder.encode([query])
    sims = vectors @ q[0].astype(np.float64)
    scores, rows = built_index.dense.search(q, len(vectors))
    assert_same_ranking([int(r) for r in rows[0]], list(scores[0]), sims)
    ranking = retriever.dense_ranking(query, 10)
    assert len(ranking) == 10
    assert_same_ranking([r for r, _ in ranking], [s for _, s in ranking], sims)


def test_coded_index_above_the_threshold_finds_the_exact_neighbours(
    index_copy: Path, settings: Settings, encoder: Encoder, corpus_documents
) -> None:
    coded = settings.model_copy(update={"index": IndexSettings(ann_threshold=1)})
    report = build_index(corpus_documents, encoder, coded, index_copy)
    assert report.encoded == 0  # same model and chunks: every vector reused
    loaded = load_index(index_copy, coded)
    assert loaded.manifest.dense_index == "pq4fs-ip"
    assert type(loaded.dense).__name__ == "IndexPQFastScan"
    vectors = np.asarray(loaded.vectors, dtype=np.float64)
    for query in QUERIES:
        q = encoder.encode([query])
        sims = vectors @ q[0].astype(np.float64)
        # Re-scoring every candidate the codes propose gives the exact ranking...
        ranking = search_dense(loaded.dense, loaded.vectors, q, 10, rerank=len(vectors))
        assert_same_ranking([r for r, _ in ranking], [s for _, s in ranking], sims)
        # ...and the scores are exact cosines even when only a few are re-scored.
        for row, score in search_dense(loaded.dense, loaded.vectors, q, 5, rerank=20):
            assert score == pytest.approx(sims[row], abs=1e-5)


def test_a_search_leaves_faiss_thread_count_as_it_found_it(
    built_index: LoadedIndex, encoder: Encoder
) -> None:
    import faiss

    before = faiss.omp_get_max_threads()
    q = encoder.encode(["sciatica"])
    assert search_dense(built_index.dense, built_index.vectors, q, 3, rerank=10)
    assert faiss.omp_get_max_threads() == before


def test_the_index_is_stale_when_its_dense_kind_no_longer_fits(
    index_copy: Path, settings: Settings, corpus_documents
) -> None:
    coded = settings.model_copy(update={"index": IndexSettings(ann_threshold=1)})
    status = index_status(index_copy, corpus_documents, coded)
    assert not status.fresh
    assert status.reasons == ("dense index kind changed: flat-ip -> pq4fs-ip",)


def bm25_oracle(docs: list[list[str]], query: list[str], k1: float, b: float) -> np.ndarray:
    """Lucene BM25 as bm25s computes it: idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
    term part tf / (tf + k1 * (1 - b + b * dl / avgdl)), summed over query tokens
    (a repeated query token counts each time)."""
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    df = Counter(token for d in docs for token in set(d))
    scores = np.zeros(n)
    for i, d in enumerate(docs):
        tf = Counter(d)
        for token in query:
            if tf[token] == 0:
                continue
            idf = math.log(1 + (n - df[token] + 0.5) / (df[token] + 0.5))
            scores[i] += idf * tf[token] / (tf[token] + k1 * (1 - b + b * len(d) / avgdl))
    return scores


SMALL_CORPUS = [
    "Sciatica pain radiates down the leg; sciatica often improves within weeks.",
    "The SI joint connects the sacrum and the pelvis.",
    "Nerve root compression causes leg pain and numbness in the foot and the toes.",
    "Physical therapy and walking help most back pain.",
    "Sciatica from a herniated disc compresses the S1 nerve root.",
    "Heat, ice and rest.",
]


@pytest.mark.parametrize(("k1", "b"), [(0.9, 0.4), (1.5, 0.75), (1.2, 0.0)])
@pytest.mark.parametrize(
    "query",
    [
        "sciatica leg pain",
        "nerve root",
        "SI joint",
        "pain pain sciatica",
        "numbness in the toes",
        "zebra",
    ],
)
def test_bm25_scores_equal_a_plain_reimplementation(query: str, k1: float, b: float) -> None:
    index = LexicalIndex.build(SMALL_CORPUS, k1=k1, b=b)
    tokens = tokenize(query)
    expected = bm25_oracle([tokenize(t) for t in SMALL_CORPUS], tokens, k1, b)
    np.testing.assert_allclose(index.scores(tokens), expected, atol=1e-5)
    assert index.size == len(SMALL_CORPUS)


def test_bm25_of_the_saved_index_equals_the_oracle(
    built_index: LoadedIndex, settings: Settings
) -> None:
    docs = [tokenize(chunk.search_text) for chunk in built_index.chunks]
    for query in QUERIES:
        tokens = tokenize(query)
        expected = bm25_oracle(docs, tokens, settings.index.bm25_k1, settings.index.bm25_b)
        assert expected.max() > 0
        np.testing.assert_allclose(built_index.lexical.scores(tokens), expected, atol=1e-5)


def test_tokenizer_drops_stop_words_and_stems() -> None:
    assert tokenize("The nerves are compressed; the SI joint hurts.") == [
        "nerv",
        "compress",
        "si",
        "joint",
        "hurt",
    ]
    assert tokenize("the and of") == []


# Damage, mismatch and absence are refused with the file or setting named.


@pytest.mark.parametrize(
    "name",
    [
        "vectors.npy",
        "dense.faiss",
        "chunks.jsonl",
        "documents.jsonl",
        "bm25/vocab.index.json",
        "sentences/vectors.npy",
    ],
)
def test_truncated_file_is_corrupt_naming_the_file(
    name: str, index_copy: Path, settings: Settings
) -> None:
    path = live_folder(index_copy) / name
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorruptError, match="truncated") as info:
        load_index(index_copy, settings)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "name", ["vectors.npy", "chunks.jsonl", "bm25/data.csc.index.npy", "sentences/texts.npy"]
)
def test_flipped_byte_is_caught_by_the_checksum(
    name: str, index_copy: Path, settings: Settings
) -> None:
    path = live_folder(index_copy) / name
    data = bytearray(path.read_bytes())
    data[len(data) - 3] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="checksum") as info:
        load_index(index_copy, settings)
    assert str(path) in str(info.value)


def test_deleted_file_is_corrupt_naming_the_file(index_copy: Path, settings: Settings) -> None:
    path = live_folder(index_copy) / "dense.faiss"
    path.unlink()
    with pytest.raises(IndexCorruptError, match="missing") as info:
        load_index(index_copy, settings)
    assert str(path) in str(info.value)


def rewrite_manifest(root: Path, **changes: object) -> None:
    path = live_folder(root) / MANIFEST
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw.update(changes)
    path.write_text(json.dumps(raw), encoding="utf-8")


def test_index_of_another_model_is_a_mismatch_naming_both(
    index_copy: Path, settings: Settings
) -> None:
    rewrite_manifest(index_copy, model="sentence-transformers/all-mpnet-base-v2")
    with pytest.raises(IndexMismatchError) as info:
        load_index(index_copy, settings)
    message = str(info.value)
    assert "sentence-transformers/all-mpnet-base-v2" in message
    assert settings.model.name in message
    assert "--rebuild" in message


def test_index_of_another_format_version_is_a_mismatch(
    index_copy: Path, settings: Settings
) -> None:
    rewrite_manifest(index_copy, format_version=FORMAT_VERSION + 1)
    with pytest.raises(IndexMismatchError, match="format version"):
        load_index(index_copy, settings)


def test_manifest_dimension_that_disagrees_with_the_vectors(
    index_copy: Path, settings: Settings
) -> None:
    rewrite_manifest(index_copy, dimension=768)
    with pytest.raises(IndexMismatchError, match="768"):
        load_index(index_copy, settings)


def test_manifest_count_that_disagrees_with_the_files(index_copy: Path, settings: Settings) -> None:
    counts = load_index(index_copy, settings).manifest.counts
    rewrite_manifest(index_copy, counts={**counts, "chunks": counts["chunks"] - 1})
    with pytest.raises(IndexCorruptError, match="passage count"):
        load_index(index_copy, settings)


def test_unreadable_manifest_is_corrupt(index_copy: Path, settings: Settings) -> None:
    path = live_folder(index_copy) / MANIFEST
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="not valid JSON") as info:
        load_index(index_copy, settings)
    assert str(path) in str(info.value)


def test_missing_index_folder(tmp_path: Path, settings: Settings) -> None:
    root = tmp_path / "never-built"
    with pytest.raises(IndexMissingError, match="no index built yet") as info:
        load_index(root, settings)
    assert str(root) in str(info.value)


def test_current_pointing_at_a_missing_build(index_copy: Path, settings: Settings) -> None:
    shutil.rmtree(live_folder(index_copy))
    with pytest.raises(IndexCorruptError, match="missing"):
        load_index(index_copy, settings)


# Freshness and incremental builds.


def test_index_status_is_fresh_for_the_corpus_it_was_built_from(
    built_index: LoadedIndex, settings: Settings, corpus_documents
) -> None:
    status = index_status(settings.paths.index, corpus_documents, settings)
    assert status.fresh, status.reasons
    assert status.reasons == ()


def test_index_status_names_changed_added_and_removed_documents(
    built_index: LoadedIndex, settings: Settings, corpus_dir: Path, tmp_path: Path
) -> None:
    corpus = corpus_copy(corpus_dir, tmp_path / "corpus")
    edit_last_sentence(corpus)
    (corpus / "s1-radiculopathy-symptoms.txt").unlink()
    (corpus / "piriformis.md").write_text(
        "# Piriformis syndrome\n\nThe piriformis muscle can irritate the sciatic nerve.\n",
        encoding="utf-8",
    )
    documents = load_corpus(corpus).documents
    status = index_status(settings.paths.index, documents, settings)
    assert not status.fresh
    assert set(status.reasons) == {
        f"changed document: {CHANGED_DOC}",
        "new document: piriformis",
        "removed document: s1-radiculopathy-symptoms",
    }


def test_index_status_notices_other_chunking_settings(
    built_index: LoadedIndex, settings: Settings, corpus_documents
) -> None:
    other = settings.model_copy(
        update={"chunking": settings.chunking.model_copy(update={"max_words": 300})}
    )
    status = index_status(settings.paths.index, corpus_documents, other)
    assert not status.fresh
    assert "chunking settings changed" in status.reasons


def test_index_status_of_a_missing_index(tmp_path: Path, settings: Settings, corpus_documents):
    status = index_status(tmp_path / "none", corpus_documents, settings)
    assert not status.fresh
    assert "no index built yet" in status.reasons[0]


def test_incremental_rebuild_embeds_only_the_changed_passage(
    index_copy: Path,
    settings: Settings,
    encoder: Encoder,
    corpus_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = load_index(index_copy, settings)
    old_vectors = {c.chunk_id: np.array(before.vectors[i]) for i, c in enumerate(before.chunks)}
    corpus = corpus_copy(corpus_dir, tmp_path / "corpus")
    edit_last_sentence(corpus)
    documents = load_corpus(corpus).documents

    embedded: list[str] = []
    real_encode = encoder.encode_passages

    def spy(texts, **kwargs):
        embedded.extend(texts)
        return real_encode(texts, **kwargs)

    sentences: list[str] = []
    real_sentences = encoder.encode_sentences

    def sentence_spy(texts):
        sentences.extend(texts)
        return real_sentences(texts)

    monkeypatch.setattr(encoder, "encode_passages", spy)
    monkeypatch.setattr(encoder, "encode_sentences", sentence_spy)
    report = build_index(documents, encoder, settings, index_copy)
    monkeypatch.undo()

    passages = len(before.chunks)
    assert (report.chunks, report.encoded, report.reused) == (passages, 1, passages - 1)
    after = load_index(index_copy, settings)
    assert after.folder != before.folder
    new = [c for c in after.chunks if c.chunk_id not in old_vectors]
    assert len(new) == 1
    assert new[0].doc_id == CHANGED_DOC
    assert new[0].text.endswith("autonomic fibres 4.")
    assert embedded == [new[0].search_text]
    # Of the sentences, only the edited one is embedded again; the rest are the last build's.
    assert [s for s in sentences if "autonomic" in s] == [sentences[0]]
    assert report.sentences_encoded == len(sentences) == 1
    assert after.sentences is not None and before.sentences is not None
    assert after.sentences(sentences[0]) is not None
    kept = before.sentences(new[0].section)
    assert kept is not None and np.array_equal(after.sentences(new[0].section), kept)
    for i, chunk in enumerate(after.chunks):
        if chunk.chunk_id in old_vectors:
            assert np.array_equal(after.vectors[i], old_vectors[chunk.chunk_id])
        else:
            fresh = encoder.encode([chunk.search_text])[0]
            assert float(np.dot(after.vectors[i], fresh)) > 0.99
    assert index_status(index_copy, documents, settings).fresh
    assert [p.name for p in (index_copy / BUILDS).iterdir()] == [after.folder.name]


def test_rebuild_flag_embeds_everything_again(
    index_copy: Path, settings: Settings, encoder: Encoder, corpus_documents
) -> None:
    report = build_index(corpus_documents, encoder, settings, index_copy, rebuild=True)
    assert (report.encoded, report.reused) == (report.chunks, 0)
    assert report.chunks == len(chunk_documents(corpus_documents, settings.chunking))


def test_a_second_build_at_the_same_time_is_refused(
    index_copy: Path, settings: Settings, encoder: Encoder, corpus_documents
) -> None:
    with (index_copy / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(SearchIndexError, match="another build is running"):
            build_index(corpus_documents, encoder, settings, index_copy)
    assert load_index(index_copy, settings).folder == live_folder(index_copy)


# A build that dies leaves the previous index live.


def changed_documents(corpus_dir: Path, tmp_path: Path) -> tuple[Path, tuple[Document, ...]]:
    corpus = corpus_copy(corpus_dir, tmp_path / "corpus")
    edit_last_sentence(corpus)
    return corpus, load_corpus(corpus).documents


def assert_old_index_answers(root: Path, old: LoadedIndex, settings: Settings, encoder) -> None:
    loaded = load_index(root, settings)
    assert loaded.folder == old.folder
    assert [c.chunk_id for c in loaded.chunks] == [c.chunk_id for c in old.chunks]
    hits = Retriever(loaded, encoder, settings.retrieval).search("What does the S1 nerve control?")
    assert hits
    assert "big toe, ankle, and heel" in hits[0].chunk.text


def test_an_exception_mid_build_leaves_the_previous_index_live(
    index_copy: Path,
    settings: Settings,
    encoder: Encoder,
    corpus_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import s1assist.index.build as build_module

    old = load_index(index_copy, settings)
    _, documents = changed_documents(corpus_dir, tmp_path)

    def fail(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(build_module, "save_dense", fail)
    with pytest.raises(OSError, match="No space left"):
        build_index(documents, encoder, settings, index_copy)
    monkeypatch.undo()

    assert_old_index_answers(index_copy, old, settings, encoder)
    assert not index_status(index_copy, documents, settings).fresh
    # The lock was released and the next build cleans up after the failed one.
    report = build_index(documents, encoder, settings, index_copy)
    assert report.encoded == 1
    assert staging_folders(index_copy) == []
    assert load_index(index_copy, settings).folder == report.folder


def test_killed_build_leaves_the_previous_index_live(
    index_copy: Path,
    settings: Settings,
    encoder: Encoder,
    corpus_dir: Path,
    tmp_path: Path,
    cli_path: Path,
    cli_env: dict[str, str],
) -> None:
    """SIGKILL `s1assist index --rebuild` while its staging folder exists."""
    old = load_index(index_copy, settings)
    corpus, documents = changed_documents(corpus_dir, tmp_path)
    command = [str(cli_path), "index", "--rebuild", "--corpus", str(corpus)]
    command += ["--index", str(index_copy)]
    killed = False
    for _attempt in range(3):
        process = subprocess.Popen(
            command, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if staging_folders(index_copy):
                process.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.002)
        if not killed and process.poll() is None:
            process.kill()  # no staging folder within the deadline: stuck, not our crash
        _, stderr = process.communicate(timeout=60)
        if killed:
            assert process.returncode == -signal.SIGKILL
            break
        assert process.returncode == 0, "the build failed: " + stderr.decode(errors="replace")
        # It finished before we saw the staging folder: put the old index back and retry.
        shutil.rmtree(index_copy)
        shutil.copytree(settings.paths.index, index_copy, ignore=shutil.ignore_patterns(".lock"))
    assert killed, "the build always finished before it could be killed"
    assert staging_folders(index_copy), "the killed build left no staging folder"

    assert_old_index_answers(index_copy, old, settings, encoder)
    assert not index_status(index_copy, documents, settings).fresh

    report = build_index(documents, encoder, settings, index_copy)
    assert staging_folders(index_copy) == []
    assert [p.name for p in (index_copy / BUILDS).iterdir()] == [report.folder.name]
    assert index_status(index_copy, documents, settings).fresh
    assert load_index(index_copy, settings).folder == report.folder
