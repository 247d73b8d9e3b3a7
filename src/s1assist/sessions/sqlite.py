"""Turns in one SQLite file, safe for several processes at once; a corrupt file is moved
aside (never deleted) and a new one started, so answering never stops on it."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from s1assist.errors import SessionError, SessionsRecoveredError
from s1assist.sessions.turns import COLUMNS, turn_from_row, turn_values
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
# SQLITE_CORRUPT and SQLITE_NOTADB: the file's content is damaged. A locked or unopenable
# file (SQLITE_BUSY, SQLITE_CANTOPEN, ...) is not moved: it is not the file's fault.
_DAMAGED = {11, 26}
log = logging.getLogger("s1assist.sessions")


class SqliteSessionStore:
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
                # A half-truncated file opens and can answer some reads; the check finds it.
                problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
                if problems != ["ok"]:
                    raise sqlite3.DatabaseError(f"quick_check: {problems[0]}")
                self._ready = True
            yield connection
        except sqlite3.DatabaseError as exc:
            connection.close()
            code = getattr(exc, "sqlite_errorcode", None)
            if code is not None and code & 0xFF not in _DAMAGED:
                raise SessionError(f"{self.path}: the sessions database failed ({exc})") from None
            raise self._move_aside(exc) from None
        finally:
            connection.close()

    def _move_aside(self, exc: sqlite3.DatabaseError) -> SessionError:
        """Rename the damaged file (and its WAL) out of the way; the next call starts a new
        database. The error says where the old one went."""
        self._ready = False
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                sibling = self.path.with_name(self.path.name + suffix)
                if sibling.exists():
                    os.replace(sibling, aside.with_name(aside.name + suffix))
        except FileNotFoundError:  # another process moved it first
            return SessionsRecoveredError(
                f"{self.path}: the sessions database was unreadable ({exc}); another process "
                "moved it aside and started a new one"
            )
        except OSError as move:
            return SessionError(
                f"{self.path}: the sessions database is unreadable ({exc}) and could not be "
                f"moved aside ({move}); move it away by hand to start afresh"
            )
        log.warning("sessions database %s unreadable (%s); moved to %s", self.path, exc, aside)
        return SessionsRecoveredError(
            f"{self.path}: the sessions database was unreadable ({exc}); it was moved aside to "
            f"{aside.name} and a new one started"
        )

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
                f"SELECT {COLUMNS} FROM turns WHERE session_id = ? ORDER BY n", (session_id,)
            ).fetchall()
        return [turn_from_row(row) for row in rows]

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
                    (session_id, last + 1, *turn_values(answer)),
                )
                db.execute("COMMIT")
            except BaseException:
                with suppress(sqlite3.Error):  # the original error is the one to report
                    db.execute("ROLLBACK")
                raise
        return int(last) + 1

    def forget(self, session_id: str) -> bool:
        """Delete a session's turns; False when there were none."""
        with self._connect() as db:
            cursor = db.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
            return cursor.rowcount > 0
