"""A likely typo is read as the corpus's nearest word; a real word the sources lack is not."""

from __future__ import annotations

from collections.abc import Callable

from s1assist.answering.spelling import correct
from s1assist.chat import Assistant


def _idf(known: dict[str, float]) -> Callable[[str], float | None]:
    return known.get


def test_a_typo_one_edit_from_a_corpus_word_is_corrected() -> None:
    idf = _idf({"sciatica": 2.0, "numb": 1.5, "caus": 1.0})
    assert correct("wat causes siatica?", idf) == "wat causes sciatica?"
    # Of the spellings with the corpus's stem, the everyday one.
    assert correct("numbess in my heel", idf) == "numbness in my heel"


def test_a_capital_stays_and_acronyms_are_left_alone() -> None:
    idf = _idf({"sciatica": 2.0, "arnl": 1.0, "cgrp": 1.0})
    assert correct("Siatica at night", idf) == "Sciatica at night"
    assert correct("What is ARNIL?", idf) == "What is ARNIL?"
    assert correct("small molecule CGRPs", idf) == "small molecule CGRPs"


def test_real_words_and_short_words_are_left_alone() -> None:
    idf = _idf({"worri": 1.0, "sciatica": 2.0})
    assert correct("I drive a lorry", idf) == "I drive a lorry"  # English, not a typo
    # Rare words that English lists know are names, however close a corpus word is.
    rare = _idf({"lumin": 1.0, "glycerol": 1.0})
    assert correct("luminol and glyceryl", rare) == "luminol and glyceryl"
    assert correct("sciatca", _idf({})) == "sciatca"  # nothing near in the corpus
    assert correct("wat sciatic", idf) == "wat sciatic"


def test_a_misspelled_question_is_answered_as_spelled_right(assistant: Assistant) -> None:
    answer = assistant.answer("wat causes siatica?", [])
    assert not answer.abstained
    assert "sciatica" in answer.rewritten_query
    assert answer.question == "wat causes siatica?"
