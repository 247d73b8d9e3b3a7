"""Turns in PostgreSQL, shared by every API replica; psycopg is imported on first use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from s1assist.errors import SessionError
from s1assist.sessions.turns import COLUMNS, turn_from_row, turn_values
from s1assist.types import Answer, Turn

if TYPE_CHECKING:
    import psycopg

_SCHEMA = """
CREATE TABLE IF NOT EXISTS s1assist_turns (
    session_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    question TEXT NOT NULL,
    rewritten_query TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    red_flags TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (session_id, n)
)
"""
# Two replicas starting at once would race on CREATE TABLE IF NOT EXISTS (a unique
# violation in pg_type); one advisory lock, arbitrary but fixed, orders them.
_SCHEMA_LOCK = 0x51A551
_TABLE = "s1assist_turns"


class PostgresSessionStore:
    """Turns by session id in one table. Each call opens its own connection, so threads and
    processes share nothing; concurrent writers to one session take turns on a lock of that
    session's own, held to the end of the transaction."""

    def __init__(self, url: str, connect_timeout_s: int = 10) -> None:
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self._ready = False

    @property
    def where(self) -> str:
        """The server, without the password, for messages."""
        import psycopg.conninfo

        try:
            info = psycopg.conninfo.conninfo_to_dict(self.url)
        except psycopg.ProgrammingError:
            return "sessions.url"
        host, port, name = info.get("host", ""), info.get("port", 5432), info.get("dbname", "")
        return f"postgresql://{host}:{port}/{name}"

    @contextmanager
    def _connect(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        import psycopg

        try:
            connection = psycopg.connect(self.url, connect_timeout=self.connect_timeout_s)
        except psycopg.Error as exc:
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise SessionError(
                f"{self.where}: cannot reach the sessions database ({detail})"
            ) from None
        try:
            with connection:  # commits on success, rolls back on an error
                if not self._ready:
                    with connection.transaction():
                        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                        connection.execute(_SCHEMA)
                    self._ready = True
                yield connection
        except psycopg.Error as exc:
            raise SessionError(f"{self.where}: the sessions database failed ({exc})") from None
        finally:
            connection.close()

    def exists(self, session_id: str) -> bool:
        with self._connect() as db:
            row = db.execute(
                f"SELECT 1 FROM {_TABLE} WHERE session_id = %s LIMIT 1", (session_id,)
            ).fetchone()
            return row is not None

    def questions(self, session_id: str) -> list[str]:
        """Earlier questions of the session, oldest first."""
        return [turn.question for turn in self.turns(session_id)]

    def turns(self, session_id: str) -> list[Turn]:
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {COLUMNS} FROM {_TABLE} WHERE session_id = %s ORDER BY n", (session_id,)
            ).fetchall()
        return [turn_from_row(tuple(row)) for row in rows]

    def append(self, session_id: str, answer: Answer) -> int:
        """Add a turn; concurrent writers to one session each get their own number."""
        with self._connect() as db, db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (session_id,))
            row = db.execute(
                f"SELECT COALESCE(MAX(n), 0) FROM {_TABLE} WHERE session_id = %s", (session_id,)
            ).fetchone()
            n = 1 + (int(str(row[0])) if row else 0)
            db.execute(
                f"INSERT INTO {_TABLE} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (session_id, n, *turn_values(answer)),
            )
        return n

    def forget(self, session_id: str) -> bool:
        """Delete a session's turns; False when there were none."""
        with self._connect() as db:
            cursor = db.execute(f"DELETE FROM {_TABLE} WHERE session_id = %s", (session_id,))
            return cursor.rowcount > 0
