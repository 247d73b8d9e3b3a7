"""The gold set (eval/gold.jsonl): cases read, checked and tied to spans of the cleaned text.

Each evidence quote must occur verbatim in the cleaned text of its document, the text that
chunk and citation offsets index into; it is kept as (doc_id, start, end). A passage or a
citation is relevant when it overlaps a gold span of the same document, so the gold set
survives a change of chunking.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from s1assist.answering.safety import RedFlag
from s1assist.errors import S1AssistError
from s1assist.types import Document

_FIELDS = frozenset(
    {"id", "split", "kind", "turns", "reference", "key_facts", "evidence", "red_flags", "tags"}
)


class EvaluationError(S1AssistError):
    """The gold set or the baseline cannot be used."""


class CaseKind(StrEnum):
    """What a case tests; an abstain case is one the assistant should decline."""

    ANSWER = "answer"
    ABSTAIN = "abstain"
    REDFLAG = "redflag"
    FOLLOWUP = "followup"


class Split(StrEnum):
    """Dev cases may be tuned and fitted on; test cases are only ever reported."""

    DEV = "dev"
    TEST = "test"


@dataclass(frozen=True, slots=True)
class GoldSpan:
    """A gold evidence quote and where it sits: `documents[doc_id].text[start:end] == quote`."""

    doc_id: str
    quote: str
    start: int
    end: int

    def overlaps(self, doc_id: str, start: int, end: int) -> bool:
        """True when the half-open span [start, end) of `doc_id` shares a character."""
        return doc_id == self.doc_id and start < self.end and self.start < end


@dataclass(frozen=True, slots=True)
class GoldCase:
    """One case: the turns (the last is asked, the rest are history) and what is expected."""

    case_id: str
    kind: CaseKind
    turns: tuple[str, ...]
    reference: str
    key_facts: tuple[str, ...]
    evidence: tuple[GoldSpan, ...]
    red_flags: tuple[RedFlag, ...]
    tags: tuple[str, ...]
    line: int
    split: Split = Split.TEST

    @property
    def question(self) -> str:
        return self.turns[-1]

    @property
    def history(self) -> list[str]:
        return list(self.turns[:-1])


def overlaps_any(spans: Sequence[GoldSpan], doc_id: str, start: int, end: int) -> bool:
    """True when [start, end) of `doc_id` overlaps one of `spans`."""
    return any(span.overlaps(doc_id, start, end) for span in spans)


def load_gold(path: Path, documents: Mapping[str, Document]) -> list[GoldCase]:
    """The cases of `path`, in file order; `EvaluationError` names the file, line, case and
    field of the first problem (bad JSON, unknown kind, duplicate id, quote not verbatim)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"{path}: cannot read the gold set ({exc})") from None
    cases: list[GoldCase] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        case = _parse(line, _Where(path, number), documents)
        if case.case_id in seen:
            raise EvaluationError(
                f"{path}:{number}: case {case.case_id!r}: field 'id': duplicate of line "
                f"{seen[case.case_id]}"
            )
        seen[case.case_id] = number
        cases.append(case)
    if not cases:
        raise EvaluationError(f"{path}: no cases")
    return cases


@dataclass(frozen=True, slots=True)
class _Where:
    path: Path
    line: int
    case_id: str = "?"

    def error(self, field: str, problem: str) -> EvaluationError:
        return EvaluationError(
            f"{self.path}:{self.line}: case {self.case_id!r}: field {field!r}: {problem}"
        )


def _parse(line: str, where: _Where, documents: Mapping[str, Document]) -> GoldCase:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EvaluationError(f"{where.path}:{where.line}: not valid JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise EvaluationError(f"{where.path}:{where.line}: expected a JSON object")
    case_id = row.get("id")
    if not isinstance(case_id, str) or not case_id.strip():
        raise where.error("id", "missing or not a non-empty string")
    where = _Where(where.path, where.line, case_id)
    unknown = sorted(row.keys() - _FIELDS)
    if unknown:
        raise where.error(unknown[0], f"unknown field; expected {sorted(_FIELDS)}")
    try:
        kind = CaseKind(str(row.get("kind")))
    except ValueError:
        valid = ", ".join(k.value for k in CaseKind)
        raise where.error("kind", f"{row.get('kind')!r} is not one of {valid}") from None
    turns = _strings(row, "turns", where)
    if not turns or not all(t.strip() for t in turns):
        raise where.error("turns", "needs at least one non-empty question")
    try:
        split = Split(str(row.get("split", Split.TEST)))
    except ValueError:
        valid = ", ".join(s.value for s in Split)
        raise where.error("split", f"{row.get('split')!r} is not one of {valid}") from None
    reference = row.get("reference")
    if not isinstance(reference, str):
        raise where.error("reference", "missing or not a string")
    flags = []
    for i, name in enumerate(_strings(row, "red_flags", where)):
        try:
            flags.append(RedFlag(name))
        except ValueError:
            valid = ", ".join(f.value for f in RedFlag)
            raise where.error(f"red_flags[{i}]", f"{name!r} is not one of {valid}") from None
    case = GoldCase(
        case_id=case_id,
        kind=kind,
        turns=tuple(turns),
        reference=reference,
        key_facts=tuple(_strings(row, "key_facts", where)),
        evidence=_evidence(row.get("evidence"), where, documents),
        red_flags=tuple(flags),
        tags=tuple(_strings(row, "tags", where)),
        line=where.line,
        split=split,
    )
    _check_kind(case, where)
    return case


def _strings(row: dict[str, Any], field: str, where: _Where) -> list[str]:
    value = row.get(field)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error(field, "missing or not a list of strings")
    return value


def _evidence(value: Any, where: _Where, documents: Mapping[str, Document]) -> tuple[GoldSpan, ...]:
    if not isinstance(value, list):
        raise where.error("evidence", "missing or not a list")
    spans: list[GoldSpan] = []
    for i, item in enumerate(value):
        field = f"evidence[{i}]"
        if not isinstance(item, dict) or set(item) != {"doc_id", "quote"}:
            raise where.error(field, "expected an object with exactly doc_id and quote")
        doc_id, quote = item["doc_id"], item["quote"]
        if not isinstance(doc_id, str) or not isinstance(quote, str) or not quote.strip():
            raise where.error(field, "doc_id and quote must be strings, the quote non-empty")
        document = documents.get(doc_id)
        if document is None:
            raise where.error(f"{field}.doc_id", f"no document {doc_id!r} in the index")
        start = document.text.find(quote)
        if start < 0:
            raise where.error(
                f"{field}.quote",
                f"not found verbatim in the cleaned text of {doc_id!r}: {_clip(quote)!r}",
            )
        spans.append(GoldSpan(doc_id, quote, start, start + len(quote)))
    return tuple(spans)


def _check_kind(case: GoldCase, where: _Where) -> None:
    if case.kind is CaseKind.ABSTAIN and (case.evidence or case.key_facts):
        raise where.error("evidence", "an abstain case has no evidence or key facts")
    if case.kind is CaseKind.REDFLAG and not case.red_flags:
        raise where.error("red_flags", "a redflag case names at least one red flag")
    if case.kind is CaseKind.FOLLOWUP and len(case.turns) < 2:
        raise where.error("turns", "a followup case has an earlier turn")


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
