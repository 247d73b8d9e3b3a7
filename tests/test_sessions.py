"""Sessions survive concurrent writers and refuse a corrupt database without losing it."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from s1assist.errors import SessionError
from s1assist.sessions import SessionStore
from s1assist.types import Answer


def _answer(question: str) -> Answer:
    return Answer(question, question, "an answer", False, 0.5, "notice", red_flags=("fever",))


def _write_turns(path: str, session_id: str, count: int, tag: str) -> None:
    store = SessionStore(Path(path))
    for i in range(count):
        store.append(session_id, _answer(f"{tag}-{i}"))


def test_turns_round_trip_in_order(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.sqlite3")
    assert not store.exists("abc")
    assert store.append("abc", _answer("first")) == 1
    assert store.append("abc", _answer("second")) == 2
    turns = store.turns("abc")
    assert [t.question for t in turns] == ["first", "second"]
    assert turns[0].red_flags == ("fever",)
    assert store.questions("abc") == ["first", "second"]
    assert store.forget("abc") is True
    assert store.turns("abc") == []
    assert store.forget("abc") is False


def test_two_processes_writing_one_session_lose_no_turn(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    SessionStore(path).append("shared", _answer("opening"))
    context = multiprocessing.get_context("spawn")
    writers = [
        context.Process(target=_write_turns, args=(str(path), "shared", 25, tag))
        for tag in ("a", "b")
    ]
    for process in writers:
        process.start()
    for process in writers:
        process.join(60)
        assert process.exitcode == 0
    turns = SessionStore(path).turns("shared")
    assert len(turns) == 51
    assert [t.n for t in turns] == list(range(1, 52))
    assert {t.question for t in turns} >= {f"a-{i}" for i in range(25)} | {
        f"b-{i}" for i in range(25)
    }


def test_corrupt_database_is_refused_and_left_in_place(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = SessionStore(path)
    store.append("keep", _answer("precious"))
    data = bytearray(path.read_bytes())
    data[:16] = b"this is not sql!"
    path.write_bytes(bytes(data))
    with pytest.raises(SessionError, match=r"s\.sqlite3.*unreadable"):
        store.turns("keep")
    assert path.read_bytes() == bytes(data)  # nothing deleted or rewritten
