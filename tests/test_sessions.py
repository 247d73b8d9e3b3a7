"""Sessions, on SQLite and on a real PostgreSQL server: concurrent writers lose no turn; a
corrupt SQLite file is moved aside (never deleted) and a new one started."""

from __future__ import annotations

import logging
import multiprocessing
import uuid
from pathlib import Path

import pytest

from pgserver import PostgresServer
from s1assist.config import PathSettings, SessionBackend, SessionSettings, Settings
from s1assist.errors import ConfigError, SessionError, SessionsRecoveredError
from s1assist.sessions import SessionStore, open_session_store
from s1assist.sessions.sqlite import SqliteSessionStore
from s1assist.types import Answer


def _answer(question: str) -> Answer:
    return Answer(question, question, "an answer", False, 0.5, "notice", red_flags=("fever",))


def _settings(backend: str, where: str) -> Settings:
    if backend == "postgres":
        return Settings(sessions=SessionSettings(backend=SessionBackend.POSTGRES, url=where))
    return Settings(paths=PathSettings(data=Path(where)))


def _write_turns(backend: str, where: str, session_id: str, count: int, tag: str) -> None:
    store = open_session_store(_settings(backend, where))
    for i in range(count):
        store.append(session_id, _answer(f"{tag}-{i}"))


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(backend, where): a fresh SQLite folder, or a fresh database on the real server."""
    if request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres")
        return "postgres", server.new_database(f"t_{uuid.uuid4().hex[:10]}")
    return "sqlite", str(tmp_path / "data")


def test_the_settings_pick_the_store(backend: tuple[str, str]) -> None:
    store = open_session_store(_settings(*backend))
    assert type(store).__name__.lower().startswith(backend[0])


def test_turns_round_trip_in_order(backend: tuple[str, str]) -> None:
    store: SessionStore = open_session_store(_settings(*backend))
    assert not store.exists("abc")
    assert store.append("abc", _answer("first")) == 1
    assert store.append("abc", _answer("second")) == 2
    assert store.append("other", _answer("elsewhere")) == 1
    turns = store.turns("abc")
    assert [t.question for t in turns] == ["first", "second"]
    assert turns[0].red_flags == ("fever",)
    assert not turns[0].abstained
    assert store.questions("abc") == ["first", "second"]
    assert store.forget("abc") is True
    assert store.turns("abc") == []
    assert store.forget("abc") is False
    assert store.questions("other") == ["elsewhere"]


def test_two_processes_writing_one_session_lose_no_turn(backend: tuple[str, str]) -> None:
    kind, where = backend
    open_session_store(_settings(kind, where)).append("shared", _answer("opening"))
    context = multiprocessing.get_context("spawn")
    writers = [
        context.Process(target=_write_turns, args=(kind, where, "shared", 25, tag))
        for tag in ("a", "b")
    ]
    for process in writers:
        process.start()
    for process in writers:
        process.join(60)
        assert process.exitcode == 0
    turns = open_session_store(_settings(kind, where)).turns("shared")
    assert len(turns) == 51
    assert [t.n for t in turns] == list(range(1, 52))
    assert {t.question for t in turns} >= {f"a-{i}" for i in range(25)} | {
        f"b-{i}" for i in range(25)
    }


def test_postgres_needs_a_url_and_names_an_unreachable_server() -> None:
    with pytest.raises(ConfigError, match=r"sessions\.url"):
        open_session_store(Settings(sessions=SessionSettings(backend=SessionBackend.POSTGRES)))
    from pgserver import free_port

    url = f"postgresql://nobody:secret@127.0.0.1:{free_port()}/nothing"
    store = open_session_store(
        Settings(sessions=SessionSettings(backend=SessionBackend.POSTGRES, url=url))
    )
    with pytest.raises(SessionError, match=r"127\.0\.0\.1.*cannot reach") as raised:
        store.turns("abc")
    assert "secret" not in str(raised.value)


def _garbage_header(data: bytes) -> bytes:
    return b"this is not sql!" + data[16:]


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _zeroed(data: bytes) -> bytes:
    return bytes(len(data))


def _damaged_page(data: bytes) -> bytes:
    """One page in the middle overwritten: reads of other pages still work."""
    at = len(data) // 2 // 4096 * 4096
    return data[:at] + b"\xa5" * 4096 + data[at + 4096 :]


DAMAGE = [_garbage_header, _half, _zeroed, _damaged_page]


def _damaged_store(tmp_path: Path, damage: object) -> tuple[SqliteSessionStore, Path, bytes]:
    """A sessions file with a few hundred turns (several pages), then damaged on disk."""
    import sqlite3

    path = tmp_path / "s.sqlite3"
    SqliteSessionStore(path).append("keep", _answer("precious"))
    rows = [(f"s{i % 7}", i, f"q{i} " + "words " * 20, "q", "a", 0, "", "") for i in range(300)]
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.close()
    assert callable(damage)
    damaged: bytes = damage(path.read_bytes())
    for sibling in (tmp_path / "s.sqlite3-wal", tmp_path / "s.sqlite3-shm"):
        sibling.unlink(missing_ok=True)  # checkpointed on close
    path.write_bytes(damaged)
    return SqliteSessionStore(path), path, damaged


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__.strip("_"))
def test_corrupt_database_is_moved_aside_and_a_new_one_started(
    tmp_path: Path, damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    store, path, damaged = _damaged_store(tmp_path, damage)
    with (
        caplog.at_level(logging.WARNING, "s1assist.sessions"),
        pytest.raises(SessionsRecoveredError, match=r"s\.sqlite3.*moved aside"),
    ):
        store.turns("keep")
    (aside,) = tmp_path.glob("s.sqlite3.corrupt-*")
    assert aside.read_bytes() == damaged  # nothing deleted or rewritten
    lines = [r.getMessage() for r in caplog.records if "moved to" in r.getMessage()]
    assert len(lines) == 1 and str(aside) in lines[0] and "\n" not in lines[0]
    assert store.turns("keep") == []  # a new, empty database
    assert store.append("keep", _answer("again")) == 1
    assert path.exists() and aside.read_bytes() == damaged


def test_a_locked_database_is_not_taken_for_a_corrupt_one(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "s.sqlite3"
    store = SqliteSessionStore(path)
    store.append("a", _answer("first"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        blocked = SqliteSessionStore(path)
        blocked_path_timeout = pytest.MonkeyPatch()
        blocked_path_timeout.setattr("s1assist.sessions.sqlite._BUSY_TIMEOUT_S", 0.05)
        try:
            with pytest.raises(SessionError) as raised:
                blocked.append("a", _answer("second"))
        finally:
            blocked_path_timeout.undo()
        assert not isinstance(raised.value, SessionsRecoveredError)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(tmp_path.glob("*.corrupt-*"))
    assert store.questions("a") == ["first"]
