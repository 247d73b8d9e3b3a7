"""One base error and a family per stage; every message names the thing that is wrong."""

from __future__ import annotations


class S1AssistError(Exception):
    """Base of every error s1assist raises on purpose."""


class ConfigError(S1AssistError):
    """A setting is missing or out of range."""


class CorpusError(S1AssistError):
    """The corpus folder or one of its files cannot be used."""


class SearchIndexError(S1AssistError):
    """The index is missing, stale, corrupt or built with other settings."""


class IndexMissingError(SearchIndexError):
    """No index has been built in the folder."""


class IndexPointerError(IndexMissingError):
    """The index's CURRENT file does not name a build (unreadable, not UTF-8, not a name)."""


class IndexMismatchError(SearchIndexError):
    """The index was built with another model, dimension or format."""


class IndexCorruptError(SearchIndexError):
    """A file of the index is missing, truncated or altered."""


class QueryError(S1AssistError):
    """A question or query is empty, too long or otherwise unusable."""


class SessionError(S1AssistError):
    """The sessions store cannot be read or written."""


class SessionsRecoveredError(SessionError):
    """The sessions data was unreadable; it was set aside and an empty store started."""
