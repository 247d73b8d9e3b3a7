"""Sentence features: what a candidate says, counted in the ways the sources say it."""

from __future__ import annotations

from s1assist.answering.scoring import coverage


def test_a_subject_named_by_its_other_name_is_covered() -> None:
    subject = {"si": 2.3, "joint": 1.8}
    assert coverage(subject, "The sacroiliac joint transfers load.", other_names=True) == 1.0
    assert coverage(subject, "The knee joint bends.", other_names=True) < 0.5


def test_plain_coverage_counts_only_the_words_written() -> None:
    subject = {"si": 2.3, "joint": 1.8}
    assert coverage(subject, "The sacroiliac joint transfers load.") < 0.5
