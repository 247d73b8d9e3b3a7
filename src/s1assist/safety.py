"""Red flags in the user's own words, by rule, independent of what retrieval finds.

A flag needs the person to be describing themselves (I, my, me) or a present complaint;
"Does S1 damage affect bladder control?" asks about knowledge and raises nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

NOTICE = "This is information from the documents cited, not medical advice."


class RedFlag(StrEnum):
    BLADDER_BOWEL = "bladder_bowel"
    SADDLE_NUMBNESS = "saddle_numbness"
    BILATERAL_WEAKNESS = "bilateral_weakness"
    PROGRESSIVE_WEAKNESS = "progressive_weakness"
    FEVER = "fever"
    CANCER_HISTORY = "cancer_history"
    MAJOR_TRAUMA = "major_trauma"


@dataclass(frozen=True, slots=True)
class _Rule:
    flag: RedFlag
    pattern: re.Pattern[str]
    warning: str


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_CAUDA_EQUINA = (
    "can be a sign of cauda equina syndrome, a compression of the nerves at the base of the "
    "spine that needs emergency assessment"
)
_RULES: tuple[_Rule, ...] = (
    _Rule(
        RedFlag.BLADDER_BOWEL,
        _rx(
            r"(?:lost|losing|loss of|lose|no|can'?t|cannot|can not|unable to|trouble|"
            r"haven'?t been able to|not able to)\b[^.?!]{0,30}\b(?:bladder|bowels?|pee|urinat\w*|"
            r"poo|stools?|hold (?:it|my))|(?:wet|peed|pooed|pooped|soiled) (?:myself|the bed)|"
            r"\bincontinen\w*|can'?t feel (?:when|if) I (?:need to )?(?:pee|go)"
        ),
        f"New loss of bladder or bowel control with back or leg pain {_CAUDA_EQUINA}.",
    ),
    _Rule(
        RedFlag.SADDLE_NUMBNESS,
        _rx(
            r"(?:numb\w*|no feeling|can'?t feel|cannot feel|pins and needles|tingl\w*)"
            r"[^.?!]{0,40}\b(?:groin|saddle|genital\w*|private\w*|inner thighs?|back passage|"
            r"anus|between (?:my|the) legs|perine\w*|bum|buttocks both)|"
            r"\b(?:groin|saddle|genital\w*|inner thighs?|back passage|bum)\b[^.?!]{0,30}"
            r"\b(?:numb\w*|no feeling|tingl\w*)"
        ),
        f"Numbness in the groin, genitals or saddle area {_CAUDA_EQUINA}.",
    ),
    _Rule(
        RedFlag.BILATERAL_WEAKNESS,
        _rx(
            r"\bboth (?:my )?legs?\b[^.?!]{0,40}\b(?:weak\w*|gave way|give way|giving (?:way|out)|"
            r"buckl\w*|collaps\w*|went weak|numb)|\b(?:weak\w*|numb\w*) in both (?:my )?legs|"
            r"\blegs both (?:went|are|feel|gave)\b"
        ),
        f"Weakness in both legs {_CAUDA_EQUINA}.",
    ),
    _Rule(
        RedFlag.PROGRESSIVE_WEAKNESS,
        _rx(
            r"(?:weak\w*|foot drop|drop foot|giving out)[^.?!]{0,40}\b(?:getting worse|worse every|"
            r"worsening|keeps? spreading|spreading|progress\w*|more and more|increasing)|"
            r"(?:getting|growing|becoming|more and more|increasingly|progressively) weaker|"
            r"(?:worsening|progressive|increasing) (?:weakness|foot drop)"
        ),
        "Weakness or foot drop that is getting worse needs prompt medical assessment; "
        "progressive neurological deficits can call for urgent surgery.",
    ),
    _Rule(
        RedFlag.FEVER,
        _rx(
            r"(?<!no )(?<!without a )(?<!without )\b(?:i'?ve got|i have|i'?ve had|i had|with|"
            r"running|got)\b[^.?!]{0,20}\b(?:fever|temperature|chills|night sweats)"
        ),
        "Fever with back pain can be a sign of a spinal infection and needs urgent medical "
        "assessment.",
    ),
    _Rule(
        RedFlag.CANCER_HISTORY,
        _rx(
            r"\b(?:i|i'?ve|i'?m|my)\b[^.?!]{0,40}\b(?:cancer|tumou?r|malignan\w*|lymphoma|"
            r"myeloma|metasta\w*|chemo\w*)"
        ),
        "New back pain with a history of cancer needs prompt medical assessment to rule out "
        "spread to the spine.",
    ),
    _Rule(
        RedFlag.MAJOR_TRAUMA,
        _rx(
            r"\b(?:i|i'?ve)\s+(?:fell|fallen|came off|was thrown|was hit|crashed)|"
            r"\b(?:car|road|traffic|motorbike|motorcycle|bike|ski\w*) (?:crash|accident|collision)|"
            r"\bfell (?:off|from|down)\b|\bhit by a (?:car|vehicle|truck)|\bcame off my"
        ),
        "Back pain after a major fall or accident needs urgent assessment for a fracture or "
        "nerve injury.",
    ),
)
# Words that show the fever is in the past and resolved, not a current sign.
_RESOLVED = _rx(r"\b(?:gone|went away|resolved|no longer|last (?:month|year)|every time)\b")
_FIRST_PERSON = _rx(r"\b(?:i|i'?m|i'?ve|i'?d|me|my|myself)\b")


@dataclass(frozen=True, slots=True)
class SafetyCheck:
    flags: tuple[RedFlag, ...]
    urgent_notice: str
    """Empty when no flag is raised."""


def check(text: str) -> SafetyCheck:
    """The red flags `text` describes, and the notice that must lead the answer."""
    if not _FIRST_PERSON.search(text):
        return SafetyCheck((), "")
    found: list[_Rule] = []
    for rule in _RULES:
        match = rule.pattern.search(text)
        if match is None:
            continue
        if rule.flag is RedFlag.FEVER and _RESOLVED.search(text):
            continue
        found.append(rule)
    if not found:
        return SafetyCheck((), "")
    warnings = " ".join(dict.fromkeys(rule.warning for rule in found))
    notice = f"URGENT: {warnings} Seek urgent medical care now (emergency services if severe)."
    return SafetyCheck(tuple(rule.flag for rule in found), notice)
