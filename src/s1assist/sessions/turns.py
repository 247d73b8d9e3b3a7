"""The one row shape both stores keep, so they cannot drift apart."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from s1assist.types import Answer, Turn

COLUMNS = "n, question, rewritten_query, answer, abstained, red_flags, created_at"


def turn_values(answer: Answer) -> tuple[str, str, str, int, str, str]:
    """(question, rewritten_query, answer, abstained, red_flags, created_at) of a new turn."""
    return (
        answer.question,
        answer.rewritten_query,
        answer.answer,
        int(answer.abstained),
        ",".join(answer.red_flags),
        datetime.now(UTC).isoformat(timespec="seconds"),
    )


def turn_from_row(row: tuple[Any, ...]) -> Turn:
    n, question, rewritten, answer, abstained, red_flags, created_at = row
    flags = tuple(filter(None, str(red_flags).split(",")))
    return Turn(int(n), question, rewritten, answer, bool(abstained), flags, str(created_at))
