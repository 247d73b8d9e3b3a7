"""Follow-ups inherit earlier topic words; self-contained or new-subject questions do not."""

from __future__ import annotations

from s1assist.answering.followup import carried_aspects, is_underspecified, rewrite
from s1assist.aspects import Aspect

VOCABULARY = {
    "s1": 0.5, "imping": 2.5, "sciatica": 1.0, "caus": 1.2, "long": 2.0, "take": 2.0,
    "heal": 2.2, "treat": 1.5, "test": 2.4, "use": 1.0, "si": 1.8, "joint": 1.7, "pain": 0.4,
    "show": 2.0, "mri": 2.6, "symptom": 1.5, "radiculopathi": 2.0, "nerv": 0.3,
}  # fmt: skip


def idf(term: str) -> float | None:
    return VOCABULARY.get(term)


def test_underspecified_questions_are_recognised() -> None:
    assert is_underspecified("How long does it take to heal?", idf)
    assert is_underspecified("And how is it treated?", idf)
    assert is_underspecified("What other tests are used?", idf)


def test_questions_with_their_own_topic_or_new_words_stand_alone() -> None:
    assert not is_underspecified("Does SI joint pain show on MRI?", idf)
    assert not is_underspecified("What is the capital of France?", idf)
    assert not is_underspecified("What about metformin?", idf)


def test_rewrite_carries_specific_terms_most_recent_first() -> None:
    history = ["Does SI joint pain show on MRI?", "Can S1 impingement cause sciatica?"]
    result = rewrite("How long does it take to heal?", history, idf)
    assert result.query.startswith("How long does it take to heal? ")
    # The latest question comes first, its most specific word first.
    assert result.inherited[:3] == ("impingement", "sciatica", "s1")
    assert "mri" in result.inherited
    assert "cause" not in result.inherited  # asks, does not name


def test_no_history_or_self_contained_means_no_rewrite() -> None:
    assert rewrite("How long does it take to heal?", [], idf).inherited == ()
    result = rewrite("Does SI joint pain show on MRI?", ["Can S1 impingement cause sciatica?"], idf)
    assert result.query == "Does SI joint pain show on MRI?"
    assert result.inherited == ()


def test_an_elliptical_follow_up_carries_the_latest_asked_aspect() -> None:
    history = ["What are the symptoms?", "Which surgery is used for a herniated disc?"]
    assert carried_aspects("What about stenosis?", history) == (Aspect.SURGERY,)
    assert carried_aspects("How is stenosis diagnosed?", history) == ()
    assert carried_aspects("Stenosis?", history) == ()


def test_what_an_earlier_question_asked_the_nerve_to_do_is_not_its_topic() -> None:
    vocabulary = {**VOCABULARY, "control": 1.9, "damag": 1.4}
    result = rewrite(
        "What happens when it's damaged?", ["What does the S1 nerve control?"], vocabulary.get
    )
    assert result.inherited == ("s1", "nerve")
