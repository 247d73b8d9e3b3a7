"""Spelling: a word the sources never use, and no dictionary knows, read as the corpus's
nearest word ("siatica" is "sciatica").

Only a likely typo is corrected: a word of five letters or more, in lower case or with a
capital first letter (not an acronym such as "ARNIL"), that neither the corpus (after
stemming) nor wordfreq's English lists know at all, one edit away from a word whose stem the
corpus uses. A real word the sources do not cover ("lorry", "migraine", "luminol") stays as
it is, so a question about it is still read as off-topic.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from s1assist.answering.question import specificity
from s1assist.lexical import stem_words, tokenize

IdfLookup = Callable[[str], float | None]

# Lower case, or a capital first letter: "CGRPs" and "topoisomeraseII" are names.
_WORD = re.compile(r"\b[A-Za-z][a-z]{4,}\b")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_UNSEEN = 6.5
"""The specificity of a word wordfreq has never seen (6.5 minus a Zipf frequency of 0)."""


def correct(text: str, idf: IdfLookup) -> str:
    """`text` with each likely typo replaced by the nearest word the corpus uses."""
    return _WORD.sub(lambda match: _nearest(match.group(), idf), text)


def _nearest(word: str, idf: IdfLookup) -> str:
    stems = tokenize(word)
    if not stems or idf(stems[0]) is not None or specificity(word) < _UNSEEN:
        return word
    candidates = sorted(_one_edit(word.lower()))
    # The candidate whose stem the corpus uses most, then the most everyday spelling of it
    # ("numbness" rather than "numbeds", both "numb").
    known = [
        (value, specificity(candidate), candidate)
        for candidate, stem in zip(candidates, stem_words(candidates), strict=True)
        if (value := idf(stem)) is not None
    ]
    if not known:
        return word
    nearest = min(known)[2]
    return nearest[0].upper() + nearest[1:] if word[0].isupper() else nearest


def _one_edit(word: str) -> set[str]:
    """Every string one deletion, transposition, replacement or insertion from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return {
        *(a + b[1:] for a, b in splits if b),
        *(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1),
        *(a + c + b[1:] for a, b in splits if b for c in _LETTERS),
        *(a + c + b for a, b in splits for c in _LETTERS),
    } - {word}
