"""Abstention's rules: a number asked for must be given, and a story's subject sets the scene."""

from __future__ import annotations

import pytest

from s1assist.answering.abstention import gives_quantity, subject_with_aspect
from s1assist.answering.evidence import Candidate
from s1assist.answering.question import analyze
from s1assist.aspects import Quantity, asked_quantity, states_quantity
from s1assist.types import Chunk


def candidate(text: str, *, doc_id: str = "doc", title: str = "S1 nerve damage") -> Candidate:
    chunk = Chunk(f"{doc_id}-0", doc_id, title, "Recovery", text, 0, len(text))
    return Candidate(chunk, 0, len(text), text, 0, 1, 0.5)


@pytest.mark.parametrize(
    ("question", "quantity"),
    [
        ("What proportion of sciatica settles without an operation?", Quantity.SHARE),
        ("What's the complication rate of an SI joint injection?", Quantity.SHARE),
        ("How many physio sessions will my S1 nerve need?", Quantity.COUNT),
        ("What are the chances my strength comes back?", None),
        ("How long does L5-S1 take to heal?", None),
    ],
)
def test_a_question_asking_for_a_number_is_told_apart(
    question: str, quantity: Quantity | None
) -> None:
    assert asked_quantity(question) is quantity


def test_the_digits_of_a_spinal_level_are_no_number() -> None:
    assert not states_quantity(Quantity.COUNT, "The S1 root exits at L5-S1.")
    assert states_quantity(Quantity.COUNT, "Axons grow one to three millimeters per day.")
    assert states_quantity(Quantity.SHARE, "About 30% of patients improve.")
    assert states_quantity(Quantity.SHARE, "One in ten people is affected.")
    assert not states_quantity(Quantity.SHARE, "Axons grow one to three millimeters per day.")


def test_a_rate_the_sources_never_give_is_not_answered_by_pages_on_the_subject() -> None:
    question = analyze("What is the success rate of surgery for S1 nerve damage?")
    about = [candidate("Surgery for S1 nerve damage aims to decompress the nerve root.")]
    assert not gives_quantity(question, about)
    elsewhere = [*about, candidate("In 62% of patients the knee improved.", title="Knee")]
    assert not gives_quantity(question, elsewhere), "a rate about something else is no answer"
    given = [*about, candidate("Surgery for S1 nerve damage helps 80% of patients.")]
    assert gives_quantity(question, given)
    assert gives_quantity(analyze("How is S1 nerve damage treated?"), about)


def test_a_subject_from_the_story_may_be_named_anywhere_in_the_sentences_document() -> None:
    subject = {"foot": 1.6, "drop": 1.5}
    recovery = candidate("Full recovery can take three to eighteen months.")
    scene = candidate("Damage can cause foot drop and numbness.")
    assert subject_with_aspect(subject, [recovery]) == 0.0
    assert subject_with_aspect(subject, [recovery], [recovery, scene]) == 1.0
    other = candidate("Foot drop is common after a stroke.", doc_id="other")
    assert subject_with_aspect(subject, [recovery], [recovery, other]) == 0.0
