"""Sentence scoring: named features of each candidate, combined by fitted weights.

A sentence answers when it is about what is asked, not only about the topic: the features
separate the ask's similarity from the whole query's, and add the aspect (the sentence's or
its heading's words), the subject, an answer-type cue (a duration for "how long"), the
source's authority, the passage's search rank, and whether it is about another site ("L5-S1"
or the SI joint when the S1 root is asked about). Their weights come from `fitted.json`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from s1assist.answering.evidence import Candidate
from s1assist.answering.question import Question
from s1assist.aspects import aspect_match, has_duration, stems
from s1assist.fitted import Linear
from s1assist.lexical import tokenize
from s1assist.lexicon import expand, sites

Vectors = npt.NDArray[np.float32]
Encode = Callable[[Sequence[str]], Vectors]
IdfLookup = Callable[[str], float | None]
_UNKNOWN_TERM_IDF = 8.0

FEATURES: tuple[str, ...] = (
    "ask_similarity",
    "query_similarity",
    "passage_similarity",
    "heading_similarity",
    "ask_terms",
    "ask_terms_with_heading",
    "subject_terms",
    "aspect_in_sentence",
    "aspect_in_heading",
    "aspect_missing",
    "answer_type",
    "answer_type_missing",
    "authority",
    "search_rank",
    "first_in_passage",
    "dangling",
    "filler",
    "other_site",
)


@dataclass(frozen=True, slots=True)
class Scored:
    """The candidates' feature matrix, their sentence vectors and fitted scores."""

    features: npt.NDArray[np.float32]
    vectors: Vectors
    ask_similarity: npt.NDArray[np.float32]
    scores: npt.NDArray[np.float32]
    """Fitted sentence scores (logits of a conditional logit: only differences matter)."""

    def bears_on_aspect(self, question: Question) -> npt.NDArray[np.bool_]:
        """Which candidates address the asked aspect: in their words or heading, or with
        the answer type asked for (a duration for "how long")."""
        missing = self.features[:, FEATURES.index("aspect_missing")] > 0
        typed = self.features[:, FEATURES.index("answer_type")] > 0
        return np.asarray(~missing | (typed & question.wants_duration), dtype=np.bool_)


def term_weights(text: str, idf: IdfLookup) -> dict[str, float]:
    """idf of each term of `text`; a term the corpus never uses weighs as a rare one."""
    weights: dict[str, float] = {}
    for term in tokenize(text):
        value = idf(term)
        weights[term] = _UNKNOWN_TERM_IDF if value is None else value
    return weights


def coverage(weights: dict[str, float], text: str, *, other_names: bool = False) -> float:
    """Share of the idf weight of `weights`' terms that `text` uses, itself or by another
    name for the same thing ("SI joint" for "sacroiliac joint")."""
    total = sum(weights.values())
    if not total:
        return 0.0
    present = said(text) if other_names else stems(text)
    return sum(w for t, w in weights.items() if t in present) / total


@lru_cache(maxsize=65_536)
def said(text: str) -> frozenset[str]:
    """The stemmed terms of `text` and of the lexicon's other names for what it mentions."""
    return stems(expand(text))


def featurize(
    question: Question,
    pool: Sequence[Candidate],
    *,
    ask_vector: Vectors,
    query_vector: Vectors,
    encode: Encode,
    idf: IdfLookup,
) -> tuple[npt.NDArray[np.float32], Vectors, npt.NDArray[np.float32]]:
    """The feature matrix (rows: `pool`, columns: `FEATURES`), the sentence vectors and
    each sentence's similarity to the ask."""
    headings = list(dict.fromkeys(c.chunk.section for c in pool))
    # One batch for sentences and headings: the encoder's cost is per call as much as per text.
    both = encode([*(c.text for c in pool), *headings])
    vectors, heading_vectors = both[: len(pool)], both[len(pool) :]
    heading_similarity = dict(zip(headings, (heading_vectors @ ask_vector).tolist(), strict=True))
    ask_similarity = vectors @ ask_vector
    query_similarity = vectors @ query_vector
    ask_weights = term_weights(question.reading, idf)
    subject_weights = dict(zip(question.subject, question.specificity, strict=True))
    aspect_terms = question.aspect_terms
    asked_sites = sites(question.reading)
    rows = []
    for c, ask_sim, query_sim in zip(pool, ask_similarity, query_similarity, strict=True):
        heading = c.chunk.section
        rows.append(
            (
                float(ask_sim),
                float(query_sim),
                c.context,
                heading_similarity[heading],
                coverage(ask_weights, c.text),
                coverage(ask_weights, f"{heading} {c.text}"),
                coverage(subject_weights, f"{c.chunk.title} {heading} {c.text}", other_names=True),
                in_sentence := aspect_match(c.text, aspect_terms),
                in_heading := aspect_match(heading, aspect_terms),
                float(bool(aspect_terms) and not (in_sentence or in_heading)),
                answer_type := float(_answer_type(question, c.text)),
                float(_wants_answer_type(question) and not answer_type),
                (3 - c.chunk.kind.rank) / 3,
                1.0 / c.hit_rank if c.hit_rank else 0.0,
                float(c.position == 0),
                float(c.dangling),
                float(c.filler),
                float(bool(asked_sites) and not sites(heading) <= asked_sites),
            )
        )
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(pool), len(FEATURES))
    return matrix, vectors, np.asarray(ask_similarity, dtype=np.float32)


def _wants_answer_type(question: Question) -> bool:
    return question.wants_duration or question.yes_no


def _answer_type(question: Question, text: str) -> bool:
    if question.wants_duration:
        return has_duration(text)
    if question.yes_no:
        return (
            text.lower().startswith(("yes", "no,", "no "))
            or coverage(dict.fromkeys(question.subject, 1.0), text) >= 0.6
        )
    return False


def logits(
    model: Linear, names: Sequence[str], matrix: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """The linear model's score for each row of `matrix` (columns named `names`)."""
    column = {name: i for i, name in enumerate(names)}
    missing = [f for f in model.features if f not in column]
    if missing:
        raise ValueError(f"fitted model needs features {missing}, not computed")
    picked = matrix[:, [column[f] for f in model.features]] if len(matrix) else matrix[:, :0]
    return np.asarray(
        model.bias + picked @ np.asarray(model.weights, dtype=np.float32), dtype=np.float32
    )


def predict(
    model: Linear, names: Sequence[str], matrix: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """The logistic model's probability for each row of `matrix`."""
    return np.asarray(1.0 / (1.0 + np.exp(-logits(model, names, matrix))), dtype=np.float32)


def score(
    question: Question,
    pool: Sequence[Candidate],
    model: Linear,
    *,
    ask_vector: Vectors,
    query_vector: Vectors,
    encode: Encode,
    idf: IdfLookup,
) -> Scored:
    matrix, vectors, ask_similarity = featurize(
        question, pool, ask_vector=ask_vector, query_vector=query_vector, encode=encode, idf=idf
    )
    return Scored(matrix, vectors, ask_similarity, logits(model, FEATURES, matrix))
