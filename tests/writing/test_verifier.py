"""The verifier on hand-written model outputs, with the real bundled model for the support rule.

Each kind of fabrication the verifier must catch has its own test: a changed number, a
changed unit, a swapped name, a flipped negation, citation numbers out of range, a wrong
citation, and a sentence copied from an unrelated passage.
"""

from __future__ import annotations

import pytest

from s1assist.embedding import Encoder
from s1assist.writing.prompt import EvidenceItem
from s1assist.writing.verify import Checked, Drafted, split_draft, verify, verify_stream

IMPINGEMENT = (
    "S1 impingement can cause sciatica, as the S1 nerve root is a major component of the "
    "sciatic nerve."
)
RECOVERY = (
    "Full recovery of sensation and strength can take many months, often ranging from three "
    "to eighteen months."
)
NOT_SAME = "Sciatica is actually a set of symptoms, not a nerve."
DISTRIBUTION = (
    "The S1 (first sacral) nerve is primarily distributed to the gluteal region, posterior "
    "thigh, and lower leg, specifically innervating the muscles of these areas, including the "
    "gluteal (motor only), peroneal, and tibial nerve territories."
)
EVIDENCE = tuple(
    EvidenceItem(i, text, i, f"page {i}", "guideline summary")
    for i, text in enumerate((IMPINGEMENT, RECOVERY, NOT_SAME, DISTRIBUTION), start=1)
)
# From another page of the corpus, about something none of the evidence says.
UNRELATED = (
    "The goal of this injection is to reduce inflammation caused by disc material, creating a "
    "favorable environment for the nerve to recover normal function."
)


def one(text: str, encoder: Encoder) -> Checked:
    checked = verify(text, EVIDENCE, encoder.encode_cached)
    assert len(checked) == 1, checked
    return checked[0]


def test_a_faithful_paraphrase_is_kept_with_its_citation(encoder: Encoder) -> None:
    checked = one(
        "S1 impingement can cause sciatica, since the S1 nerve root is a major part of the "
        "sciatic nerve [1].",
        encoder,
    )
    assert checked.ok and checked.kept == (1,)
    assert 0.75 <= checked.support <= 1.0


def test_a_quoted_sentence_is_kept_with_full_support(encoder: Encoder) -> None:
    checked = one(f"{RECOVERY[:-1]} [2].", encoder)
    assert checked.kept == (2,) and checked.support == 1.0


def test_a_fabricated_number_is_dropped(encoder: Encoder) -> None:
    checked = one(
        "Full recovery of sensation and strength can take many months, often ranging from "
        "three to twenty months [2].",
        encoder,
    )
    assert not checked.ok
    assert any("number '20 month'" in reason for reason in checked.reasons)


def test_a_changed_duration_unit_is_dropped(encoder: Encoder) -> None:
    checked = one(
        "Full recovery of sensation and strength can take many weeks, often ranging from "
        "three to eighteen weeks [2].",
        encoder,
    )
    assert not checked.ok
    assert any("number '18 week'" in reason for reason in checked.reasons)


def test_digits_for_number_words_are_the_same_number(encoder: Encoder) -> None:
    checked = one(
        "Full recovery of sensation and strength can take many months, often 3 to 18 months [2].",
        encoder,
    )
    assert checked.ok, checked.reasons


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        (
            "L5 impingement can cause sciatica, as the L5 nerve root is a major component of "
            "the sciatic nerve [1].",
            "l5",
        ),
        (
            "The S1 nerve is primarily distributed to the gluteal region, posterior thigh and "
            "lower leg, including the gluteal, peroneal and femoral nerve territories [4].",
            "femoral",
        ),
    ],
)
def test_a_swapped_name_is_dropped(encoder: Encoder, sentence: str, name: str) -> None:
    checked = one(sentence, encoder)
    assert not checked.ok
    assert any(f"name {name!r}" in reason for reason in checked.reasons)


@pytest.mark.parametrize(
    "sentence",
    [
        # The evidence says "not a nerve"; the sentence states it.
        "Sciatica is actually a set of symptoms and a nerve [3].",
        # The evidence states it; the sentence denies it.
        "S1 impingement cannot cause sciatica, as the S1 nerve root is a major component of "
        "the sciatic nerve [1].",
    ],
)
def test_a_flipped_negation_is_dropped(encoder: Encoder, sentence: str) -> None:
    checked = one(sentence, encoder)
    assert not checked.ok
    assert any(reason.startswith("negation") for reason in checked.reasons)


def test_citation_numbers_out_of_range_are_removed(encoder: Encoder) -> None:
    kept = one(f"{NOT_SAME[:-1]} [3][9].", encoder)
    assert kept.kept == (3,)
    assert any("[9]" in reason for reason in kept.reasons)
    dropped = one(f"{NOT_SAME[:-1]} [7].", encoder)
    assert not dropped.ok


def test_a_citation_that_does_not_support_its_sentence_is_removed(encoder: Encoder) -> None:
    assert one(f"{NOT_SAME[:-1]} [1][3].", encoder).kept == (3,)
    assert not one(f"{NOT_SAME[:-1]} [1].", encoder).ok


def test_a_sentence_copied_from_an_unrelated_passage_is_dropped(encoder: Encoder) -> None:
    checked = one(f"{UNRELATED[:-1]} [2].", encoder)
    assert not checked.ok
    assert any("does not support" in reason for reason in checked.reasons)


def test_a_sentence_without_citation_is_dropped(encoder: Encoder) -> None:
    assert not one(NOT_SAME, encoder).ok


def test_only_the_supported_sentences_of_a_text_survive(encoder: Encoder) -> None:
    text = (
        f"{NOT_SAME[:-1]} [3]. Surgery is needed and is performed under general anesthesia "
        f"[1]. {RECOVERY[:-1]} [2]."
    )
    checked = verify(text, EVIDENCE, encoder.encode_cached)
    assert [c.ok for c in checked] == [True, False, True]


def test_markers_after_the_full_stop_and_lists_of_numbers_are_read() -> None:
    drafted = split_draft(
        "Answer:\n**Yes.** It can. [1] It lasts months [2, 3].\n- Rest helps [4][4]"
    )
    assert drafted == [
        Drafted("Yes.", ()),
        Drafted("It can.", (1,)),
        Drafted("It lasts months.", (2, 3)),
        Drafted("Rest helps.", (4,)),
    ]


@pytest.mark.parametrize("size", [1, 2, 7])
def test_streamed_text_is_checked_sentence_by_sentence(encoder: Encoder, size: int) -> None:
    # Markers after the full stop arrive in pieces ("[", "1", "]") before the next sentence.
    text = f"{NOT_SAME}  [3]\n{RECOVERY} [2][1]"
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    streamed = list(verify_stream(pieces, EVIDENCE, encoder.encode_cached))
    assert streamed == verify(text, EVIDENCE, encoder.encode_cached)
    assert [c.drafted.cited for c in streamed] == [(3,), (2, 1)]
    assert [c.kept for c in streamed] == [(3,), (2,)]
