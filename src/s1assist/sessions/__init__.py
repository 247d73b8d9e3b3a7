"""Conversation turns by session id, behind one interface: SQLite on one machine (the
default), PostgreSQL when several API replicas share the sessions."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Protocol

from s1assist.config import SessionBackend, Settings
from s1assist.errors import ConfigError, SessionError, SessionsRecoveredError
from s1assist.types import Answer, Turn

SESSIONS_FILE = "sessions.sqlite3"
# Said to the person; the details (file names, servers) go to the server log only.
UNREADABLE_NOTE = (
    "the sessions store could not be read, so this question was answered without earlier "
    "turns, in a new session"
)
UNRECORDED_NOTE = "the sessions store could not record this turn; a follow-up will start afresh"
log = logging.getLogger("s1assist.sessions")


class SessionStore(Protocol):
    """What the chat needs from a store. Every method may raise `SessionError`; a store that
    found its data unreadable and started afresh says so in that error once."""

    def exists(self, session_id: str) -> bool: ...

    def questions(self, session_id: str) -> list[str]:
        """Earlier questions of the session, oldest first."""
        ...

    def turns(self, session_id: str) -> list[Turn]: ...

    def append(self, session_id: str, answer: Answer) -> int:
        """Add a turn; concurrent writers to one session each get their own number."""
        ...

    def forget(self, session_id: str) -> bool:
        """Delete a session's turns; False when there were none."""
        ...


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]


def open_session_store(settings: Settings) -> SessionStore:
    """The store the settings name; nothing is opened until the first call."""
    if settings.sessions.backend is SessionBackend.POSTGRES:
        from s1assist.sessions.postgres import PostgresSessionStore

        if not settings.sessions.url:
            raise ConfigError(
                "sessions.url is empty; the postgres session store needs a connection string "
                "(S1ASSIST_SESSIONS__URL=postgresql://user:password@host:5432/db)"
            )
        return PostgresSessionStore(settings.sessions.url, settings.sessions.connect_timeout_s)
    from s1assist.sessions.sqlite import SqliteSessionStore

    return SqliteSessionStore(Path(settings.paths.data) / SESSIONS_FILE)


def read_history(store: SessionStore, session_id: str | None) -> tuple[list[str], str]:
    """The session's earlier questions, and a note for the person when the store could not
    give them: answering goes on without history rather than failing."""
    if session_id is None:
        return [], ""
    try:
        return store.questions(session_id), ""
    except SessionError as exc:
        log.warning("answering without history: %s", exc)
        return [], UNREADABLE_NOTE


def record_turn(store: SessionStore, session_id: str, answer: Answer) -> str:
    """Keep the turn; a note instead of an error when the store cannot take it. A store that
    has just set damaged data aside and started afresh is tried once more."""
    try:
        try:
            store.append(session_id, answer)
        except SessionsRecoveredError:
            store.append(session_id, answer)
    except SessionError as exc:
        log.warning("a turn was not recorded: %s", exc)
        return UNRECORDED_NOTE
    return ""


__all__ = [
    "SESSIONS_FILE",
    "SessionStore",
    "new_session_id",
    "open_session_store",
    "read_history",
    "record_turn",
]
