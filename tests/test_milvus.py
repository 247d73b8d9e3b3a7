"""The Milvus backend against Milvus Lite, embedded and as a local server on 127.0.0.1:
the same hits and cited quotes as the FAISS backend, incremental re-indexing, a model
mismatch refused, and a killed build that leaves the previous index searchable. With
S1ASSIST_TEST_MILVUS_URI naming a real Milvus, the contract runs against it too."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from milvusserver import MilvusLiteServer
from s1assist.chat import Assistant
from s1assist.chunking import chunk_documents
from s1assist.config import (
    IndexBackend,
    IndexSettings,
    MilvusSettings,
    ModelSettings,
    RetrievalMode,
    Settings,
)
from s1assist.corpus import load_corpus
from s1assist.embedding import Encoder
from s1assist.errors import IndexMismatchError, IndexMissingError
from s1assist.index.milvus import build_milvus, milvus_status, open_milvus_index
from s1assist.index.milvus.schema import connect, disconnect
from s1assist.milvus_search import MilvusRetriever, open_milvus_retriever
from s1assist.retrieval import Retriever
from seeds import SEED_QUESTIONS

CLUSTER_ENV = "S1ASSIST_TEST_MILVUS_URI"
MODES = ["embedded", "server", "cluster"]


def milvus_settings(settings: Settings, uri: str, collection: str | None = None) -> Settings:
    cfg = MilvusSettings(
        uri=uri,
        token=os.environ.get("S1ASSIST_TEST_MILVUS_TOKEN", ""),
        collection=collection or f"t_{uuid.uuid4().hex[:10]}",
    )
    index = IndexSettings(backend=IndexBackend.MILVUS)
    return settings.model_copy(update={"milvus": cfg, "index": index})


def uri_for(mode: str, request: pytest.FixtureRequest, folder: Path) -> str:
    if mode == "cluster":
        uri = os.environ.get(CLUSTER_ENV)
        if not uri:
            pytest.skip(
                f"no real Milvus: set {CLUSTER_ENV} (and S1ASSIST_TEST_MILVUS_TOKEN) to run"
            )
        return uri
    if mode == "server":
        server: MilvusLiteServer = request.getfixturevalue("milvus_server")
        return server.uri
    return str(folder / "milvus.db")


@pytest.fixture(scope="module", params=MODES)
def milvus_retriever(
    request: pytest.FixtureRequest,
    settings: Settings,
    encoder: Encoder,
    corpus_documents: tuple,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[MilvusRetriever]:
    """The real corpus indexed into Milvus in this mode, and a retriever over it."""
    uri = uri_for(request.param, request, tmp_path_factory.mktemp("milvus"))
    own = milvus_settings(settings, uri)
    client = connect(own.milvus)
    build_milvus(corpus_documents, encoder, own, client=client)
    retriever = MilvusRetriever(
        open_milvus_index(own, client),
        encoder,
        own.retrieval,
    )
    yield retriever
    for name in client.list_collections():
        if name.startswith(own.milvus.collection):
            client.drop_collection(name)
    disconnect(client, own.milvus)


@pytest.mark.parametrize("mode", list(RetrievalMode))
def test_same_top3_passages_as_faiss_for_the_seed_questions(
    milvus_retriever: MilvusRetriever, retriever: Retriever, mode: RetrievalMode
) -> None:
    for question in SEED_QUESTIONS:
        faiss = retriever.search(question, k=3, mode=mode)
        milvus = milvus_retriever.search(question, k=3, mode=mode)
        assert [h.chunk for h in milvus] == [h.chunk for h in faiss], question
        for ours, theirs in zip(milvus, faiss, strict=True):
            assert ours.score == pytest.approx(theirs.score, abs=1e-4)
            assert ours.rank == theirs.rank


def test_answers_cite_the_same_quotes(
    milvus_retriever: MilvusRetriever, assistant: Assistant
) -> None:
    milvus = Assistant(assistant.settings, milvus_retriever)
    documents = milvus_retriever.index.documents
    for question in SEED_QUESTIONS:
        ours = milvus.answer(question, [])
        theirs = assistant.answer(question, [])
        assert ours.citations == theirs.citations, question
        assert ours.answer == theirs.answer
        for citation in ours.citations:
            text = documents[citation.doc_id].text
            assert text[citation.start : citation.end] == citation.quote


def test_the_index_reads_back_whole(
    milvus_retriever: MilvusRetriever, retriever: Retriever
) -> None:
    milvus, faiss = milvus_retriever.index, retriever.index
    assert sorted(milvus.chunks, key=lambda c: c.chunk_id) == sorted(
        faiss.chunks, key=lambda c: c.chunk_id
    )
    assert dict(milvus.documents) == dict(faiss.documents)
    assert len(milvus.documents) == len(faiss.documents)
    for term in ("sciat", "s1", "sacroiliac", "nerv", "no-such-term"):
        assert milvus.lexical.idf(term) == pytest.approx(faiss.lexical.idf(term))


def test_a_model_mismatch_is_refused(milvus_retriever: MilvusRetriever) -> None:
    settings = milvus_retriever.milvus.settings
    other = settings.model_copy(update={"model": ModelSettings(name="another-model")})
    with pytest.raises(
        IndexMismatchError, match=r"built with model .*settings use 'another-model'"
    ):
        open_milvus_retriever(other, milvus_retriever.encoder)


def test_a_missing_index_names_the_command(milvus_retriever: MilvusRetriever) -> None:
    settings = milvus_retriever.milvus.settings
    absent = settings.model_copy(
        update={"milvus": settings.milvus.model_copy(update={"collection": "never_built"})}
    )
    with pytest.raises(IndexMissingError, match=r"s1assist index --backend milvus"):
        open_milvus_retriever(absent, milvus_retriever.encoder)


def _corpus_copy(corpus_dir: Path, folder: Path) -> Path:
    copy = folder / "corpus"
    shutil.copytree(corpus_dir, copy)
    return copy


NEW_TEXT = "\n\nQuokka clinics note that S1 sciatica improves with zebra-stripe stretching.\n"


@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_a_changed_corpus_reindexes_incrementally(
    mode: str,
    request: pytest.FixtureRequest,
    settings: Settings,
    encoder: Encoder,
    corpus_dir: Path,
    tmp_path: Path,
) -> None:
    own = milvus_settings(settings, uri_for(mode, request, tmp_path))
    corpus = _corpus_copy(corpus_dir, tmp_path)
    first = load_corpus(corpus, settings.corpus.max_file_bytes).documents
    client = connect(own.milvus)
    built = build_milvus(first, encoder, own, client=client)
    assert built.encoded == built.chunks > 0
    assert milvus_status(first, own, client).fresh
    # A second build fills the other generation from the first one's vectors; the next
    # build then updates a generation that holds the old corpus, in place.
    assert build_milvus(first, encoder, own, client=client).encoded == 0
    changed = corpus / "s1-nerve-damage-repair.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + NEW_TEXT, encoding="utf-8")
    (corpus / "s1-nerve-distribution.txt").unlink()
    second = load_corpus(corpus, settings.corpus.max_file_bytes).documents
    status = milvus_status(second, own, client)
    assert set(status.reasons) == {
        "changed document: s1-nerve-damage-repair",
        "removed document: s1-nerve-distribution",
    }
    again = build_milvus(second, encoder, own, client=client)
    assert 1 <= again.encoded <= 3  # the changed tail only
    assert again.reused == again.chunks - again.encoded
    assert milvus_status(second, own, client).fresh
    retriever = MilvusRetriever(
        open_milvus_index(own, client),
        encoder,
        own.retrieval,
    )
    hits = retriever.search("zebra-stripe stretching quokka", k=1)
    assert hits[0].chunk.doc_id == "s1-nerve-damage-repair" and "Quokka" in hits[0].chunk.text
    assert "s1-nerve-distribution" not in retriever.index.documents
    assert len(retriever.index.chunks) == again.chunks
    assert {c.doc_id for c in retriever.index.chunks} == {d.doc_id for d in second}
    # Back to the first corpus: every vector is in one generation or the other.
    third = build_milvus(first, encoder, own, client=client)
    assert third.encoded == 0
    disconnect(client, own.milvus)


CHILD = """
import sys, time
from s1assist.config import Settings
from s1assist.corpus import load_corpus
from s1assist.embedding import Encoder
import s1assist.index.milvus.build as build

write = build._write_passages

def write_half(client, names, chunks, vectors, progress):
    write(client, names, chunks[: len(chunks) // 2], vectors[: len(chunks) // 2], progress)
    client.flush(names.passages)
    print("WRITING", flush=True)
    time.sleep(600)

build._write_passages = write_half
settings = Settings()
documents = load_corpus(settings.paths.corpus, settings.corpus.max_file_bytes).documents
build.build_milvus(documents, Encoder(settings.model), settings)
"""


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_a_killed_build_leaves_the_previous_index_searchable(
    mode: str,
    request: pytest.FixtureRequest,
    settings: Settings,
    encoder: Encoder,
    corpus_dir: Path,
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    own = milvus_settings(settings, uri_for(mode, request, tmp_path))
    corpus = _corpus_copy(corpus_dir, tmp_path)
    first = load_corpus(corpus, settings.corpus.max_file_bytes).documents
    client = connect(own.milvus)
    # Two builds: both generations complete, so the killed one overwrites a finished build.
    build_milvus(first, encoder, own, client=client)
    build_milvus(first, encoder, own, client=client)
    disconnect(client, own.milvus)  # Milvus Lite: one process at a time on a file
    changed = corpus / "s1-nerve-damage-repair.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + NEW_TEXT, encoding="utf-8")
    env = {
        **cli_env,
        "S1ASSIST_MILVUS__URI": own.milvus.uri,
        "S1ASSIST_MILVUS__COLLECTION": own.milvus.collection,
        "S1ASSIST_PATHS__CORPUS": str(corpus),
        "S1ASSIST_INDEX__BACKEND": "milvus",
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == b"WRITING", child.stderr.read() if child.stderr else line
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the build and any helper it started
        child.wait(30)
    client = connect(own.milvus)
    retriever = MilvusRetriever(
        open_milvus_index(own, client),
        encoder,
        own.retrieval,
    )
    assert {c.doc_id for c in retriever.index.chunks} == {d.doc_id for d in first}
    hits = retriever.search("Can S1 nerve damage be repaired?", k=3)
    assert hits and all("Quokka" not in h.chunk.text for h in hits)
    assert retriever.index.documents["s1-nerve-damage-repair"] == next(
        d for d in first if d.doc_id == "s1-nerve-damage-repair"
    )
    second = load_corpus(corpus, settings.corpus.max_file_bytes).documents
    report = build_milvus(second, encoder, own, client=client)
    hits = retriever.search("zebra-stripe stretching quokka", k=1)  # follows the alias
    assert "Quokka" in hits[0].chunk.text
    # Nothing is left of the killed attempt: the half-written generation was written afresh.
    expected = sorted(c.chunk_id for c in chunk_documents(second, settings.chunking))
    assert sorted(c.chunk_id for c in retriever.index.chunks) == expected
    assert report.chunks == len(expected)
    disconnect(client, own.milvus)


def test_a_generation_left_unreadable_is_written_afresh(
    settings: Settings, encoder: Encoder, corpus_dir: Path, tmp_path: Path
) -> None:
    """A build killed while Milvus Lite wrote an index file leaves that file cut short in the
    generation the alias does not point at; the next build must not stop on it."""
    own = milvus_settings(settings, str(tmp_path / "milvus.db"))
    corpus = _corpus_copy(corpus_dir, tmp_path)
    first = load_corpus(corpus, settings.corpus.max_file_bytes).documents
    client = connect(own.milvus)
    build_milvus(first, encoder, own, client=client)
    build_milvus(first, encoder, own, client=client)
    idle = str(client.describe_alias(own.milvus.collection)["collection_name"])
    idle = idle[:-1] + ("a" if idle.endswith("b") else "b")
    disconnect(client, own.milvus)
    cut = list((tmp_path / "milvus.db" / "collections" / idle).rglob("*.idx"))
    assert cut, "Milvus Lite keeps no index file where this test expects one"
    for path in cut:
        path.write_bytes(b"")
    changed = corpus / "s1-nerve-damage-repair.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + NEW_TEXT, encoding="utf-8")
    second = load_corpus(corpus, settings.corpus.max_file_bytes).documents
    client = connect(own.milvus)
    report = build_milvus(second, encoder, own, client=client)
    assert report.folder == Path(idle)
    retriever = MilvusRetriever(open_milvus_index(own, client), encoder, own.retrieval)
    assert "Quokka" in retriever.search("zebra-stripe stretching quokka", k=1)[0].chunk.text
    disconnect(client, own.milvus)


@pytest.mark.slow
def test_the_cli_indexes_into_milvus_and_searches_it(
    milvus_server: MilvusLiteServer,
    cli_path: Path,
    cli_env: dict[str, str],
    corpus_dir: Path,
    retriever: Retriever,
) -> None:
    env = {
        **cli_env,
        "S1ASSIST_MILVUS__URI": milvus_server.uri,
        "S1ASSIST_MILVUS__COLLECTION": f"cli_{uuid.uuid4().hex[:8]}",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(cli_path), *args], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done

    first = json.loads(
        run("index", "--backend", "milvus", "--corpus", str(corpus_dir), "--json").stdout
    )
    assert first["up_to_date"] is False and first["embedded"] == first["chunks"] > 0
    assert env["S1ASSIST_MILVUS__COLLECTION"] in first["index"]
    again = run("index", "--backend", "milvus", "--corpus", str(corpus_dir))
    assert "up to date" in again.stdout
    env["S1ASSIST_INDEX__BACKEND"] = "milvus"
    question = SEED_QUESTIONS[0]
    hits = json.loads(run("search", question, "-k", "3", "--json").stdout)["hits"]
    faiss = [hit.chunk for hit in retriever.search(question, k=3)]
    assert [(h["doc_id"], h["start"], h["end"]) for h in hits] == [
        (c.doc_id, c.start, c.end) for c in faiss
    ]
