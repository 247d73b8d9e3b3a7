"""Abstention: do the sources cover what is asked? Two questions, answered apart.

Is the question's subject in the evidence (the words it names, "median nerve", the part of
the body it asks about, in the sentences and headings found), and does the evidence address
the asked aspect, in one sentence that also names the subject ("facet joint" and "treated"
both appear somewhere, but no sentence treats the facet joint)? How close the best
sentence, heading and passage come to the ask says how directly it is answered. A personal
story around the question changes none of this: all is read from the ask. The signals are
combined by a logistic model fitted on the calibration questions and the gold dev split
(`fitted.json`), on the default corpus and with distractors added, so the cut carries over
from the five seed pages to a corpus with hundreds of documents added.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from s1assist.answering.evidence import Candidate
from s1assist.answering.question import Question, specificity
from s1assist.answering.scoring import FEATURES as SENTENCE_FEATURES
from s1assist.answering.scoring import IdfLookup, Scored, coverage, predict
from s1assist.aspects import asked_quantity, states_quantity, stems
from s1assist.fitted import Fitted

FEATURES: tuple[str, ...] = (
    "best_score",
    "best_ask_similarity",
    "subject_in_evidence",
    "subject_known",
    "unknown_subject",
    "other_entity",
    "aspect_in_evidence",
    "subject_with_aspect",
    "body_part_missing",
    "best_heading_similarity",
    "best_passage_similarity",
    "best_aspect_similarity",
)
_TOP = 3
_ABOUT_SUBJECT = 0.5
"""The share of the subject's weight a sentence (with its headings) names to be about it."""
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
# Parts of the body, each with its other names: "feet" is "foot", "shin" is the lower leg.
_BODY_PARTS = """neck cervical|shoulder shoulders rotator|arm arms forearm|elbow elbows|
    wrist wrists carpal|hand hands palm fingers finger thumb|chest ribs|jaw|head headache|
    eye eyes vision|knee knees patella|ankle ankles|hip hips|foot feet|toe toes|heel heels|
    calf calves gastrocnemius soleus|thigh thighs hamstring|leg legs shin|
    buttock buttocks gluteal|groin|abdomen stomach belly"""
NOT_COVERED = (
    "My sources don't cover this. I can answer questions about the S1 nerve root, sciatica, "
    "S1 radiculopathy, the SI joint, and their treatment and recovery."
)


@lru_cache(maxsize=1)
def _body_parts() -> tuple[frozenset[str], ...]:
    return tuple(stems(names) for names in _BODY_PARTS.split("|"))


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
    # Which sentences address the asked aspect, in their words or heading (all of them when
    # the question asks none).
    bears = ~scored.features[:, column("aspect_missing")].astype(bool)
    return (
        float(scored.scores[order[0]]),
        float(np.max(scored.ask_similarity[quotable])),
        coverage(subject, top_text) if subject else 1.0,
        known / total if total else 1.0,
        max((w for t, w in subject.items() if idf(t) is None), default=0.0),
        other_entity(question.ask, pool),
        float(bears[order].any()),
        subject_with_aspect(
            subject,
            [pool[i] for i in quotable if bears[i]],
            pool if question.leans_on else (),
        ),
        body_part_missing(question.ask, " ".join(pool[i].text for i in quotable)),
        # A heading that asks the question ("Will SI joint injection help sciatica?") and a
        # passage close to it as a whole are evidence apart from any one sentence.
        float(scored.features[quotable, column("heading_similarity")].max()),
        float(scored.features[quotable, column("passage_similarity")].max()),
        max(
            (float(scored.ask_similarity[i]) for i in quotable if bears[i]),
            default=0.0,
        ),
    )


def column(feature: str) -> int:
    """The sentence feature matrix's column of `feature`."""
    return SENTENCE_FEATURES.index(feature)


def body_part_missing(ask: str, evidence: str) -> float:
    """1.0 when the ask names a part of the body that the evidence never mentions, else 0.0:
    sources on the lower back and leg do not answer "arm numbness" or "a broken wrist"."""
    said = stems(evidence)
    asked = stems(ask)
    return float(
        any(not group.isdisjoint(asked) and group.isdisjoint(said) for group in _body_parts())
    )


def subject_with_aspect(
    subject: dict[str, float], on_aspect: Sequence[Candidate], story: Sequence[Candidate] = ()
) -> float:
    """The most of the subject that one sentence addressing the asked aspect names, with its
    heading and title: "facet joint" and "treatment" each appear somewhere, but no sentence
    treats the facet joint. When the subject comes from the person's story (the ask names
    nothing: "How long can full recovery take?"), the story sets the scene rather than
    what the answer must name: the sentence's whole document, as found in `story`, counts."""
    if not subject:
        return 1.0
    around: dict[str, list[str]] = {}
    for c in story:
        around.setdefault(c.chunk.doc_id, []).append(c.text)
    return max(
        (
            coverage(
                subject,
                " ".join([c.chunk.title, c.chunk.section, c.text, *around.get(c.chunk.doc_id, ())]),
            )
            for c in on_aspect
        ),
        default=0.0,
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
    answerable = probability >= fitted.answerable_below and gives_quantity(question, pool)
    return Coverage(values, probability, answerable)


def gives_quantity(question: Question, pool: Sequence[Candidate]) -> bool:
    """False when the ask wants a number ("what percentage", "how many injections") and no
    sentence about its subject gives one: pages on surgery that state no rate do not answer
    "What is the success rate of SI joint fusion?". True when no number is asked for."""
    quantity = asked_quantity(question.ask)
    if quantity is None:
        return True
    subject = dict(zip(question.subject, question.specificity, strict=True))
    return any(
        states_quantity(quantity, c.text)
        and (
            not subject
            or coverage(subject, f"{c.chunk.title} {c.chunk.section} {c.text}") >= _ABOUT_SUBJECT
        )
        for c in pool
        if not c.item
    )
