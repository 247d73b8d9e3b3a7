"""What the support rule cannot see in a paraphrase: numbers, names and negation.

The project's support rule (`s1assist.support`) accepts a paraphrase on word overlap plus
embedding similarity, and both are blind to one changed word: "six weeks" for "six
months", "L5" for "S1", "does not" for "does". A writer's sentence must also pass these
checks against the evidence it cites:

- every quantity (a number, as digits or words, with its unit when it has one: a dose, a
  duration, a percentage) occurs in the cited evidence, unit and all;
- every name (an acronym, a word with a digit such as "S1" or "L5-S1", a capitalised word
  inside the sentence) occurs in the cited evidence;
- no negation flips: when only one of the sentence and a cited evidence text holds a
  negation ("not", "without", "never", ...), no word that the negation governs there
  occurs plainly in the other ("without surgery" against "needs surgery"). When both
  hold one, the check cannot tell their scopes apart and lets the sentence pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from s1assist.lexical import tokenize

_NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70"})
_NUMBER_WORDS.update({"eighty": "80", "ninety": "90", "hundred": "100", "half": "0.5"})
_NUMBER_WORDS.update({"twice": "2", "dozen": "12"})
_UNITS = {
    "second": "second",
    "minute": "minute",
    "hour": "hour",
    "day": "day",
    "week": "week",
    "month": "month",
    "year": "year",
    "mg": "mg",
    "milligram": "mg",
    "g": "g",
    "gram": "g",
    "ml": "ml",
    "mcg": "mcg",
    "%": "%",
    "percent": "%",
    "time": "time",
    "session": "session",
    "dose": "dose",
    "cm": "cm",
    "mm": "mm",
}
_WORD = re.compile(r"[A-Za-z0-9]+(?:'[a-z]+|[.,][0-9]+)?|%")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_NEGATIONS = frozenset(
    "not no never none nothing neither nor without cannot can't don't doesn't didn't isn't "
    "aren't wasn't weren't won't shouldn't unlikely rarely".split()
)
_NEGATION_SCOPE = 4
"""Words after a negation that it governs ("not usually needed", "without surgery")."""
# Words that name one structure, level, test, drug or procedure among others of its kind:
# lower case, so the capital-letter test misses them, and one swapped for another ("tibial"
# for "peroneal") leaves the overlap and the embedding of a sentence nearly unchanged.
_DOMAIN_NAMES = frozenset(
    "tibial peroneal fibular sciatic femoral gluteal pudendal obturator sural saphenous "
    "plantar gastrocnemius soleus hamstring hamstrings quadriceps calf thigh buttock foot "
    "ankle knee heel toe toes groin lumbar sacral thoracic cervical coccyx piriformis "
    "sacroiliac ibuprofen naproxen diclofenac gabapentin pregabalin steroid steroids opioid "
    "opioids paracetamol acetaminophen epidural discectomy microdiscectomy laminectomy "
    "fusion injection injections physiotherapy radiofrequency ablation".split()
)
# Short names and the words the sources spell them out in.
_ALIASES: dict[str, tuple[str, ...]] = {
    "s1": ("first sacral",),
    "si": ("sacroiliac",),
    "mri": ("magnetic resonance",),
    "ct": ("computed tomography",),
    "emg": ("electromyography",),
    "nsaids": ("anti-inflammatory", "nonsteroidal"),
    "nsaid": ("anti-inflammatory", "nonsteroidal"),
}
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


@dataclass(frozen=True, slots=True)
class Mismatch:
    """Why a sentence says more than, or other than, its evidence."""

    kind: str
    """"number", "name" or "negation"."""
    what: str

    def describe(self) -> str:
        return f"{self.kind} {self.what!r} is not in the cited evidence"


def words(text: str) -> list[str]:
    """Lower-case words and numbers ("6", "2.5", "12%"), split at hyphens and slashes."""
    plain = text.translate(_APOSTROPHES)
    return [w.lower() for w in _WORD.findall(plain.replace("%", " %"))]


def _number(word: str) -> str | None:
    if _NUMBER.match(word):
        return word.replace(",", ".").rstrip("0").rstrip(".") if "." in word else word
    return _NUMBER_WORDS.get(word)


def _unit(word: str) -> str | None:
    return _UNITS.get(word) or (_UNITS.get(word[:-1]) if word.endswith("s") else None)


def quantities(text: str) -> set[tuple[str, str]]:
    """(number, unit) pairs; unit is "" for a bare number. "three to eighteen months" gives
    both numbers the unit. A digit inside a name ("S1", "L5") is not a quantity."""
    tokens = words(text)
    found: set[tuple[str, str]] = set()
    pending: list[str] = []
    for word in tokens:
        value = _number(word)
        if value is not None:
            pending.append(value)
            continue
        if pending and word in ("to", "or", "and"):
            continue
        unit = _unit(word) if pending else None
        found.update((value, unit or "") for value in pending)
        pending = []
    found.update((value, "") for value in pending)
    return found


def names(text: str) -> set[str]:
    """Acronyms ("MRI", "SI"), words holding a digit ("S1", "L5"), capitalised words past
    the first of the sentence ("Achilles") and the domain's names ("tibial"), lower-cased."""
    found: set[str] = set()
    for i, match in enumerate(re.finditer(r"[A-Za-z][A-Za-z0-9]*|\d+[A-Za-z]+\w*", text)):
        word = match.group()
        has_digit = any(ch.isdigit() for ch in word)
        acronym = len(word) >= 2 and word.isupper()
        capitalised = i > 0 and word[0].isupper() and not _after_full_stop(text, match.start())
        if has_digit or acronym or capitalised or word.lower() in _DOMAIN_NAMES:
            found.add(word.lower())
    return found


def _after_full_stop(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in '.!?:;("“[-•'


def has_negation(text: str) -> bool:
    return any(word in _NEGATIONS or word.endswith("n't") for word in words(text))


def negated_terms(text: str) -> tuple[set[str], set[str]]:
    """(terms a negation governs, terms stated plainly), as stemmed content terms."""
    negated_words: list[str] = []
    plain_words: list[str] = []
    window = 0
    for word in words(text):
        if word in _NEGATIONS or word.endswith("n't"):
            window = _NEGATION_SCOPE
        elif window:
            negated_words.append(word)
            window -= 1
        else:
            plain_words.append(word)
    governed = set(tokenize(" ".join(negated_words)))
    return governed, set(tokenize(" ".join(plain_words))) - governed


def mismatches(sentence: str, evidence: Sequence[str]) -> list[Mismatch]:
    """What `sentence` says that the evidence texts, taken together, do not."""
    joined = "\n".join(evidence)
    problems: list[Mismatch] = []
    have = quantities(joined)
    numbers_present = {value for value, _ in have}
    for value, unit in sorted(quantities(sentence)):
        if (unit and (value, unit) not in have) or value not in numbers_present:
            problems.append(Mismatch("number", f"{value} {unit}".strip()))
    evidence_words = set(words(joined))
    lowered = joined.lower()
    for name in sorted(names(sentence)):
        if not set(words(name)) <= evidence_words and not _synonym_present(
            name, lowered, evidence_words
        ):
            problems.append(Mismatch("name", name))
    problems += [Mismatch("negation", term) for term in flipped(sentence, evidence)]
    return problems


def _synonym_present(name: str, lowered: str, evidence_words: set[str]) -> bool:
    """ "S1" is in evidence that says "first sacral", and "sacral" in evidence that says "S1"."""
    if any(alias in lowered for alias in _ALIASES.get(name, ())):
        return True
    return any(
        short in evidence_words and any(name in alias.split() for alias in aliases)
        for short, aliases in _ALIASES.items()
    )


def flipped(sentence: str, evidence: Sequence[str]) -> list[str]:
    """Terms a negation governs in only one of the sentence and an evidence text, found
    plainly in the other."""
    sentence_negated, sentence_plain = negated_terms(sentence)
    sentence_has = has_negation(sentence)
    flips: set[str] = set()
    for text in evidence:
        if has_negation(text) == sentence_has:
            continue
        negated, plain = negated_terms(text)
        flips |= (negated & sentence_plain) if not sentence_has else (sentence_negated & plain)
    return sorted(flips)
