"""The answering stage: question analysis -> evidence -> scoring -> abstention -> selection
-> layout, with safety (red flags) and follow-up rewriting beside it. See `compose.py`."""

from s1assist.answering.abstention import NOT_COVERED
from s1assist.answering.compose import Composition, Reading, Sections, abstained, answer, compose
from s1assist.answering.evidence import gather
from s1assist.answering.export import answer_to_json
from s1assist.answering.question import Question, analyze

__all__ = [
    "NOT_COVERED",
    "Composition",
    "Question",
    "Reading",
    "Sections",
    "abstained",
    "analyze",
    "answer",
    "answer_to_json",
    "compose",
    "gather",
]
