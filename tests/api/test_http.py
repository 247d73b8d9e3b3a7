"""The native routes over a real server, real model and real index, through httpx."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from apiserver import QUESTION, GatedAssistant, LiveServer, assert_problem, events

from s1assist.answering import answer_to_json
from s1assist.api import ApiOptions, create_app
from s1assist.api.source_list import cited_sources, with_sources
from s1assist.config import Settings
from s1assist.index import LoadedIndex
from s1assist.retrieval import Retriever, hit_to_json
from s1assist.types import SourceKind

FOLLOW_UP = "How long does it take to heal?"
RED_FLAG = "I have sciatica and since yesterday I can't control my bladder"
QUESTIONS = [
    QUESTION,
    "What are the symptoms of S1 radiculopathy?",
    "How is S1 nerve damage repaired?",
    "Is the SI joint a cause of sciatica?",
]


def without_session(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without its session id; a citation field that is unknown (None) and one
    left out read the same."""
    found = {key: value for key, value in payload.items() if key != "session_id"}
    found["citations"] = [
        {key: value for key, value in c.items() if value is not None} for c in found["citations"]
    ]
    return found


def test_health_and_readiness(http: httpx.Client, built_index: LoadedIndex) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}
    ready = http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "build_id": built_index.folder.name,
        "documents": len(built_index.documents),
        "passages": len(built_index.chunks),
    }


def test_readyz_is_503_until_the_model_is_loaded(gated: GatedAssistant, open_gates: Any) -> None:
    gated.load_gate.clear()
    # A fresh app over the (held) assistant: its start-up load waits at the gate.
    server = LiveServer(create_app(gated.settings, ApiOptions(), assistant=gated))
    server.start(wait_ready=False)
    try:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        not_ready = assert_problem(httpx.get(f"{server.url}/readyz"), 503)
        assert not_ready["type"] == "urn:s1assist:problem:not-ready"
        asked = httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION})
        assert_problem(asked, 503)
        assert asked.headers["retry-after"] == "2"
        gated.load_gate.set()
        for _ in range(200):
            if httpx.get(f"{server.url}/readyz").status_code == 200:
                break
        assert httpx.get(f"{server.url}/readyz").status_code == 200
    finally:
        gated.load_gate.set()
        server.stop()


def test_a_failed_load_keeps_readyz_at_503(settings: Settings, tmp_path: Path) -> None:
    empty = settings.model_copy(
        update={"paths": settings.paths.model_copy(update={"index": tmp_path / "no-index"})}
    )
    with LiveServer(create_app(empty, ApiOptions())).start(wait_ready=False) as server:
        for _ in range(100):  # the load fails at once: there is no index to open
            problem = httpx.get(f"{server.url}/readyz").json()
            if "could not be loaded" in problem["detail"]:
                break
            time.sleep(0.05)
        assert problem["detail"] == "the assistant could not be loaded; see the log"
        assert str(tmp_path) not in problem["detail"]
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        assert_problem(httpx.post(f"{server.url}/v1/search", json={"query": "sciatica"}), 503)


def test_ask_returns_exactly_the_answer_object(http: httpx.Client, gated: GatedAssistant) -> None:
    response = http.post("/v1/ask", json={"question": QUESTION})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    payload = response.json()
    answer = gated.answer(QUESTION, [])
    expected = answer_to_json(answer)
    expected["citations"] = with_sources(
        expected["citations"], cited_sources(answer, gated.document)
    )
    assert payload.keys() == expected.keys()  # no "note" for a new session
    assert {c["kind"] for c in payload["citations"]} <= {k.value for k in SourceKind}
    assert without_session(payload) == without_session(expected)
    assert len(payload["session_id"]) == 12
    assert payload["citations"] and "[1]" in payload["answer"]


def test_a_follow_up_keeps_the_session(http: httpx.Client) -> None:
    first = http.post("/v1/ask", json={"question": QUESTION}).json()
    session = first["session_id"]
    second = http.post("/v1/ask", json={"question": FOLLOW_UP, "session_id": session}).json()
    assert second["session_id"] == session
    assert "note" not in second
    # The follow-up was searched with the first question's topic carried over.
    assert second["rewritten_query"].startswith(FOLLOW_UP)
    assert "sciatica" in second["rewritten_query"]

    turns = http.get(f"/v1/sessions/{session}").json()
    assert turns["session_id"] == session
    assert [t["question"] for t in turns["turns"]] == [QUESTION, FOLLOW_UP]
    assert [t["n"] for t in turns["turns"]] == [1, 2]
    assert turns["turns"][1]["answer"] == second["answer"]

    assert http.delete(f"/v1/sessions/{session}").status_code == 204
    assert_problem(http.get(f"/v1/sessions/{session}"), 404)
    assert_problem(http.delete(f"/v1/sessions/{session}"), 404)


def test_an_unknown_session_starts_a_new_one_with_a_note(http: httpx.Client) -> None:
    payload = http.post("/v1/ask", json={"question": QUESTION, "session_id": "gone-123"}).json()
    assert "gone-123" in payload["note"]
    assert payload["session_id"] != "gone-123"
    assert len(http.get(f"/v1/sessions/{payload['session_id']}").json()["turns"]) == 1


@pytest.mark.parametrize("question", QUESTIONS)
def test_each_citation_quote_is_a_slice_of_its_document(http: httpx.Client, question: str) -> None:
    answer = http.post("/v1/ask", json={"question": question}).json()
    assert answer["citations"], f"no citation for {question!r}"
    for citation in answer["citations"]:
        document = http.get(f"/v1/documents/{citation['doc_id']}").json()
        assert document["text"][citation["start"] : citation["end"]] == citation["quote"]
        assert document["title"] == citation["title"]
        assert citation["section"] in [s["heading"] for s in document["sections"]]
        for section in document["sections"]:
            assert 0 <= section["start"] <= section["end"] <= len(document["text"])


def test_documents_carry_metadata(http: httpx.Client, built_index: LoadedIndex) -> None:
    for doc_id, expected in built_index.documents.items():
        document = http.get(f"/v1/documents/{doc_id}").json()
        assert document["text"] == expected.text
        assert document["kind"] == expected.kind.value
        assert (document["date"], document["url"]) == (expected.date, expected.url)
        assert len(document["sections"]) == len(expected.sections)


def test_a_document_id_may_contain_a_slash(http: httpx.Client) -> None:
    # The path converter hands "a/b" to the route (a plain parameter would 404 as no route).
    missing = assert_problem(http.get("/v1/documents/guidelines/a%2Fb"), 404)
    assert missing["type"] == "urn:s1assist:problem:unknown-document"
    assert "'guidelines/a/b'" in missing["detail"]


def test_search_returns_the_cli_hits(http: httpx.Client, retriever: Retriever) -> None:
    query = "S1 radiculopathy symptoms in the foot"
    payload = http.post("/v1/search", json={"query": query, "k": 3}).json()
    assert payload["query"] == query
    expected = [hit_to_json(hit) for hit in retriever.search(query, k=3)]
    assert [h["doc_id"] for h in payload["hits"]] == [h["doc_id"] for h in expected]
    for got, want in zip(payload["hits"], expected, strict=True):
        assert got.keys() == want.keys()
        for key in ("rank", "doc_id", "title", "section", "text", "start", "end"):
            assert got[key] == want[key]
        assert got["score"] == pytest.approx(want["score"], abs=1e-6)


def test_search_honours_k_and_mode(http: httpx.Client) -> None:
    payload = http.post("/v1/search", json={"query": "piriformis", "k": 2, "mode": "bm25"}).json()
    assert len(payload["hits"]) == 2
    assert all(h["dense_score"] is None and h["lexical_score"] for h in payload["hits"])


def test_a_body_over_the_limit_is_413(http: httpx.Client) -> None:
    big = {"question": "x" * (70 * 1024)}
    problem = assert_problem(http.post("/v1/ask", json=big), 413)
    assert problem["type"] == "urn:s1assist:problem:body-too-large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts what arrives
        yield b'{"question": "'
        for _ in range(80):
            yield b"y" * 1024
        yield b'"}'

    chunked = http.post("/v1/ask", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(chunked, 413)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"question": "   \n\t"}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"question": QUESTION, "colour": "blue"}, "colour"),
        ({}, "question"),
        ({"question": 42}, "question"),
        ({"question": "\ud800 lone surrogate"}, "question"),
    ],
)
def test_a_bad_question_is_422(http: httpx.Client, body: dict[str, Any], where: str) -> None:
    # json.dumps escapes the lone surrogate as \ud800, as a client's JSON would.
    sent = http.post(
        "/v1/ask", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    problem = assert_problem(sent, 422)
    assert where in problem["detail"]
    assert QUESTION not in json.dumps(problem)  # refused input is not echoed


def test_malformed_json_and_bad_k_are_422(http: httpx.Client) -> None:
    headers = {"content-type": "application/json"}
    assert_problem(http.post("/v1/ask", content=b'{"question": ', headers=headers), 422)
    for k in (0, 101, "5", 2.5, True):
        assert_problem(http.post("/v1/search", json={"query": "sciatica", "k": k}), 422)
    assert http.post("/v1/search", json={"query": "sciatica", "k": 2.0}).status_code == 200


def test_unknown_routes_and_methods_are_problems(http: httpx.Client) -> None:
    assert_problem(http.get("/v1/nothing-here"), 404)
    not_allowed = assert_problem(http.put("/v1/sessions/abc"), 405)
    assert not_allowed.get("type") == "about:blank"
    assert set(http.put("/v1/sessions/abc").headers["allow"].split(", ")) == {"GET", "DELETE"}


def test_the_stream_sends_rewrite_sources_sentences_done(http: httpx.Client) -> None:
    response = http.post("/v1/ask/stream", json={"question": QUESTION})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    sent = events(response)
    names = [name for name, _ in sent]
    done = sent[-1][1]
    assert names == ["rewrite", "sources"] + ["sentence"] * len(done["sentences"]) + ["done"]
    assert sent[0][1]["session_id"] == done["session_id"]
    assert sent[1][1]["citations"] == done["citations"]
    assert [data for name, data in sent if name == "sentence"] == done["sentences"]
    plain = http.post("/v1/ask", json={"question": QUESTION}).json()
    assert without_session(done) == without_session(plain)


def test_a_red_flag_is_streamed_first_as_an_alert(http: httpx.Client) -> None:
    sent = events(http.post("/v1/ask/stream", json={"question": RED_FLAG}))
    assert [name for name, _ in sent][:2] == ["rewrite", "alert"]
    alert, done = sent[1][1], sent[-1][1]
    assert alert["red_flags"] == done["red_flags"] == ["bladder_bowel"]
    assert alert["text"].startswith("URGENT:")
    assert done["answer"].startswith(alert["text"])


def test_no_question_text_in_the_info_log(
    http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Does my very private zebra-7731 problem count as S1 radiculopathy?"
    with caplog.at_level(logging.INFO):
        assert http.post("/v1/ask", json={"question": secret}).status_code == 200
        assert http.post("/v1/search", json={"query": secret}).status_code == 200
    assert "POST /v1/ask" in caplog.text  # the access log was captured
    assert "zebra-7731" not in caplog.text


def test_docs_work_offline_from_bundled_assets(http: httpx.Client) -> None:
    page = http.get("/docs")
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    script = http.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text
    assert http.get("/openapi.json").json()["info"]["title"] == "s1assist"
