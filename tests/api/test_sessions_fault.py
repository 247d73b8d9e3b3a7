"""A sessions database that cannot be read never takes answering down: over a real server,
/v1/ask keeps answering (without history, saying so in `note`), the damaged file is moved
aside with its bytes intact, and the next question is recorded in a new database."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from apiserver import QUESTION, GatedAssistant, LiveServer

from s1assist.api import ApiOptions, create_app
from s1assist.chat import Assistant
from s1assist.sessions import SESSIONS_FILE, UNREADABLE_NOTE
from s1assist.sessions.sqlite import SqliteSessionStore
from s1assist.types import Answer


def _database(folder: Path) -> bytes:
    """A real sessions file with enough turns to span several pages; its bytes."""
    store = SqliteSessionStore(folder / SESSIONS_FILE)
    for i in range(40):
        store.append(f"s{i % 3}", Answer(f"q{i} " + "words " * 80, "q", "a", False, 0.5, "n"))
    for sibling in folder.glob(f"{SESSIONS_FILE}-*"):
        sibling.unlink()  # checkpointed when the last connection closed
    return (folder / SESSIONS_FILE).read_bytes()


DAMAGE = {
    "garbage-header": lambda data: b"this is not sql!" + data[16:],
    "half-truncated": lambda data: data[: len(data) // 2],
    "zeroed": lambda data: bytes(len(data)),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_ask_answers_without_history_and_moves_the_file_aside(
    gated: GatedAssistant, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    damaged = DAMAGE[damage](_database(data))
    (data / SESSIONS_FILE).write_bytes(damaged)
    settings = gated.settings.model_copy(
        update={"paths": gated.settings.paths.model_copy(update={"data": data})}
    )
    assistant = Assistant(settings, gated.retriever).load(warm=False)
    with (
        caplog.at_level(logging.WARNING, "s1assist.sessions"),
        LiveServer(create_app(settings, ApiOptions(), assistant=assistant)) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        asked = http.post("/v1/ask", json={"question": QUESTION, "session_id": "s1"})
        assert asked.status_code == 200, asked.text
        body = asked.json()
        assert body["citations"] and not body["abstained"]
        assert body["note"] == UNREADABLE_NOTE
        assert str(data) not in body["note"]  # server paths stay in the log
        assert http.get("/readyz").status_code == 200
        follow_up = http.post(
            "/v1/ask",
            json={"question": "How long does it take to heal?", "session_id": body["session_id"]},
        )
        assert follow_up.status_code == 200, follow_up.text
        assert "note" not in follow_up.json()  # the first turn went into the new database
        turns = http.get(f"/v1/sessions/{body['session_id']}").json()["turns"]
        assert [t["question"] for t in turns] == [QUESTION, "How long does it take to heal?"]
        plain = http.post("/v1/ask", json={"question": QUESTION})
        assert plain.status_code == 200 and "note" not in plain.json()
    (aside,) = data.glob(f"{SESSIONS_FILE}.corrupt-*")
    assert aside.read_bytes() == damaged
    moved = [r.getMessage() for r in caplog.records if "moved to" in r.getMessage()]
    assert len(moved) == 1 and aside.name in moved[0]
