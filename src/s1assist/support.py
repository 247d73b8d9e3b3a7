"""Does a cited quote support an answer sentence? A rule, without a language model.

The grounding metrics score answers by it and the LLM writer's verifier keeps a sentence by it.

The rule, in order:

1. **Contained**: after normalizing both texts (case, Unicode forms and typographic
   quotes, list markers at the start of a line, reference numbers before a full stop,
   bracketed citation markers such as "[2]", whitespace, and the sentence's final
   punctuation), the quote contains the sentence. An extractive answer is supported
   this way, sentence by sentence.
2. **Paraphrased**: otherwise the sentence is supported when at least `MIN_OVERLAP` of its
   content terms (stop words out, stemmed: the BM25 tokenizer) occur in the quote AND its
   embedding cosine with the closest sentence of the quote (or the whole quote) is at
   least `MIN_COSINE`. Either test alone is fooled: word overlap by a quote about
   something else in the same words, cosine by a quote on the same topic that says
   another thing.

The rule cannot see negation or a changed number in a paraphrase ("does not" vs "does");
for the extractive answers this project gives, step 1 decides nearly every sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from s1assist.lexical import tokenize
from s1assist.sentences import sentence_spans

MIN_OVERLAP = 0.6
"""Share of the sentence's content terms that must occur in the quote."""
MIN_COSINE = 0.75
"""Cosine of the sentence with the closest sentence of the quote (MiniLM, unit vectors)."""

Encode = Callable[[Sequence[str]], npt.NDArray[np.float32]]
"""Texts -> unit-length row vectors (the encoder's `encode_cached`)."""

_MARKER = re.compile(r"\[\d+\]")
_LIST_MARKER = re.compile(r"^\s*(?:[-•*–]|\d{1,2}[.)])\s+", re.MULTILINE)
# "... foramen 1." and "... dislocations 2, 3, 4." end in reference numbers, not words.
_TRAILING_REFS = re.compile(r"(?<=[a-z)])\s+\d{1,2}(?:,\s*\d{1,2})*(?=\s*[.;]|$)")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})
_SPACE = re.compile(r"\s+")
_END_PUNCTUATION = ".!?;:,"


class Verdict(StrEnum):
    """How a sentence stands against a quote."""

    CONTAINED = "contained"
    PARAPHRASED = "paraphrased"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class Support:
    """The verdict and the evidence for it."""

    verdict: Verdict
    overlap: float
    """Share of the sentence's content terms found in the quote."""
    cosine: float | None
    """Best cosine with the quote; None when containment settled it or overlap failed."""

    @property
    def supported(self) -> bool:
        return self.verdict is not Verdict.UNSUPPORTED


def normalize(text: str) -> str:
    """Lower case, plain quotes and dashes, no list markers, reference numbers or "[n]"
    markers, single spaces, no final punctuation."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _LIST_MARKER.sub("", text)
    text = _MARKER.sub("", text.lower())
    text = _TRAILING_REFS.sub("", text)
    return _SPACE.sub(" ", text).strip().rstrip(_END_PUNCTUATION).strip()


def term_overlap(sentence: str, quote: str) -> float:
    """Share of the sentence's distinct content terms that occur in the quote."""
    terms = set(tokenize(sentence))
    if not terms:
        return 0.0
    return len(terms & set(tokenize(quote))) / len(terms)


def supports(sentence: str, quote: str, encode: Encode) -> Support:
    """Whether `quote` supports `sentence`, by the rule in the module docstring."""
    wanted = normalize(sentence)
    if wanted and wanted in normalize(quote):
        return Support(Verdict.CONTAINED, 1.0, None)
    overlap = term_overlap(sentence, quote)
    if overlap < MIN_OVERLAP:
        return Support(Verdict.UNSUPPORTED, overlap, None)
    parts = [quote[start:end] for start, end in sentence_spans(quote)]
    vectors = encode([sentence, quote, *parts])
    cosine = float((vectors[1:] @ vectors[0]).max())
    verdict = Verdict.PARAPHRASED if cosine >= MIN_COSINE else Verdict.UNSUPPORTED
    return Support(verdict, overlap, cosine)
