"""What a question asks about its subject (treatment, surgery, recovery, ...), by cue words.

Shared by retrieval (a passage whose heading or words address the asked aspect ranks
higher) and answering (a sentence must bear on the asked aspect). The cues are the words
people use to ask ("how long", "get rid of") and the words the corpus uses to answer
("recovery", "months"); both sides are matched on stems, so "heals" meets "healing".
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from s1assist.lexical import tokenize


class Aspect(StrEnum):
    """The kinds of thing a question can ask about a subject."""

    TREATMENT = "treatment"
    SURGERY = "surgery"
    MEDICINE = "medicine"
    EXERCISE = "exercise"
    INJECTION = "injection"
    RECOVERY = "recovery"
    CAUSE = "cause"
    SYMPTOM = "symptom"
    DIAGNOSIS = "diagnosis"
    ANATOMY = "anatomy"
    DEFINITION = "definition"
    COMPARISON = "comparison"


@dataclass(frozen=True, slots=True)
class _Cues:
    asks: str
    """A pattern of the words that ask for this aspect."""
    answers: str
    """Words a passage uses when it addresses this aspect (stemmed on use)."""


# Which nerve "gives feeling to" a place asks where it supplies, not what is felt.
_SUPPLIES_FEELING = r"\b(?:gives?|giving|provides?|providing) (?:\w+ )?(?:feeling|sensation)\b"

_CUES: dict[Aspect, _Cues] = {
    Aspect.SURGERY: _Cues(
        r"\bsurg\w*|\boperat\w*|\bmicrodiscectom\w*|\blaminectom\w*|\bdecompress\w*|"
        r"\bforaminotom\w*|\bfusion\b|\bgo under the knife\b",
        "surgery surgical microdiscectomy laminectomy decompression foraminotomy fusion "
        "operation surgically",
    ),
    Aspect.MEDICINE: _Cues(
        r"\bmedicin\w*|\bmedicat\w*|\bdrugs?\b|\bpills?\b|\bpainkillers?\b|\btablets?\b|"
        r"\bwhat (?:can|should) i take\b|\bnsaids?\b|\bsteroids?\b|\bibuprofen\b|"
        r"\bgabapentin\b|\bpregabalin\b|\banti-?inflammator\w*|\bprescri\w*",
        "nsaids medications medication drugs gabapentin pregabalin steroids steroid "
        "corticosteroid relaxants anti-inflammatory opioid painkillers diclofenac ketoprofen",
    ),
    Aspect.EXERCISE: _Cues(
        r"\bexercis\w*|\bstretch\w*|\bphysio\w*|\byoga\b|\bworkouts?\b|\bstrengthen\w*|"
        r"\bphysical therap\w*",
        "exercises exercise stretching strengthening physical+therapy therapist yoga core "
        "stabilization",
    ),
    Aspect.INJECTION: _Cues(
        r"\binjections?\b|\binject(?:ed|ing)\b|\bepidurals?\b|\besi\b|\bnerve blocks?\b|"
        # a shot in the back, not "a shot of pain down my leg"
        r"\b(?:steroid|cortisone|epidural|spinal) (?:shots?|jabs?)\b|"
        r"\b(?:shots?|jabs?) in (?:my|the) (?:back|spine)\b",
        "injection injections injected epidural esi",
    ),
    Aspect.TREATMENT: _Cues(
        # What a nerve or muscle "helps" with is its function (anatomy), not a treatment; nor
        # is what "helps" find or form something ("help diagnose", "helps form").
        r"\btreat\w*|\btherap\w*|\bfix\w*|\bcure\w*|\bmanag\w*|"
        r"(?<!nerve )(?<!nerves )(?<!root )(?<!muscle )(?<!muscles )\bhelps?\b"
        r"(?! (?:to )?(?:form|predict|diagnos\w*|confirm|detect|identif\w*|locat\w*|tell)\b)|"
        r"\breliev\w*|"
        r"\brelief\b|\bget rid of\b|\bwhat (?:can|should) (?:i|you|we) do\b|\bremed\w*|"
        r"\bease\b|\boptions?\b|\binjections?\b",
        "treatment treatments treat treated therapy conservative management relief injection "
        "nsaids physical+therapy medications lifestyle",
    ),
    Aspect.RECOVERY: _Cues(
        r"\bhow long\b|\bheal\w*|\brecover\w*|\bprognos\w*|\bpermanent\w*|\bget better\b|"
        r"\bgo away\b|\boutlook\b|\bregenerat\w*|\bregrow\w*|\bgrow back\b|\bcome back\b|"
        r"\brepair\w*|\bforever\b|\blast\b|\bhow fast\b|"
        r"\btakes? (?:a while|(?:some )?time|so long)\b|"
        r"\bslow\w* (?:\w+ )?down\b|\bspeed\w* (?:\w+ )?up\b|\bcreep\w* back\b|\bwear\w* off\b",
        "recovery recover heal healing prognosis months weeks regeneration regenerating "
        "permanent outcome improvement return lasting",
    ),
    Aspect.CAUSE: _Cues(
        r"\bcaus\w*|\bwhy\b|\breasons?\b|\bhow do (?:you|people|i) get\b|\bleads? to\b|"
        r"\bdue to\b|\btrigger\w*|\bresult of\b|\bwhat makes\b|\bend(?:s|ed)? up\b|"
        r"\bwhat(?:'s| is) behind\b|\bto blame\b|\bresponsible for\b|\bgo(?:es)? wrong\b|"
        r"\bcontribut\w*|\bpart of (?:it|this|that|the (?:problem|reason|cause))\b",
        "cause causes caused due because compression compressed result resulting leads "
        "trigger triggers irritate irritated irritation inflammation injury herniated "
        "stenosis degeneration",
    ),
    Aspect.SYMPTOM: _Cues(
        r"\bsymptoms?\b|\bsigns?\b|\bfeel\w*|\bfelt\b|\bwhat happens\b|\bexperienc\w*|"
        r"\bpresents?\b|\bhurts?\b|\bdebilitat\w*|\bwhen (?:it'?s|it is|they'?re) damaged\b",
        "symptoms symptom pain numbness tingling weakness reflex sensation burning felt experience",
    ),
    Aspect.DIAGNOSIS: _Cues(
        r"\bdiagnos\w*|\btests?\b|\bmri\b|\bscans?\b|\bx-?rays?\b|\bimaging\b|\bconfirm\w*|"
        r"\bshow (?:up )?on\b|\bdetect\w*|\bexam\w*|\bemg\b|\btell if\b",
        "diagnosis diagnose diagnosed diagnostic test tests mri imaging x-rays exam examination "
        "electrodiagnostic confirm",
    ),
    Aspect.ANATOMY: _Cues(
        r"\bcontrols?\b|\bsuppl\w*|\binnervat\w*|\bwhere (?:is|does|are)\b|\blocat\w*|"
        r"\bdistribut\w*|\bfunction\w*|\bmuscles?\b|\bexits?\b|\bdepends? on\b|"
        # "part of it" asks what contributes (a cause), "part of the sciatic nerve" where
        r"\bpart of\b(?! (?:it|this|that|the (?:problem|reason|cause))\b)|\bform\w*|"
        r"\bdermatome\b|\bwhat does\b(?=(?: the)? [\w -]+ do\b)|"  # the words between name it
        r"\b(?:nerves?|roots?|muscles?) (?:helps?|lets?|allows?|enables?)\b|" + _SUPPLIES_FEELING,
        "innervate innervates innervating supplies supply controls control distributed "
        "located plexus muscles formation function "
        # what a joint does: it carries and steadies rather than innervates
        "between connects transfer transfers stability supports weight-bearing",
    ),
    Aspect.COMPARISON: _Cues(
        r"\bsame as\b|\bdiffer\w*|\bversus\b|\bvs\.?\b|\bcompar\w*|\brelated to\b",
        "same different difference related",
    ),
    Aspect.DEFINITION: _Cues(
        r"^\s*(?:what(?:'s| is| are)\b(?! the (?:best|usual|success))|define\b|meaning of\b)",
        "refers known characterized defined",
    ),
}
# A treatment question also accepts the narrower aspects' words (not the other way round:
# a surgery question is not answered by a passage on physical therapy).
_RELATED: dict[Aspect, tuple[Aspect, ...]] = {
    Aspect.TREATMENT: (Aspect.SURGERY, Aspect.MEDICINE, Aspect.EXERCISE),
}
# Aspects read only to choose the sentences that answer, never as asked: search and
# abstention, whose weights were fitted on the aspects above, read an injection question as
# the treatment question it is, and the answer quotes the sentences on injections.
_SELECTION_ONLY = frozenset({Aspect.INJECTION})
_FORMS = frozenset({Aspect.DEFINITION, Aspect.COMPARISON})
# What a question sets aside: "without surgery", "other than painkillers".
_SET_ASIDE = re.compile(
    r"\b(?:without|instead of|other than|apart from|besides|rather than|avoid(?:ing)?)"
    r"(?:\s+[\w-]+){1,3}",
    re.IGNORECASE,
)
# When something happened: "come back after surgery", "following a microdiscectomy".
_AFTER = re.compile(
    r"\b(?:after|following|since)\s+(?:(?:a|an|the|my|your|his|her|their)\s+)?"
    r"(?:[\w-]+\s+)?[\w-]+"
    r"(?:\s+(?:for|on)\s+(?:my\s+|the\s+)?[\w-]+)?",
    re.IGNORECASE,
)
# Words that ask for treatment as such, not only whether something helps.
_TREATS = re.compile(r"\btreat\w*|\bcur(?:e|es|ed|ing)\b|\bmanag\w*|\bremed\w*", re.IGNORECASE)
_YES_NO = re.compile(
    r"^\s*(?:is|are|can|could|does|do|did|will|would|should|has|have|may|might|must|am)\b",
    re.IGNORECASE,
)
# A duration or a rate: what "how long" and "how fast" ask for.
_DURATION = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|several|few|many)\b[\w\s-]{0,20}?"
    r"\b(?:days?|weeks?|months?|years?|millimet\w+)\b",
    re.IGNORECASE,
)
_HOW_LONG = re.compile(r"\bhow (?:long|fast|soon|quickly)\b|\bwhen will\b", re.IGNORECASE)
# A share or a count: what "what percentage" and "how many injections" ask for.
_ASKS_SHARE = re.compile(
    r"\b(?:percentage|per ?cent|proportion|fraction|success rates?|failure rates?|"
    r"complication rates?|recurrence rates?)\b|\bhow (?:many|much) of\b",
    re.IGNORECASE,
)
_ASKS_COUNT = re.compile(r"\bhow many\b", re.IGNORECASE)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundred|dozen|once|twice|half"
)
# A number of its own, not the digits of a name such as "S1" or "L5-S1".
_NUMBER = re.compile(rf"(?<![\w-])\d+(?:[.,]\d+)?(?![\w-])|\b(?:{_NUMBER_WORDS})\b", re.I)
_SHARE = re.compile(
    rf"\d\s*%|\bper ?cent\b|\b(?:\d+|{_NUMBER_WORDS}) (?:in|out of) (?:every )?(?:\d+|"
    rf"{_NUMBER_WORDS})\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[Aspect, re.Pattern[str], frozenset[str]], ...]:
    return tuple(
        (aspect, re.compile(cues.asks, re.IGNORECASE), _answer_words(cues.answers))
        for aspect, cues in _CUES.items()
    )


def _answer_words(answers: str) -> frozenset[str]:
    """The stems of `answers`; words joined by "+" are one phrase ("physical+therapy" is
    not "physical" alone, which also begins "physical examination")."""
    found: set[str] = set()
    for word in answers.split():
        found.add(" ".join(tokenize(word.replace("+", " "))))
    return frozenset(found - {""})


def asked_aspects(question: str) -> tuple[Aspect, ...]:
    """The aspects `question` asks about, most specific first (SURGERY before TREATMENT).
    Whether something causes a symptom ("Can S1 nerve damage cause burning?") is answered
    where the symptom is described: such a question asks for symptoms as well."""
    found = [
        aspect
        for aspect, asks, _ in _compiled()
        if aspect not in _SELECTION_ONLY and asks.search(question)
    ]
    excluded = excluded_aspects(question) | time_points(question)
    found = [aspect for aspect in found if aspect not in excluded]
    if Aspect.ANATOMY in found and re.search(_SUPPLIES_FEELING, question, re.IGNORECASE):
        found = [aspect for aspect in found if aspect is not Aspect.SYMPTOM]
    if Aspect.RECOVERY in found and _HOW_LONG.search(question):
        # "How long until my foot stops feeling numb?" asks when, not what is felt.
        found = [aspect for aspect in found if aspect is not Aspect.SYMPTOM]
    if Aspect.CAUSE in found and Aspect.SYMPTOM not in found and _names_symptom(question):
        found.insert(found.index(Aspect.CAUSE) + 1, Aspect.SYMPTOM)
    return tuple(found)


def _names_symptom(question: str) -> bool:
    symptoms = next(terms for aspect, _, terms in _compiled() if aspect is Aspect.SYMPTOM)
    return not symptoms.isdisjoint(tokenize(question))


def ask_cues(text: str) -> str:
    """`text` without the words that ask for an aspect: what remains names the subject."""
    for aspect, asks, _ in _compiled():
        if aspect not in _SELECTION_ONLY:  # "epidural" names what is asked about
            text = asks.sub(" ", text)
    return text


def is_yes_no(question: str) -> bool:
    """True for a question that a yes or a no answers ("Is surgery needed ...?")."""
    return bool(_YES_NO.match(question))


def asks_duration(question: str) -> bool:
    return bool(_HOW_LONG.search(question))


def has_duration(text: str) -> bool:
    return bool(_DURATION.search(text))


class Quantity(StrEnum):
    """A number a question asks for: a share ("what percentage", "success rate") or a count
    ("how many injections")."""

    SHARE = "share"
    COUNT = "count"


def asked_quantity(question: str) -> Quantity | None:
    if _ASKS_SHARE.search(question):
        return Quantity.SHARE
    if _ASKS_COUNT.search(question):
        return Quantity.COUNT
    return None


def states_quantity(quantity: Quantity, text: str) -> bool:
    """Whether `text` gives the kind of number asked for: a percentage or "one in ten" for a
    share, any number for a count."""
    pattern = _SHARE if quantity is Quantity.SHARE else _NUMBER
    return bool(pattern.search(text))


def answer_terms(aspects: tuple[Aspect, ...]) -> frozenset[str]:
    """The stemmed words a passage uses when it addresses any of `aspects`; a definition or a
    comparison is a form of answer, not a topic, and brings no words of its own."""
    wanted = {a for aspect in aspects for a in (aspect, *_RELATED.get(aspect, ()))} - _FORMS
    return frozenset().union(*(terms for aspect, _, terms in _compiled() if aspect in wanted))


def excluded_aspects(question: str) -> frozenset[Aspect]:
    """The narrow aspects `question` sets aside ("without surgery", "other than painkillers"):
    asked only there, they are what the answer should not be about."""
    return _named_only_in(_SET_ASIDE, question)


def time_points(question: str) -> frozenset[Aspect]:
    """The narrow aspects `question` names only as when something happened, beside a
    recovery it asks about: "Will my foot strength come back after surgery?" asks about
    recovery, and the surgery is when it starts."""
    recovery = next(asks for aspect, asks, _ in _compiled() if aspect is Aspect.RECOVERY)
    if not recovery.search(_AFTER.sub(" ", question)):
        return frozenset()
    return _named_only_in(_AFTER, question)


def _named_only_in(phrase: re.Pattern[str], question: str) -> frozenset[Aspect]:
    """The narrow aspects `question` names in its `phrase` matches and nowhere else."""
    phrases = " ".join(m.group() for m in phrase.finditer(question))
    if not phrases:
        return frozenset()
    rest = phrase.sub(" ", question)
    return frozenset(
        aspect
        for aspect, asks, _ in _compiled()
        if aspect in _RELATED[Aspect.TREATMENT] and asks.search(phrases) and not asks.search(rest)
    )


def only_narrow(question: str, aspects: tuple[Aspect, ...]) -> tuple[Aspect, ...]:
    """`aspects` without TREATMENT when only a bare "help" or "fix" (or the name of an
    injection) asked it beside a narrower aspect: "What exercises help?" is answered by
    exercises, not by any treatment (a sentence on diagnosis and treatment), and "Will
    injections help?" by injections. "Is it treated with surgery?" keeps both."""
    if Aspect.TREATMENT not in aspects or _TREATS.search(question):
        return aspects
    named = tuple(
        aspect
        for aspect, asks, _ in _compiled()
        if aspect in _SELECTION_ONLY and asks.search(question)
    )
    aspects = (*named, *aspects)
    narrow = (*_RELATED[Aspect.TREATMENT], *_SELECTION_ONLY)
    if not any(aspect in narrow for aspect in aspects):
        return aspects
    return tuple(aspect for aspect in aspects if aspect is not Aspect.TREATMENT)


def answer_words(aspects: tuple[Aspect, ...]) -> frozenset[str]:
    """`answer_terms` with each phrase's words apart ("physic", "therapi"): the words that
    say what is asked, not what it is asked about."""
    return frozenset(word for term in answer_terms(aspects) for word in term.split())


def section_terms(aspects: tuple[Aspect, ...]) -> frozenset[str]:
    """The words of a section heading under which `aspects` are discussed: their own, and for
    a narrower aspect its broader one's, which take in the broader one's other narrow aspects
    ("Diagnosis and Treatment" is where the medicines are named)."""
    return answer_terms((*aspects, *_broader(aspects)))


def broader_terms(aspects: tuple[Aspect, ...]) -> frozenset[str]:
    """The words of the broader aspect alone, for a narrower one ("treatment" for a medicines
    question), none of the asked aspects' own: a heading "Diagnosis and Treatment" is where
    medicines may be named, and weaker evidence of it than "Medications"."""
    wide = _broader(aspects)
    own_words = [terms for aspect, _, terms in _compiled() if aspect in wide]
    return frozenset().union(*own_words) - answer_terms(aspects)


def _broader(aspects: tuple[Aspect, ...]) -> tuple[Aspect, ...]:
    """The broader aspects that take in one of `aspects` (TREATMENT for MEDICINE)."""
    return tuple(wide for wide, narrow in _RELATED.items() if any(a in narrow for a in aspects))


def aspect_match(text: str, terms: frozenset[str]) -> float:
    """1.0 when `text` uses one of the aspect words `terms`, else 0.0."""
    if not terms:
        return 0.0
    words = stems(text)
    if terms.intersection(words):
        return 1.0
    # A phrase ("physic therapi") is looked for only where its first word is.
    phrases = _phrases(terms)
    if not any(first in words for first in phrases):
        return 0.0
    return 1.0 if terms.intersection(_pairs(text)) else 0.0


@lru_cache(maxsize=256)
def _phrases(terms: frozenset[str]) -> frozenset[str]:
    """The first words of the phrases among `terms`."""
    return frozenset(term.split()[0] for term in terms if " " in term)


@lru_cache(maxsize=65_536)
def _pairs(text: str) -> frozenset[str]:
    """Each two stemmed terms of `text` that follow each other, as "physic therapi"."""
    terms = tokenize(text)
    return frozenset(f"{a} {b}" for a, b in itertools.pairwise(terms))


@lru_cache(maxsize=65_536)
def stems(text: str) -> frozenset[str]:
    """The stemmed terms of `text`, remembered: headings and sentences recur across asks."""
    return frozenset(tokenize(text))
