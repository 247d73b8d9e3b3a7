"""The citation-support rule on made-up sentences and quotes, with the real model."""

from __future__ import annotations

import pytest

from s1assist.embedding import Encoder
from s1assist.evaluation.support import (
    MIN_COSINE,
    MIN_OVERLAP,
    Verdict,
    normalize,
    supports,
    term_overlap,
)

DISTRIBUTION = (
    "The S1 (first sacral) nerve is primarily distributed to the gluteal region, posterior "
    "thigh, and lower leg, specifically innervating the muscles of these areas, including the "
    "gluteal (motor only), peroneal, and tibial nerve territories."
)
RECOVERY = (
    "Full recovery of sensation and strength can take many months, often ranging from three "
    "to eighteen months. Noticeable improvement commonly occurs within six to twelve months, "
    "and sensory function often returns before motor function."
)


def test_normalize_drops_what_an_extract_changes() -> None:
    assert normalize("- The S1 root  exits the\nsacral foramen 1.") == (
        "the s1 root exits the sacral foramen"
    )
    assert normalize("It “helps” [2] – mostly.") == 'it "helps" - mostly'
    assert normalize("Seen in dislocations 2, 3, 4.") == "seen in dislocations"
    assert normalize("1. Rest for two days.") == "rest for two days"


def test_term_overlap_counts_distinct_content_terms() -> None:
    # Terms of the sentence: s1, nerv, suppli, calf (4); of them the quote has s1, nerv, calf.
    assert term_overlap("The S1 nerve supplies the calf.", "S1 nerve roots reach the calf") == 0.75
    assert term_overlap("the of and", "anything") == 0.0


def test_an_extracted_sentence_is_contained(encoder: Encoder) -> None:
    quote = "Rest helps.\n- The S1 root exits the sacral foramen 1. It then joins the plexus."
    result = supports("The S1 root exits the sacral foramen.", quote, encoder.encode_cached)
    assert result.verdict is Verdict.CONTAINED and result.supported
    assert result.cosine is None  # settled without the model


def test_a_paraphrase_is_supported_by_overlap_and_cosine(encoder: Encoder) -> None:
    sentence = (
        "The first sacral nerve is mainly distributed to the gluteal region, the posterior "
        "thigh and the lower leg."
    )
    result = supports(sentence, DISTRIBUTION, encoder.encode_cached)
    assert result.verdict is Verdict.PARAPHRASED
    assert result.overlap >= MIN_OVERLAP
    assert result.cosine is not None and result.cosine >= MIN_COSINE


def test_a_paraphrase_of_one_sentence_of_a_longer_quote_is_supported(encoder: Encoder) -> None:
    sentence = "Recovery of sensation and strength often takes from three to eighteen months."
    assert supports(sentence, RECOVERY, encoder.encode_cached).verdict is Verdict.PARAPHRASED


def test_an_unrelated_claim_is_unsupported_on_overlap_alone(encoder: Encoder) -> None:
    result = supports(
        "S1 nerve damage always needs surgery within a week.", DISTRIBUTION, encoder.encode_cached
    )
    assert result.verdict is Verdict.UNSUPPORTED
    assert result.overlap < MIN_OVERLAP and result.cosine is None


@pytest.mark.parametrize(
    ("sentence", "quote"),
    [
        ("MRI of the posterior thigh shows the tibial nerve territories.", DISTRIBUTION),
        ("Full recovery of strength after sciatica surgery takes three weeks.", RECOVERY),
    ],
)
def test_a_quote_about_something_else_in_the_same_words_is_unsupported(
    encoder: Encoder, sentence: str, quote: str
) -> None:
    # The words are there, so only the cosine test can refuse it.
    result = supports(sentence, quote, encoder.encode_cached)
    assert result.overlap >= MIN_OVERLAP
    assert result.cosine is not None and result.cosine < MIN_COSINE
    assert result.verdict is Verdict.UNSUPPORTED and not result.supported
