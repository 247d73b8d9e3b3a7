"""Abstention: do the sources cover what is asked? Two questions, answered apart.

Is the question's subject in the evidence (the words it names, "median nerve", in the
sentences and headings found), and does the evidence address the asked aspect (the best
sentence's fitted score)? A personal story around the question changes neither: both are
read from the ask. The two signals are combined by a logistic model fitted on the
calibration questions and the gold dev split (`fitted.json`), so the cut carries over from
the five seed pages to a corpus with hundreds of documents added.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from s1assist.answering.evidence import Candidate
from s1assist.answering.question import Question, specificity
from s1assist.answering.scoring import FEATURES as SENTENCE_FEATURES
from s1assist.answering.scoring import IdfLookup, Scored, coverage, predict
from s1assist.aspects import stems
from s1assist.fitted import Fitted

FEATURES: tuple[str, ...] = (
    "best_score",
    "best_ask_similarity",
    "subject_in_evidence",
    "subject_known",
    "unknown_subject",
    "other_entity",
    "aspect_in_evidence",
)
_TOP = 3
# Words with their hyphen and slash compounds whole: "l5-s1" is not "l5".
_WORDS = re.compile(r"[a-z0-9]+(?:[-/][a-z0-9]+)*")
# Nouns that a name stands before: "median nerve", "knee joint", "carpal tunnel syndrome".
_HEADS = frozenset(
    """nerve nerves root roots joint joints radiculopathy dermatome syndrome disorder replacement
    impingement entrapment tendon tendons ligament tunnel plexus vertebra""".split()
)
# Words before a head that describe rather than name it.
_NOT_NAMES = frozenset(
    """a an the my your his her their this that these those its our same one which what whose
    pinched trapped compressed damaged irritated injured inflamed affected painful sore
    sciatic main other each every any""".split()
)
NOT_COVERED = (
    "My sources don't cover this. I can answer questions about the S1 nerve root, sciatica, "
    "S1 radiculopathy, the SI joint, and their treatment and recovery."
)


@dataclass(frozen=True, slots=True)
class Coverage:
    """The abstention model's inputs (named as `FEATURES`) and its verdict."""

    values: tuple[float, ...]
    probability: float
    answerable: bool


def signals(
    question: Question, pool: Sequence[Candidate], scored: Scored, idf: IdfLookup
) -> tuple[float, ...]:
    """The values of `FEATURES` for the evidence `pool` as scored."""
    quotable = [i for i, c in enumerate(pool) if not c.item]
    if not quotable:
        return (0.0,) * len(FEATURES)
    order = sorted(quotable, key=lambda i: -float(scored.scores[i]))[:_TOP]
    subject = dict(zip(question.subject, question.specificity, strict=True))
    top_text = " ".join(
        f"{pool[i].chunk.title} {pool[i].chunk.section} {pool[i].text}" for i in order
    )
    known = sum(w for t, w in subject.items() if idf(t) is not None)
    total = sum(subject.values())
    terms = question.aspect_terms
    aspect = 1.0
    if terms:
        columns = [SENTENCE_FEATURES.index(f) for f in ("aspect_in_sentence", "aspect_in_heading")]
        aspect = float(scored.features[np.ix_(order, columns)].max())
    return (
        float(scored.scores[order[0]]),
        float(np.max(scored.ask_similarity[quotable])),
        coverage(subject, top_text) if subject else 1.0,
        known / total if total else 1.0,
        max((w for t, w in subject.items() if idf(t) is None), default=0.0),
        other_entity(question.ask, pool),
        aspect,
    )


def other_entity(ask: str, pool: Sequence[Candidate]) -> float:
    """How specific the most specific name in the ask is that the evidence never uses as a
    word of its own: "median" of "the median nerve", or "L5" of "the L5 nerve root" when the
    evidence has L5 only inside "L5-S1" (a name is the word before a head noun such as
    nerve, joint or syndrome)."""
    words = _WORDS.findall(ask.lower())
    names = {
        before
        for before, head in itertools.pairwise(words)
        if head in _HEADS and before not in _NOT_NAMES
    }
    if not names:
        return 0.0
    seen: set[str] = set()
    for candidate in pool:
        for text in (candidate.text, candidate.chunk.section, candidate.chunk.title):
            seen.update(_WORDS.findall(text.lower()))
    seen_stems = frozenset().union(*(stems(w) for w in seen if "-" not in w and "/" not in w))
    missing = [specificity(name) for name in names if not stems(name) <= seen_stems]
    return max(missing, default=0.0)


def decide(
    question: Question, pool: Sequence[Candidate], scored: Scored, idf: IdfLookup, fitted: Fitted
) -> Coverage:
    values = signals(question, pool, scored, idf)
    matrix = np.asarray([values], dtype=np.float32)
    probability = float(predict(fitted.answerable, FEATURES, matrix)[0])
    return Coverage(values, probability, probability >= fitted.answerable_below)
