"""The BEIR runner end to end on a tiny made-up dataset, with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s1assist.config import RetrievalMode, Settings
from s1assist.embedding import Encoder
from s1assist.errors import CorpusError
from s1assist.evaluation.beir import default_index_dir, doc_ranking, run_beir
from s1assist.evaluation.beir_data import load_beir
from s1assist.types import Chunk, Hit

PASSAGES = {
    "p-heart": "The heart pumps blood through the arteries and veins of the body.",
    "p-kidney": "The kidneys filter waste from the blood and produce urine.",
    "p-lung": "The lungs take in oxygen and release carbon dioxide when we breathe.",
    "p-bone": "Osteoporosis makes bones thin and brittle, so they fracture easily.",
    "p-skin": "Melanoma is a cancer of the pigment cells of the skin.",
    # Long enough to be cut into several chunks by the small chunk settings below.
    "p-insulin": " ".join(
        f"Insulin from the pancreas lowers blood glucose, fact number {n}." for n in range(12)
    ),
}
QUERIES = {
    "q-heart": "Which organ pumps blood through arteries?",
    "q-kidney": "What do the kidneys filter from the blood?",
    "q-insulin": "Which hormone from the pancreas lowers glucose?",
    "q-unjudged": "Nobody judged this question.",
}
QRELS = [("q-heart", "p-heart", 1), ("q-kidney", "p-kidney", 1), ("q-insulin", "p-insulin", 1)]


def write_beir(folder: Path, qrels_header: str = "query-id\tcorpus-id\tscore") -> Path:
    (folder / "qrels").mkdir(parents=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for passage_id, text in PASSAGES.items():
            handle.write(json.dumps({"_id": passage_id, "title": "", "text": text}) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as handle:
        for query_id, text in QUERIES.items():
            handle.write(json.dumps({"_id": query_id, "text": text}) + "\n")
    lines = [qrels_header] + [f"{q}\t{p}\t{s}" for q, p, s in QRELS]
    (folder / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def beir_settings(tmp_path: Path) -> Settings:
    base = Settings()
    return base.model_copy(
        update={
            "paths": base.paths.model_copy(update={"data": tmp_path / "data"}),
            "chunking": base.chunking.model_copy(
                update={"min_words": 1, "target_words": 20, "max_words": 30}
            ),
        }
    )


def test_load_beir_keeps_judged_queries_and_one_document_per_passage(tmp_path: Path) -> None:
    data = load_beir(write_beir(tmp_path / "tiny"))
    assert data.name == "tiny"
    assert [doc.doc_id for doc in data.documents] == list(PASSAGES)
    assert set(data.queries) == {"q-heart", "q-kidney", "q-insulin"}
    assert data.qrels["q-heart"] == {"p-heart": 1}
    doc = data.documents[0]
    assert doc.title == "p-heart"  # no title: the id stands in
    assert doc.text[doc.sections[0].start : doc.sections[0].end] == doc.text
    assert list(load_beir(tmp_path / "tiny", limit=1).queries) == ["q-heart"]


def test_load_beir_names_the_bad_line(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "tiny")
    with (folder / "corpus.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    with pytest.raises(CorpusError, match=r"corpus\.jsonl:7: not valid JSON"):
        load_beir(folder)


def test_load_beir_refuses_a_qrels_file_without_its_header(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "tiny", qrels_header="q\tdoc\trel")
    with pytest.raises(CorpusError, match=r"test\.tsv: header"):
        load_beir(folder)


def test_load_beir_names_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="BEIR folder not found"):
        load_beir(tmp_path / "nowhere")


def _hit(doc_id: str, rank: int) -> Hit:
    chunk = Chunk(f"{doc_id}-{rank}", doc_id, doc_id, "", "text", 0, 4)
    return Hit(chunk=chunk, rank=rank, score=1.0 / rank)


def test_doc_ranking_keeps_each_document_at_its_best_rank() -> None:
    hits = [_hit("a", 1), _hit("b", 2), _hit("a", 3), _hit("c", 4), _hit("b", 5)]
    assert doc_ranking(hits) == ["a", "b", "c"]


def test_default_index_dir_changes_only_with_what_shapes_the_vectors(
    beir_settings: Settings,
) -> None:
    settings = beir_settings
    folder = default_index_dir("tiny", settings)
    assert folder.parent == settings.paths.data / "beir"
    assert folder.name.startswith("tiny-")
    bm25 = settings.index.model_copy(update={"bm25_k1": 1.5})
    assert default_index_dir("tiny", settings.model_copy(update={"index": bm25})) == folder
    batch = settings.model.model_copy(update={"batch_size": 8})
    assert default_index_dir("tiny", settings.model_copy(update={"model": batch})) == folder
    chunking = settings.chunking.model_copy(update={"max_words": 31})
    assert default_index_dir("tiny", settings.model_copy(update={"chunking": chunking})) != folder


def test_run_beir_end_to_end_then_reuses_the_index(
    tmp_path: Path, beir_settings: Settings, encoder: Encoder
) -> None:
    folder = write_beir(tmp_path / "tiny")
    first = run_beir(folder, RetrievalMode.HYBRID, beir_settings, encoder=encoder)
    assert first.queries == 3
    assert first.passages == len(PASSAGES)
    assert first.chunks > first.passages  # the insulin passage was cut into several chunks
    assert first.build_seconds is not None
    assert first.index == default_index_dir("tiny", beir_settings)
    # Each question names its passage plainly: every one is found first.
    assert first.ndcg_at_10 == {"q-heart": 1.0, "q-kidney": 1.0, "q-insulin": 1.0}
    assert first.metrics == {"ndcg@10": 1.0, "recall@10": 1.0, "recall@100": 1.0, "mrr@10": 1.0}

    second = run_beir(
        folder, RetrievalMode.BM25, beir_settings, index_dir=first.index, encoder=encoder
    )
    assert second.build_seconds is None
    assert second.tokens_per_second is None
    assert second.metrics["mrr@10"] == 1.0
    payload = second.to_json()
    assert payload["mode"] == "bm25"
    assert payload["per_query_ndcg@10"]["q-insulin"] == 1.0
    json.dumps(payload)  # plain data all the way down
    assert "[bm25]" in second.summary()


def test_run_beir_dense_with_a_limit(
    tmp_path: Path, beir_settings: Settings, encoder: Encoder
) -> None:
    folder = write_beir(tmp_path / "tiny")
    report = run_beir(
        folder,
        RetrievalMode.DENSE,
        beir_settings,
        index_dir=tmp_path / "ix",
        limit=2,
        encoder=encoder,
    )
    assert report.queries == 2
    assert set(report.ndcg_at_10) == {"q-heart", "q-kidney"}
    assert report.metrics["recall@10"] == 1.0
    assert report.build_seconds is not None
    assert report.tokens_per_second is not None and report.tokens_per_second > 0
    assert report.latency_p50_ms > 0
