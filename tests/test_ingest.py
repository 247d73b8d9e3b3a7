"""Ingestion a user expects: PDFs with their pages, a document's URL from its metadata or a
"Source:" line, a warning for a document sources.toml does not name, `s1assist documents`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pdfs import write_pdf
from s1assist.api.source_list import cited_sources, markdown_sources
from s1assist.chat import Assistant
from s1assist.config import PathSettings, Settings
from s1assist.corpus import load_corpus
from s1assist.corpus.reader import read_source
from s1assist.embedding import Encoder
from s1assist.errors import CorpusError
from s1assist.index import build_index, load_index
from s1assist.retrieval import Retriever
from s1assist.types import SourceKind

PAGES = [
    [
        "Nerve glides for the S1 root",
        "Nerve glides are slow movements that let the S1 nerve root slide where it is",
        "tight, which many people with sciatica find eases the pull down the leg.",
    ],
    [
        "Before you start",
        "Warm up with a short walk, and never push a glide into sharp or spreading pain.",
    ],
    [
        "The Brennan hold",
        "The Brennan hold keeps the S1 nerve calm: lie on your back, bend one knee and",
        "breathe slowly ten times while the ankle rests.",
    ],
]
SOURCES = """
[glides]
title = "Nerve glides for the S1 root"
kind = "research summary"
url = "https://example.org/glides.pdf"
"""
NOTE = """Piriformis stretch notes

Source: https://example.org/piriformis

A piriformis stretch eases buttock tightness that can press on the sciatic nerve.
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_pdf(folder / "glides.pdf", PAGES, title="Glides (PDF title)")
    (folder / "piriformis.txt").write_text(NOTE, encoding="utf-8")
    (folder / "sources.toml").write_text(SOURCES, encoding="utf-8")
    return folder


def test_a_pdf_keeps_its_pages_and_a_source_line_becomes_the_url(corpus: Path) -> None:
    loaded = load_corpus(corpus)
    docs = {doc.doc_id: doc for doc in loaded.documents}
    pdf = docs["glides"]
    assert pdf.kind is SourceKind.RESEARCH and pdf.url == "https://example.org/glides.pdf"
    assert len(pdf.pages) == 3 and pdf.pages[0] == 0
    for start, lines in zip(pdf.pages, PAGES, strict=True):
        assert pdf.text[start:].startswith(lines[0])
    # A line broken by the page layout is one sentence again.
    assert "slide where it is tight, which" in pdf.text

    note = docs["piriformis"]
    assert note.url == "https://example.org/piriformis"
    assert "Source:" not in note.text
    assert all("example.org" not in s.heading for s in note.sections)
    assert loaded.warnings == (
        f"{corpus / 'piriformis.txt'}: no [piriformis] entry in {corpus / 'sources.toml'}; "
        "indexed as 'general web page'",
    )


def test_a_pdf_without_a_text_layer_is_refused_by_name(tmp_path: Path) -> None:
    write_pdf(tmp_path / "scan.pdf", [[], []])
    (tmp_path / "ok.txt").write_text("Sciatica\n\nSciatica is leg pain.\n", encoding="utf-8")
    loaded = load_corpus(tmp_path)
    assert [doc.doc_id for doc in loaded.documents] == ["ok"]
    assert any("scan.pdf: the PDF has no text layer" in line for line in loaded.skipped)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(CorpusError, match=r"broken\.pdf: not a readable PDF"):
        read_source(tmp_path / "broken.pdf", 10_000)


def test_a_citation_of_a_pdf_names_its_page(
    corpus: Path, encoder: Encoder, settings: Settings, tmp_path: Path
) -> None:
    paths = PathSettings(corpus=corpus, index=tmp_path / "index", data=tmp_path / "data")
    own = settings.model_copy(update={"paths": paths})
    build_index(load_corpus(corpus).documents, encoder, own, paths.index)
    retriever = Retriever(load_index(paths.index, own), encoder, own.retrieval)
    assistant = Assistant(own, retriever)
    answer = assistant.answer("What is the Brennan hold?", [])
    sources = cited_sources(answer, assistant.document)
    pdf = [source for source in sources if source.title == "Nerve glides for the S1 root"]
    assert pdf and not answer.abstained
    assert {source.page for source in pdf} == {3}
    assert "Brennan hold" in pdf[0].quote
    assert "Nerve glides for the S1 root › The Brennan hold, p. 3 (research summary)" in (
        markdown_sources(sources)
    )


@pytest.mark.slow
def test_the_cli_warns_and_lists_documents(
    corpus: Path, tmp_path: Path, cli_path: Path, cli_env: dict[str, str], settings: Settings
) -> None:
    env = {**cli_env, "S1ASSIST_MODEL__ONNX_CACHE": str(settings.model.onnx_cache.resolve())}
    index = tmp_path / "index"
    args = ["--corpus", str(corpus), "--index", str(index)]
    built = subprocess.run(
        [str(cli_path), "index", *args, "-q"], env=env, capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stderr
    warnings = [line for line in built.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {corpus / 'piriformis.txt'}: no [piriformis] entry in "
        f"{corpus / 'sources.toml'}; indexed as 'general web page'"
    ]
    listed = subprocess.run(
        [str(cli_path), "documents", "--index", str(index), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    rows = {row["doc_id"]: row for row in json.loads(listed.stdout)["documents"]}
    assert rows["glides"]["kind"] == "research summary"
    assert rows["glides"]["pages"] == 3 and rows["glides"]["passages"] >= 1
    assert rows["piriformis"]["url"] == "https://example.org/piriformis"
    assert rows["piriformis"]["kind"] == "general web page"
    text = subprocess.run(
        [str(cli_path), "documents", "--index", str(index)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert "Nerve glides for the S1 root  [research summary" in text
    assert "https://example.org/piriformis" in text
