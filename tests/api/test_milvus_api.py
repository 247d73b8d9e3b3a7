"""An API replica over the Milvus backend: nothing on local disk but the model. It answers
as the FAISS-backed server does and serves the documents citations point into from Milvus."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from apiserver import QUESTION, GatedAssistant, LiveServer

from milvusserver import MilvusLiteServer
from s1assist.answering import answer_to_json
from s1assist.api import ApiOptions, create_app
from s1assist.config import IndexBackend, IndexSettings, MilvusSettings, PathSettings, Settings
from s1assist.embedding import Encoder
from s1assist.index.milvus import build_milvus
from s1assist.types import Document


@pytest.fixture(scope="module")
def milvus_app_settings(
    milvus_server: MilvusLiteServer,
    settings: Settings,
    encoder: Encoder,
    corpus_documents: tuple[Document, ...],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Settings]:
    empty = tmp_path_factory.mktemp("replica")
    own = settings.model_copy(
        update={
            # No corpus and no index folder on this replica: only Milvus and the model.
            "paths": PathSettings(corpus=empty / "none", index=empty / "none", data=empty),
            "index": IndexSettings(backend=IndexBackend.MILVUS),
            "milvus": MilvusSettings(
                uri=milvus_server.uri, collection=f"api_{uuid.uuid4().hex[:8]}"
            ),
        }
    )
    build_milvus(corpus_documents, encoder, own)
    yield own


def test_a_replica_over_milvus_answers_as_the_faiss_server(
    milvus_app_settings: Settings, gated: GatedAssistant, built_index: object, tmp_path: Path
) -> None:
    with (
        LiveServer(create_app(milvus_app_settings, ApiOptions())) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        ready = http.get("/readyz").json()
        assert ready["documents"] == len(gated.retriever.index.documents)
        assert ready["passages"] == len(gated.retriever.index.chunks)
        body = http.post("/v1/ask", json={"question": QUESTION}).json()
        expected = answer_to_json(gated.answer(QUESTION, []))

        def known(found: list[dict[str, object]]) -> list[dict[str, object]]:
            return [{k: v for k, v in c.items() if v is not None and k != "score"} for c in found]

        assert known(body["citations"]) == known(expected["citations"])
        # The FAISS index reads the sentence vectors its build embedded in batches; the
        # replica embeds them at ask time, and batch padding moves the fourth decimal.
        assert [c["score"] for c in body["citations"]] == pytest.approx(
            [c["score"] for c in expected["citations"]], abs=2e-3
        )
        assert body["answer"] == expected["answer"]
        for citation in body["citations"]:
            document = http.get(f"/v1/documents/{citation['doc_id']}").json()
            assert document["text"][citation["start"] : citation["end"]] == citation["quote"]
        assert http.get("/v1/documents/no-such-doc").status_code == 404
    assert not (Path(milvus_app_settings.paths.index)).exists()
