"""The gold set: the real file loads and ties every quote to its span; a bad line is refused
with the file, line, case and field named."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from s1assist.answering.safety import RedFlag
from s1assist.evaluation.gold import CaseKind, EvaluationError, GoldSpan, Split, load_gold
from s1assist.types import Document, Section, SourceKind

TEXT = "The S1 root supplies the calf.\nIt also carries the ankle reflex. Rest helps."
DOCS = {
    "doc": Document(
        doc_id="doc",
        title="A page",
        kind=SourceKind.GUIDELINE,
        text=TEXT,
        sections=(Section("Intro", 0, len(TEXT)),),
    )
}


def case(**fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": "c1",
        "kind": "answer",
        "turns": ["What does S1 supply?"],
        "reference": "The calf.",
        "key_facts": ["calf"],
        "evidence": [{"doc_id": "doc", "quote": "It also carries the ankle reflex."}],
        "red_flags": [],
        "tags": [],
    }
    row.update(fields)
    return row


def write(tmp_path: Path, *rows: dict[str, Any] | str) -> Path:
    path = tmp_path / "gold.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_real_gold_set_loads_and_every_quote_is_its_span(
    repo_root: Path, corpus_documents: tuple[Document, ...]
) -> None:
    documents = {d.doc_id: d for d in corpus_documents}
    cases = load_gold(repo_root / "eval" / "gold.jsonl", documents)
    assert len(cases) == 242
    assert len({c.case_id for c in cases}) == 242
    assert {c.kind for c in cases} == set(CaseKind)
    # Both splits hold every kind of case, so dev and test figures measure the same things.
    for split in Split:
        assert {c.kind for c in cases if c.split is split} == set(CaseKind)
    spans = [span for c in cases for span in c.evidence]
    assert len(spans) >= 167
    for span in spans:
        assert documents[span.doc_id].text[span.start : span.end] == span.quote


def test_a_case_is_read_with_its_span_resolved(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        case(),
        "",
        case(id="f1", kind="followup", turns=["Does S1 matter?", "And rest?"], evidence=[]),
        case(id="r1", kind="redflag", red_flags=["fever"], evidence=[]),
    )
    first, followup, redflag = load_gold(path, DOCS)
    start = TEXT.index("It also")
    assert first.evidence == (GoldSpan("doc", "It also carries the ankle reflex.", start, 64),)
    assert first.kind is CaseKind.ANSWER and first.line == 1
    assert followup.question == "And rest?" and followup.history == ["Does S1 matter?"]
    assert followup.line == 3
    assert redflag.red_flags == (RedFlag.FEVER,)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ('{"id": "c1", "kind": ', "gold.jsonl:2: not valid JSON"),
        (case(kind="chitchat"), "gold.jsonl:2: case 'c2': field 'kind': 'chitchat' is not one of"),
        (case(id="c1"), "gold.jsonl:2: case 'c1': field 'id': duplicate of line 1"),
        (
            case(evidence=[{"doc_id": "doc", "quote": "It  also carries the ankle reflex."}]),
            "gold.jsonl:2: case 'c2': field 'evidence[0].quote': not found verbatim in the "
            "cleaned text of 'doc'",
        ),
        (
            case(evidence=[{"doc_id": "nope", "quote": "Rest helps."}]),
            "gold.jsonl:2: case 'c2': field 'evidence[0].doc_id': no document 'nope'",
        ),
        (case(red_flags=["headache"]), "case 'c2': field 'red_flags[0]': 'headache' is not"),
        (case(turns=[]), "case 'c2': field 'turns': needs at least one"),
        (case(key_facts="calf"), "case 'c2': field 'key_facts': missing or not a list"),
        (case(answer="x"), "case 'c2': field 'answer': unknown field"),
        (case(kind="abstain"), "case 'c2': field 'evidence': an abstain case has no evidence"),
        (case(kind="redflag"), "case 'c2': field 'red_flags': a redflag case names"),
        (case(kind="followup"), "case 'c2': field 'turns': a followup case has an earlier"),
    ],
)
def test_a_bad_line_is_refused_naming_where(
    tmp_path: Path, row: dict[str, Any] | str, expected: str
) -> None:
    if isinstance(row, dict) and row["id"] == "c1" and "duplicate" not in expected:
        row["id"] = "c2"
    path = write(tmp_path, case(), row)
    with pytest.raises(EvaluationError, match=re.escape(expected)):
        load_gold(path, DOCS)


def test_an_empty_or_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="no cases"):
        load_gold(write(tmp_path, ""), DOCS)
    with pytest.raises(EvaluationError, match="cannot read the gold set"):
        load_gold(tmp_path / "missing.jsonl", DOCS)


def test_spans_overlap_only_within_the_same_document() -> None:
    span = GoldSpan("doc", "x" * 10, 10, 20)
    assert span.overlaps("doc", 19, 30)
    assert span.overlaps("doc", 0, 11)
    assert not span.overlaps("doc", 20, 30)  # half-open: touching is not overlapping
    assert not span.overlaps("doc", 0, 10)
    assert not span.overlaps("other", 10, 20)


def test_an_unknown_split_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, case(split="train"))
    with pytest.raises(EvaluationError, match=r"field 'split'.*'train' is not one of dev, test"):
        load_gold(path, DOCS)
