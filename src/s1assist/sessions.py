"""Conversation turns in SQLite: one file, safe for several processes at once."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from s1assist.errors import SessionError
from s1assist.types import Answer, Turn

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    question TEXT NOT NULL,
    rewritten_query TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    red_flags TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (session_id, n)
);
"""
_BUSY_TIMEOUT_S = 10.0


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]


class SessionStore:
    """Turns by session id. Each call opens its own connection, so threads can share it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise SessionError(f"{self.path}: cannot open the sessions database ({exc})") from None
        try:
            if not self._ready:  # once per store: the journal mode persists in the file
                connection.execute("PRAGMA journal_mode=WAL")
                connection.executescript(_SCHEMA)
                self._ready = True
            yield connection
        except sqlite3.DatabaseError as exc:
            raise SessionError(
                f"{self.path}: the sessions database is unreadable ({exc}); it was left as it "
                "is; move it aside to start afresh"
            ) from None
        finally:
            connection.close()

    def exists(self, session_id: str) -> bool:
        with self._connect() as db:
            row = db.execute("SELECT 1 FROM turns WHERE session_id = ? LIMIT 1", (session_id,))
            return row.fetchone() is not None

    def questions(self, session_id: str) -> list[str]:
        """Earlier questions of the session, oldest first."""
        return [turn.question for turn in self.turns(session_id)]

    def turns(self, session_id: str) -> list[Turn]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT n, question, rewritten_query, answer, abstained, red_flags, created_at "
                "FROM turns WHERE session_id = ? ORDER BY n",
                (session_id,),
            ).fetchall()
        return [
            Turn(n, q, rq, a, bool(ab), tuple(filter(None, rf.split(","))), at)
            for n, q, rq, a, ab, rf, at in rows
        ]

    def append(self, session_id: str, answer: Answer) -> int:
        """Add a turn; concurrent writers to one session each get their own number."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                (last,) = db.execute(
                    "SELECT COALESCE(MAX(n), 0) FROM turns WHERE session_id = ?", (session_id,)
                ).fetchone()
                db.execute(
                    "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        session_id,
                        last + 1,
                        answer.question,
                        answer.rewritten_query,
                        answer.answer,
                        int(answer.abstained),
                        ",".join(answer.red_flags),
                        datetime.now(UTC).isoformat(timespec="seconds"),
                    ),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return int(last) + 1

    def forget(self, session_id: str) -> bool:
        """Delete a session's turns; False when there were none."""
        with self._connect() as db:
            cursor = db.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
            return cursor.rowcount > 0
