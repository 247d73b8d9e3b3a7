"""Follow-up questions without a language model: carry earlier topic terms into the query.

"How long does it take to heal?" after "Can S1 impingement cause sciatica?" is searched as
"How long does it take to heal? impingement sciatica S1". A question that names its own
topic, or brings in terms the corpus has never seen (a change of subject), inherits nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from s1assist.answering.question import specificity
from s1assist.aspects import Aspect, asked_aspects
from s1assist.lexical import tokenize

IdfLookup = Callable[[str], float | None]
"""idf of a tokenized term in the corpus, None when the corpus never uses it."""

# Words worth carrying: letters (and digits, as in S1 or L5-S1), at least two characters.
_WORD = re.compile(r"(?<![\w'])[A-Za-z][\w/-]*[\w](?![\w'])")
_LEADING_CUE = re.compile(r"^\s*(?:and|also|what about|how about|what if|but|so)\b", re.I)
_MAX_TERMS = 8
_POINTS_BACK = re.compile(r"\b(?:it|its|it's|they|them|this|that|these|those|one)\b", re.I)
_NEW_SUBJECT = 3.0
"""Specificity (see `question.specificity`) from which an unknown word names a subject."""
# Anatomy and conditions: a question naming one of these has a topic of its own.
_ENTITY_WORDS = """s1 sacral sciatica sciatic radiculopathy radicular si sacroiliac l5 l4
lumbosacral lumbar nerve root disc spine spinal joint back leg foot buttock hip thigh calf heel
ankle toe
muscle vertebra sacrum stenosis impingement piriformis cauda equina plexus foramen gluteal
gastrocnemius soleus"""
# Words that ask rather than name: never carried over, never a topic of their own.
_QUESTION_WORDS = frozenset(
    tokenize(
        """what which who whom whose when where why how does do did can could would should will
        is are was were long take takes taking get got help helps mean means use used usual
        usually typical typically common commonly other another else one first second kind type
        thing things tell know need needed anything something happen happens different question
        also way ways best good bad normal much many really still ever right away cause causes
        caused show shows feel felt doctor fast worse better since today yesterday week weeks
        month months year years day days morning night time control controls supply
        supplies"""
    )
)


@lru_cache(maxsize=1)
def _entity_terms() -> frozenset[str]:
    return frozenset(tokenize(_ENTITY_WORDS))


@dataclass(frozen=True, slots=True)
class Rewrite:
    query: str
    inherited: tuple[str, ...]
    """Words carried over from earlier turns, most recent and most specific first."""


def is_underspecified(question: str, idf: IdfLookup) -> bool:
    """True for a question that leans on earlier turns for its topic."""
    terms = [t for t in tokenize(question) if t not in _QUESTION_WORDS]
    unknown = [w for w in _WORD.findall(question) if any(idf(t) is None for t in tokenize(w))]
    if unknown:
        # Words the corpus never uses are a new subject ("ACL surgery"), unless they are
        # everyday words around a pronoun that points back ("what can I do at home for it?").
        everyday = all(specificity(w) < _NEW_SUBJECT for w in unknown)
        return (
            everyday
            and bool(_POINTS_BACK.search(question))
            and not any(t in _entity_terms() for t in terms)
        )
    if _LEADING_CUE.match(question):
        return True
    return not any(t in _entity_terms() for t in terms)


def topic_words(question: str, idf: IdfLookup) -> list[str]:
    """Content words of a question, most specific first."""
    scored: dict[str, float] = {}
    for word in _WORD.findall(question):
        stems = tokenize(word)
        if not stems or any(s in _QUESTION_WORDS or len(s) < 2 for s in stems):
            continue
        weights = [idf(s) for s in stems]
        if any(w is None for w in weights):
            continue
        key = word.lower()
        scored[key] = max(scored.get(key, 0.0), max(w for w in weights if w is not None))
    return sorted(scored, key=lambda word: -scored[word])


def rewrite(question: str, history: Sequence[str], idf: IdfLookup) -> Rewrite:
    """The retrieval query for `question` given the earlier questions, oldest first."""
    if not history or not is_underspecified(question, idf):
        return Rewrite(question, ())
    own = {t for t in tokenize(question)}
    carried: list[str] = []
    for earlier in reversed(history):
        for word in topic_words(earlier, idf):
            if word not in carried and not set(tokenize(word)) <= own:
                carried.append(word)
        if len(carried) >= _MAX_TERMS:
            break
    carried = carried[:_MAX_TERMS]
    if not carried:
        return Rewrite(question, ())
    return Rewrite(f"{question} {' '.join(carried)}", tuple(carried))


def carried_aspects(question: str, history: Sequence[str]) -> tuple[Aspect, ...]:
    """What an elliptical follow-up asks: "What about when it's stenosis?" after "Which
    surgery is used when a disc presses on S1?" asks about surgery again. Only a question
    that opens with a cue ("and", "what about") and asks no aspect of its own carries one,
    from the latest earlier question that asked one."""
    if not _LEADING_CUE.match(question) or asked_aspects(question):
        return ()
    for earlier in reversed(history):
        if aspects := asked_aspects(earlier):
            return aspects
    return ()
