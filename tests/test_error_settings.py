"""Every limit's error names the setting that applies, so the reader knows what to change."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from s1assist.api import ApiOptions, create_app
from s1assist.chat import Assistant
from s1assist.config import Settings
from s1assist.corpus import load_corpus
from s1assist.errors import QueryError
from s1assist.retrieval import Retriever

OVERLONG = "Can S1 impingement cause sciatica? " * 100  # 3,500 characters


def test_ask_names_the_question_limit(assistant: Assistant) -> None:
    with pytest.raises(QueryError) as info:
        assistant.ask(OVERLONG)
    message = str(info.value)
    assert "answer.max_question_chars" in message
    assert "retrieval.max_query_chars" not in message


def test_search_names_the_query_limit(retriever: Retriever) -> None:
    with pytest.raises(QueryError, match=r"retrieval\.max_query_chars"):
        retriever.search(OVERLONG)


def test_cli_ask_names_the_question_limit(
    cli_path: Path, cli_env: dict[str, str], settings: Settings, built_index
) -> None:
    asked = subprocess.run(
        [str(cli_path), "ask", OVERLONG, "--index", str(settings.paths.index)],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert asked.returncode != 0
    assert "answer.max_question_chars" in asked.stderr
    assert "retrieval.max_query_chars" not in asked.stderr


@pytest.fixture(scope="module")
def client(assistant: Assistant) -> TestClient:
    options = ApiOptions(max_body_bytes=8192)
    with TestClient(create_app(assistant.settings, options, assistant=assistant)) as client:
        return client


@pytest.mark.parametrize(
    ("path", "body", "setting"),
    [
        ("/v1/ask", {"question": "S1 " * 1000}, "answer.max_question_chars"),
        ("/v1/search", {"query": "S1 " * 1000}, "retrieval.max_query_chars"),
        (
            "/v1/chat/completions",
            {"model": "s1assist", "messages": [{"role": "user", "content": "S1 " * 1000}]},
            "answer.max_question_chars",
        ),
    ],
)
def test_http_length_errors_name_their_setting(
    client: TestClient, path: str, body: dict, setting: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert setting in response.text


def test_http_body_limit_names_its_setting(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": "x" * 10_000})
    assert response.status_code == 413
    assert "server.max_body_bytes" in response.json()["detail"]


def test_file_size_limit_names_its_setting(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("S1 nerve root. " * 100, encoding="utf-8")
    (tmp_path / "good.txt").write_text("The S1 nerve root.\n\nIt serves the calf.", "utf-8")
    loaded = load_corpus(tmp_path, max_file_bytes=500)
    assert any("corpus.max_file_bytes" in line for line in loaded.skipped), loaded.skipped
