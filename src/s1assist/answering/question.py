"""Question analysis: the person's story apart from what they ask, the subject and the aspect.

"I've had sciatica for two weeks and this morning I tripped. Is this still S1 irritation?"
tells a story and asks one thing. The ask decides what an answer must address; the story
still steers the search (it names the symptoms), but never dilutes the ask's own words.
Only an ask that names nothing of its own ("Could that be why?") is read with its story:
the story is what "that" stands for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from s1assist.aspects import (
    Aspect,
    answer_terms,
    answer_words,
    ask_cues,
    asked_aspects,
    asks_duration,
    is_yes_no,
    section_terms,
)
from s1assist.lexical import tokenize
from s1assist.lexicon import corpus_terms, in_corpus_words, sites
from s1assist.sentences import sentence_spans

_INTERROGATIVE = re.compile(
    r"^\s*(?:what|which|who|whom|whose|when|where|why|how|is|are|can|could|does|do|did|will|"
    r"would|should|has|have|may|might|must|am|any|tell me|explain)\b",
    re.IGNORECASE,
)
# Words that ask rather than name: never a subject of their own.
_ASKING_WORDS = frozenset(
    tokenize(
        """what which who whom whose when where why how does do did can could would should will
        is are was were long take takes taking get got mean means use used usual usually typical
        typically common commonly other another else one thing things tell know need needed
        anything something happen happens different question also way ways best good bad normal
        much many really still ever right away fast worse better since today yesterday week weeks
        month months year years day days morning night time just okay ok please explain help
        possible likely left right side lot bit sort kind type actually exactly basically
        honestly seriously even full fully slowly quickly completely totally properly gradually
        finally ve ll re don didn isn doesn wasn aren won can't i'm monday tuesday wednesday
        thursday friday saturday sunday weekend tonight tomorrow ago lately recently keep
        idea"""
    )
)


# A remark about the conversation before the question ("Switching topics: which ...?").
_DISCOURSE = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|right|so|also|and)[ ,]+)?(?:switching (?:the )?(?:topics?|subjects?)|"
    r"chang(?:e|ing) (?:of |the )?(?:topics?|subjects?)|(?:a )?(?:new|another|different|"
    r"separate|unrelated) (?:question|topic|thing)|one more (?:question|thing)|on another note)"
    r"\s*[:,;.\-\u2013\u2014]+\s*",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w[\w'-]*")
# Set phrases that name nothing: "in the first place" is no subject "first place".
_SET_PHRASES = re.compile(
    r"\b(?:in the first place|at all|after all|all of a sudden|in general|for a while|"
    r"these days|any more|anymore|by the way)\b",
    re.IGNORECASE,
)
_RARE = 6.5
_NAMES_SUBJECT = 2.0
"""An ask with no word this specific leans on its story for its subject."""


@dataclass(frozen=True, slots=True)
class Question:
    """A question read for answering; `ask` is what is asked, `story` the rest."""

    text: str
    ask: str
    story: str
    aspects: tuple[Aspect, ...]
    yes_no: bool
    wants_duration: bool
    subject: tuple[str, ...]
    """Stemmed content terms of the ask that are neither asking words nor aspect cues."""
    specificity: tuple[float, ...]
    """How rare each subject term is in everyday English: "femoral" names a subject,
    "stay" hardly does (6.5 minus the word's Zipf frequency, at least 0)."""
    lay_terms: tuple[str, ...]
    """The corpus's words for the ask's everyday words ("tiptoes" -> "plantar flexion")."""
    carried: tuple[str, ...] = ()
    """Words of earlier questions a follow-up leans on ("heal" after "S1 impingement")."""
    topic: str = ""
    """The first word the ask names, stemmed: what a yes/no question asks about ("surgeri"
    of "Is surgery needed for S1 radiculopathy?"); empty when it is a site."""
    statement: bool = False
    """Nothing is asked ("my ankle reflex is gone on one side"): all of it is the ask."""
    leans_on: str = ""
    """The story, when the ask names nothing of its own: what "that" in "Is that expected?"
    stands for."""

    @property
    def aspect_terms(self) -> frozenset[str]:
        return answer_terms(self.aspects)

    @property
    def section_terms(self) -> frozenset[str]:
        """Heading words of the sections that discuss the asked aspects."""
        return section_terms(self.aspects)

    @property
    def reading(self) -> str:
        """The ask in its own and the corpus's words: what sentences are compared with."""
        return " ".join(filter(None, (self.leans_on, self.ask, *self.carried, *self.lay_terms)))

    @property
    def has_story(self) -> bool:
        return bool(self.story)


def analyze(text: str) -> Question:
    """Split `text` into story and ask, and find the ask's aspects and subject terms."""
    spans = sentence_spans(text)
    sentences = [text[start:end] for start, end in spans]
    asks = [s for s in sentences if s.rstrip().endswith("?")]
    if not asks and sentences and _INTERROGATIVE.match(sentences[-1]):
        asks = [sentences[-1]]
    statement = not asks
    if statement:
        asks = sentences  # a statement ("my ankle reflex is gone"): all of it is the ask
    ask = _DISCOURSE.sub("", " ".join(asks)).strip() or text.strip()
    story = " ".join(s for s in sentences if s not in asks).strip()
    # A story-only ask ("Is this normal?") takes its subject from the story.
    aspects = asked_aspects(ask)
    cue_terms = answer_words(aspects)
    lay = corpus_terms(text)
    # Everyday words name the subject in the corpus's terms: an unknown "flaring" is no
    # sign that the sources don't cover "worse".
    subject = _subject(_SET_PHRASES.sub(" ", ask_cues(in_corpus_words(ask))), cue_terms)
    # The corpus's names for the ask's everyday words name the same subject ("onto your
    # toes" is plantar flexion).
    for stem, value in _subject(" ".join(corpus_terms(ask)), cue_terms).items():
        subject.setdefault(stem, value)
    leans_on = story if story and max(subject.values(), default=0.0) < _NAMES_SUBJECT else ""
    if leans_on:
        # "Is this normal?" names nothing: the story says what "this" is.
        for stem, value in _subject(ask_cues(in_corpus_words(story)), cue_terms).items():
            subject.setdefault(stem, value)
    stems = tuple(subject)
    return Question(
        text=text,
        ask=ask,
        story=story,
        aspects=aspects,
        yes_no=is_yes_no(ask),
        wants_duration=asks_duration(ask),
        subject=stems,
        specificity=tuple(subject.values()),
        lay_terms=lay,
        topic=opening_term(ask),
        statement=statement,
        leans_on=leans_on,
    )


@lru_cache(maxsize=65_536)
def opening_term(text: str) -> str:
    """The first stemmed word of `text` that names something, not one that asks; none when
    that word is a site ("S1", "SI"), which nearly every sentence of the sources is about."""
    for word in _WORD.findall(text):
        for stem in tokenize(word):
            if stem not in _ASKING_WORDS and not stem.isdigit():
                return "" if sites(word) else stem
    return ""


def says_yes_or_no(question: Question, sentence: str) -> bool:
    """Whether `sentence` gives a yes/no question its verdict: it opens with what is asked
    about ("Surgery is typically reserved for cases where ..." for "Is surgery needed for
    S1 radiculopathy?")."""
    return question.yes_no and bool(question.topic) and opening_term(sentence) == question.topic


def with_subject(question: Question, words: Sequence[str]) -> Question:
    """`question` with the subject of `words` too (a follow-up's topic, carried over)."""
    subject = dict(zip(question.subject, question.specificity, strict=True))
    for stem, value in _subject(" ".join(words), answer_words(question.aspects)).items():
        subject[stem] = max(subject.get(stem, 0.0), value)
    return replace(
        question,
        subject=tuple(subject),
        specificity=tuple(subject.values()),
        carried=tuple(words),
    )


def _subject(text: str, cue_terms: frozenset[str]) -> dict[str, float]:
    """Stem -> specificity of the words of `text` that can name a subject."""
    found: dict[str, float] = {}
    for word in _WORD.findall(text.lower()):
        for stem in tokenize(word):
            # A bare number ("38.5", "10 hours") measures the story; it names no subject.
            if stem in _ASKING_WORDS or stem in cue_terms or len(stem) < 2 or stem.isdigit():
                continue
            found[stem] = max(found.get(stem, 0.0), specificity(word))
    return found


def specificity(word: str) -> float:
    """6.5 minus the word's Zipf frequency in English (wordfreq), at least 0: about 4 for
    "sciatica", 1 for "keep"; a word wordfreq has never seen counts as rare."""
    return max(0.0, _RARE - _zipf(word))


@lru_cache(maxsize=65_536)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))
