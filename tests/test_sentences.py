"""Sentence spans: exact slices, no splits inside abbreviations or decimals, bullets."""

from __future__ import annotations

import pytest

from s1assist.sentences import sentence_spans, strip_bullet, word_count


def sentences(text: str, start: int = 0, end: int | None = None) -> list[str]:
    spans = sentence_spans(text, start, end)
    return [text[s:e] for s, e in spans]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dr. Smith examined the patient. The result was normal.",
            ["Dr. Smith examined the patient.", "The result was normal."],
        ),
        (
            "Compare surgery vs. Physiotherapy in trials. Both help.",
            ["Compare surgery vs. Physiotherapy in trials.", "Both help."],
        ),
        (
            "Use NSAIDs, e.g. Ibuprofen, for pain. Rest helps too.",
            ["Use NSAIDs, e.g. Ibuprofen, for pain.", "Rest helps too."],
        ),
        (
            "Smith et al. Reported a case. See Fig. 2 for the result.",
            ["Smith et al. Reported a case.", "See Fig. 2 for the result."],
        ),
        (
            "The distance is approximately 25.9-26.2 mm for men. It is 26.2-26.8 mm for women.",
            [
                "The distance is approximately 25.9-26.2 mm for men.",
                "It is 26.2-26.8 mm for women.",
            ],
        ),
        ("Is it sciatica? Yes! It is.", ["Is it sciatica?", "Yes!", "It is."]),
        (
            "She said “Rest the leg.” Then she left.",
            ["She said “Rest the leg.”", "Then she left."],
        ),
        (
            "These cells form a “Schwann cell tube,” that guides sprouts. Next one.",
            ["These cells form a “Schwann cell tube,” that guides sprouts.", "Next one."],
        ),
        ("It was the ‘worst’ pain. Then it eased.", ["It was the ‘worst’ pain.", "Then it eased."]),
        # A structured abstract's labels glued to the sentence before them.
        (
            "PURPOSE: To test it in a population.METHODS: Ten were seen.CONCLUSIONS AND "
            "RELEVANCE: It works.",
            [
                "PURPOSE: To test it in a population.",
                "METHODS: Ten were seen.",
                "CONCLUSIONS AND RELEVANCE: It works.",
            ],
        ),
        ("The U.S.A. trial ran in 2.0 mg doses.", ["The U.S.A. trial ran in 2.0 mg doses."]),
    ],
)
def test_sentences_split_where_a_reader_would(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_a_line_break_always_ends_a_sentence() -> None:
    text = "Common causes\n• Herniated discs\n• Spinal stenosis, e.g. Foraminal\nLast line."
    assert sentences(text) == [
        "Common causes",
        "• Herniated discs",
        "• Spinal stenosis, e.g. Foraminal",
        "Last line.",
    ]


def test_spans_are_exact_trimmed_slices_of_the_range_asked_for() -> None:
    text = "Heading\n\n  First sentence here.   Second one follows.  \n\nOther section."
    body_start = text.index("  First")
    body_end = text.index("\n\nOther")
    spans = sentence_spans(text, body_start, body_end)
    assert [text[s:e] for s, e in spans] == ["First sentence here.", "Second one follows."]
    for s, e in spans:
        assert body_start <= s < e <= body_end
        assert text[s:e] == text[s:e].strip()


def test_empty_and_blank_ranges_have_no_sentences() -> None:
    assert sentence_spans("") == []
    assert sentence_spans("   \n\n  ") == []


def test_real_corpus_sentences_are_exact_slices(corpus_documents) -> None:
    for doc in corpus_documents:
        for section in doc.sections:
            spans = sentence_spans(doc.text, section.start, section.end)
            assert spans, f"{doc.doc_id} › {section.heading}: no sentences"
            assert all(section.start <= s < e <= section.end for s, e in spans)
            assert all("\n" not in doc.text[s:e] for s, e in spans)
            ends = [e for _, e in spans]
            starts = [s for s, _ in spans]
            assert all(a <= b for a, b in zip(ends, starts[1:], strict=False))


def test_decimal_measurements_in_the_corpus_stay_whole(corpus_documents) -> None:
    doc = next(d for d in corpus_documents if d.doc_id == "s1-nerve-distribution")
    found = sentences(doc.text)
    assert (
        "The horizontal distance from the spinous process to the dorsal S1 foramen is "
        "approximately 25.9-26.2 mm for men and 26.2-26.8 mm for women 3."
    ) in found


@pytest.mark.parametrize(
    ("line", "body"),
    [
        ("• Herniated discs", "Herniated discs"),
        ("- Soleus", "Soleus"),
        ("– Abductor hallucis", "Abductor hallucis"),
        ("* Fever", "Fever"),
        ("1. Sciatica and radiculopathy", "Sciatica and radiculopathy"),
        ("12) Item twelve", "Item twelve"),
        ("Plain sentence.", "Plain sentence."),
        ("-5 degrees is cold.", "-5 degrees is cold."),
    ],
)
def test_strip_bullet_at_the_start_of_a_text(line: str, body: str) -> None:
    assert line[strip_bullet(line, 0, len(line)) :] == body


def test_strip_bullet_inside_a_document() -> None:
    """Sentences of a chunk start at offsets > 0; their bullets must be stripped there too."""
    text = "Common causes\n\n• Herniated discs\n• Spinal stenosis"
    spans = sentence_spans(text, text.index("•"))
    bodies = [text[strip_bullet(text, s, e) : e] for s, e in spans]
    assert bodies == ["Herniated discs", "Spinal stenosis"]


def test_word_count() -> None:
    assert word_count("  Diminished or absent\nankle reflex. ") == 5
    assert word_count("") == 0
