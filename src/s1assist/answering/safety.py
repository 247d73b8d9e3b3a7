"""Red flags in the user's own words, by rule, independent of what retrieval finds.

A flag needs the person to be describing themselves (I, my, me) or a present complaint;
"Does S1 damage affect bladder control?" asks about knowledge and raises nothing, and so does
a question from someone who says the signs are not theirs ("no symptoms myself"). The rules
know everyday wording ("wet myself", "numb down there", "a temperature of 38.5"), and a
denial ("no fever", "my temperature is normal") or a past, resolved sign raises nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
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
    sign: str
    """What the person describes, as the notice names it."""
    meaning: str
    """Why it is urgent; flags that share a meaning share one clause of the notice."""
    topic: str
    """What to look up in the sources about this sign."""


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_CAUDA_EQUINA = (
    "can be a sign of cauda equina syndrome, a compression of the nerves at the base of the "
    "spine that needs emergency assessment"
)
_RELATIVES = (
    r"mum|mom|mother|dad|father|grand\w*|gran|granny|nan|nana|sister|brother|aunt|uncle|wife|husband|partner|"
    r"friend|son|daughter|family|cousin|neighbou?r|colleague|dog|cat|pet|puppy|kitten"
)
_CANT = r"(?:can'?t|cannot|can not|couldn'?t|unable to|not able to|haven'?t been able to)"
_RULES: tuple[_Rule, ...] = (
    _Rule(
        RedFlag.BLADDER_BOWEL,
        _rx(
            rf"(?:lost|losing|loss of|lose|no|{_CANT}|trouble)\b(?:(?! and )[^.?!,]){{0,30}}"
            r"\b(?:bladder|"
            r"bowels?|pee|urinat\w*|wee|poo|stools?|hold (?:it in|it|my (?:pee|wee|bladder|"
            r"bowels?|water)))|(?:wet|wetting|peed|peeing|"
            r"pooed|pooing|pooped|soiled|soiling|messed|messing) (?:myself|the bed)|"
            r"\bincontinen\w*|\bleak\w*\b[^.?!,]{0,15}\b(?:urine|pee|wee)\b|"
            rf"{_CANT} (?:feel|tell) (?:when|if) I (?:need|have) (?:to (?:pee|go|wee)|the (?:loo|"
            r"toilet|bathroom))|"
            # trouble passing urine, accidents and control in everyday words
            r"\b(?:difficulty|struggl\w*|hard to)\b[^.?!,]{0,20}\b(?:urinat\w*|pee\b|peeing|"
            r"wee\b(?! bit)|weeing|empty(?:ing)? (?:my )?bladder|pass(?:ing)? (?:urine|water))|"
            r"\b(?:bladder|bowel|toilet) accidents?\b|"
            r"\bi(?:'ve been|'m| am| keep| have been| have| had)? having accidents\b|"
            r"\b(?:can'?t|cannot|couldn'?t|don'?t|didn'?t|not|never|won'?t) (?:always )?make it "
            r"to the (?:toilet|loo|bathroom)\b|"
            r"\bhaven'?t (?:had a |been for a )?(?:wee|pee)\b(?! break)|"
            r"\b(?:bladder|pee|wee|urine)\b[^.?!]{0,30}\b(?:nothing (?:comes|came|will come) out|"
            rf"{_CANT} get (?:anything|it) out)\b|"
            r"\b(?:toilet|loo|bathroom)\b[^.?!]{0,50}\b(?:didn'?t|don'?t|can'?t|couldn'?t|not) "
            r"make it in time\b|"
            r"\bnothing (?:comes|came) out when I (?:try to )?(?:pee|wee|go)\b|"
            r"\bcan'?t empty (?:my )?bladder\b|"
            rf"{_CANT} control when I (?:go|need)\b[^.?!,]{{0,15}}\b(?:toilet|loo|bathroom|pee|"
            r"wee)\b"
        ),
        "new loss of bladder or bowel control",
        _CAUDA_EQUINA,
        "cauda equina syndrome bladder and bowel function",
    ),
    _Rule(
        RedFlag.SADDLE_NUMBNESS,
        _rx(
            r"(?:numb\w*|no feeling|no sensation|can'?t feel|cannot feel|(?:barely|hardly) feel|"
            r"pins and needles|"
            r"tingl\w*|lost (?:all )?(?:the )?(?:feeling|sensation))[^.?!]{0,40}\b(?:groin|saddle|"
            r"genital\w*|private\w*|inner thighs?|back passage|anus|between (?:my|the) legs|"
            r"perine\w*|bum|vagina\w*|penis|crotch|buttocks both|down (?:there|below))|"
            r"\b(?:groin|saddle|genital\w*|private parts?|privates|inner thighs?|back passage|bum|"
            r"inside of (?:my|the) thighs?|vagina\w*|penis|crotch|down (?:there|below))\b"
            r"[^.?!]{0,30}"
            r"\b(?:numb\w*|no feeling|tingl\w*|dead)|"
            rf"(?:{_CANT}|don'?t|do not|barely|hardly) feel\b[^.?!]{{0,30}}\b(?:when|as|while|if) "
            r"I wipe|(?:numb\w*|no feeling|no sensation)[^.?!]{0,20}\b(?:when|while|as) (?:I )?"
            rf"wip(?:e|ing)\b|{_CANT} feel (?:the )?toilet (?:paper|roll|tissue)"
        ),
        "numbness in the groin, genitals or saddle area",
        _CAUDA_EQUINA,
        "cauda equina syndrome numbness in the saddle area",
    ),
    _Rule(
        RedFlag.BILATERAL_WEAKNESS,
        _rx(
            r"\bboth (?:of )?(?:my )?legs?\b[^.?!]{0,40}\b(?:weak\w*|gave way|give way|"
            r"giving (?:way|out)|buckl\w*|collaps\w*|went weak|numb|(?:like )?jelly)|"
            r"\bmy legs (?:have|had) no strength\b|\bspread\w* to (?:my |the )?other leg\b|"
            r"\b(?:other|right|left) leg (?:is |has )?(?:now )?(?:going |gone |getting |become )?"
            r"(?:weak|numb)\w* (?:too|as well)\b|\b(?:weak\w*|numb\w*) in both (?:my )?legs|"
            r"\blegs both (?:went|are|feel|gave)\b|\blegs (?:are|feel|went) both (?:weak|numb)|"
            r"\bmy legs (?:just |suddenly |both )?(?:gave "
            r"way|gave out|give way|keep giving (?:way|out)|are giving (?:way|out)|buckled|"
            r"collapsed|went weak|are weak|feel weak)"
        ),
        "weakness in both legs",
        _CAUDA_EQUINA,
        "cauda equina syndrome weakness in both legs",
    ),
    _Rule(
        RedFlag.PROGRESSIVE_WEAKNESS,
        _rx(
            r"(?:weak\w*|foot drop|drop foot|"
            r"foot (?:is |keeps |has started |started )?(?:dropping|drops|slapping|slaps|"
            r"flopping|flops|dragging|drags)|toes? (?:keep )?drag\w*|"
            rf"{_CANT} (?:stand|walk|get up) on (?:my )?(?:tip ?toes?|toes|heels?)|"
            r"foot (?:has gone |is |feels |went )?floppy|floppy foot|trip\w* over my (?:foot|toes)|"
            rf"{_CANT} lift my (?:foot|toes)|giv(?:es|ing) way|gave way|"
            r"dropping foot|giving out|(?:foot|toes?) (?:keeps? )?catch\w*|"
            r"harder to (?:lift|raise|move) my (?:foot|toes|ankle))[^.?!]{0,60}\b(?:getting worse|"
            r"worse (?:every|each|by|than|now|today)|worsening|keeps? spreading|spreading|"
            r"(?:has |have )?spread (?:to|up|down|into)|"
            r"progress\w*|more and more|increasing)|"
            r"\b(?:foot|toes?) (?:is |are |keeps? )?"
            r"(?:flopping|dragging|slapping|dropping|catching)"
            r"(?: and (?:flopping|dragging|slapping|dropping|catching))? more (?:each|every) "
            r"(?:day|week)|"
            r"(?:get(?:s|ting)?|got|grow(?:s|ing)?|becom(?:es|ing)|more and more|increasingly|"
            r"progressively) weaker|weaker (?:and weaker|by the (?:day|hour|week)|day by day|"
            r"(?:every|each) (?:day|week|morning))|"
            r"(?:worsening|progressive|increasing) (?:weakness|foot drop)"
        ),
        "weakness or foot drop that is getting worse",
        "needs prompt medical assessment; progressive neurological deficits can call for "
        "urgent surgery",
        "rapidly progressive neurological deficits worsening foot drop muscle weakness",
    ),
    _Rule(
        RedFlag.FEVER,
        _rx(
            r"\b(?:i'?ve got|i have|i'?ve had|i'?ve been|i had|i'?m|with|running|got|getting|"
            r"having|feel|feeling)\b[^.?!]{0,20}\b(?:fever(?:s|ish)?\b|(?:high )?temperature|"
            r"temp\b|chills|night sweats|sweats|sweating at night|shiver\w*|rigors)|"
            r"\b(?:drenched|soaked|dripping) (?:in|with) sweat\b|\bi(?:'?m| am) burning up\b|"
            r"\bhot and cold (?:sweats|shivers|chills)\b|\bcold sweats\b|"
            r"\b(?:fever|temperature|temp)\b[^.?!]{0,15}\b(?:3[89]|4[01])(?:[.,]\d)?\b|\b(?:3[89]|4[01])(?:[.,]\d)?\s*(?:°\s*c?|degrees)|\b10[0-4](?:\.\d)?\s*"
            r"(?:°\s*f?|degrees f|f\b)|\bfeverish\b|\bhigh temperature\b"
        ),
        "fever with back pain",
        "can be a sign of a spinal infection and needs urgent medical assessment",
        "fever spinal infection",
    ),
    _Rule(
        RedFlag.CANCER_HISTORY,
        _rx(
            rf"\b(?:i|i'?ve|i'?m|my)\b(?:(?!\b(?:{_RELATIVES})\b)[^.?!]){{0,40}}\b(?:cancer|"
            r"tumou?r|malignan\w*|lymphoma|myeloma|melanoma|sarcoma|carcinoma|leuka?emia|"
            r"metasta\w*|chemo\w*|in remission)"
            # "cancer patients" of a nurse's work are no history
            r"(?! patients?| wards?| charity| research| nurse| unit| cent(?:re|er))"
        ),
        "new back pain with a history of cancer",
        "needs prompt medical assessment to rule out spread to the spine",
        "history of cancer spread to the spine",
    ),
    _Rule(
        RedFlag.MAJOR_TRAUMA,
        _rx(
            # "I fell asleep" or "fell ill" is no fall.
            r"\b(?:i|i'?ve)\s+(?:fell|fallen)"
            r"(?!\s+(?:asleep|ill|sick|pregnant|behind|for|in love))|"
            r"\b(?:i|i'?ve)\s+(?:was thrown|was hit|crashed|had a (?:bad )?fall)|"
            r"\bcame off (?:my|the|a) (?:bike|bicycle|motorbike|motorcycle|horse|scooter|"
            r"skateboard|ladder|roof|wall)\b|"
            r"\bslipped on (?:the |some |black )?(?:ice|stairs|steps|a wet floor|wet floor)\b|"
            r"\blanded (?:hard|heavily|badly) on\b|\brear-?ended\b|"
            r"\b(?:i was|we were) in an? (?:bad |serious |big )?(?:crash|accident|collision)\b|"
            r"\b(?:car|road|traffic|motorbike|motorcycle|bike|ski\w*) (?:crash|accident|"
            r"collision)|\b(?:and|then|i'?ve|had)\s+(?:just\s+)?(?:fell|fallen) (?:off|from|"
            r"down|over)\b|"
            r"\b(?:hit|knocked (?:down|over|off)) by an? "
            r"(?:car|van|bus|lorry|vehicle|truck|motorbike|motorcycle)|\b(?:a|the) (?:car|van|"
            r"bus|lorry|vehicle|truck|motorbike|motorcycle) (?:hit|struck|ran over|knocked)\b"
            r"[^.?!]{0,12}\bme\b|\ba (?:bad|big|hard|heavy) fall\b"
        ),
        "back pain after a major fall or accident",
        "needs urgent assessment for a fracture or nerve injury",
        "traumatic injury of the lumbosacral spine",
    ),
)
# Words that show a sign is in the past and resolved, not a current complaint.
_RESOLVED = _rx(
    # "not getting better", "hasn't resolved" are no recovery
    r"\b(?<!not )(?<!n't )(?<!never )(?:(?:has|have|had|is|it'?s|are) (?:completely |all )?gone"
    r"(?! numb| dead| weak| floppy| limp)|went away|resolved|no longer|last (?:month|year)|"
    r"every time|years ago|(?:is|was|are) normal|getting better|improving|improved|"
    r"(?:i'?m|i am|it'?s|feel(?:ing)?) (?:much |a lot |a bit )?better)\b"
)
# A sign long past ("since my car accident five years ago", "a fever as a child") is no
# present one; a history of cancer counts however long ago.
_LONG_AGO = _rx(
    r"\b(?:years|decades?) (?:ago|back|before)\b|\ba (?:year|decade) ago\b|\blast year\b|"
    r"\bas a (?:child|kid|teenager|teen|baby)\b|"
    r"\bwhen i was (?:young|little|small|\d+|an? (?:child|kid|boy|girl|teenager|baby))\b"
)
# Fear of a disease is no history of it ("I'm worried about cancer").
_FEARED = _rx(
    r"\b(?:worried|afraid|scared|concerned|anxious|nervous|frightened|wondering)\b"
    r"|\bfear\w*|\brul(?:e|ed|ing) out\b"
)
# Nor is asking whether a complaint is one ("could my sciatica be cancer?"); "could this be
# spread from my breast cancer?" still tells of one.
_ASKED_IF = _rx(r"\b(?:could|might|may) (?:it|this|that|my \w+) be (?:an? )?\w+$")
# Someone else's sign ("my friend's dad was hit by a car", "my sister has numbness in her
# groin") is not the person's.
_SOMEONE_ELSE = _rx(rf"\b(?:{_RELATIVES})(?:'s)?\b")
_SELF = _rx(
    r"\b(?:i|i'?m|i'?ve|me|myself|we|us|our)\b|\bmy (?:foot|feet|legs?|back|bladder|bowels?|"
    r"groin|bum|toes?|calf|calves|knees?|hips?|spine|body|genitals|private parts)\b"
)
# A loss that may come one day is no loss now ("I might lose bladder control one day");
# "I lose control of my bladder when I cough" is one.
_MAY_COME = _rx(r"(?:\b(?:might|could|would|will|may|can|going to|end up)|'ll)\s+(?:\w+\s+)?$")
# "No trouble peeing" tells of no sign.
_NO_TROUBLE = _rx(r"^no (?:trouble|problems?|issues?|difficulty|change)\b")
# "My weak ankle is not getting worse" tells of no worsening.
_NOT_WORSE = _rx(r"\b(?:not|isn'?t|hasn'?t been|never) (?:getting |got |gotten )?worse\b")
# A numb bum from a bike saddle is the saddle's doing.
_CYCLING = _rx(
    r"\b(?:after|from|during|while|when) (?:a |an |my |the )?(?:long |hard )?(?:cycling|cycle "
    r"ride|bike ride|ride|riding|spin class|(?:bike )?saddle)\b"
)
# A calendar year two or more years back is long past ("a minor car accident in 2015").
_YEAR = re.compile(r"\b(?:in|back in) ((?:19|20)\d\d)\b", re.IGNORECASE)
# A time of now between the long-past one and the sign ("I hurt my back years ago and now
# I've wet myself") tells of a present sign; "a bad fall as a child and now my SI joint
# hurts" does not.
_RECENT = _rx(
    r"\b(?:now|today|tonight|yesterday|this (?:morning|afternoon|evening|week)|last night|"
    r"recently|lately|suddenly|since (?:then|yesterday|last)|started|starting)\b"
)
# Both legs tired after exertion ("my legs feel weak after a long run") is no weakness of
# the nerves; legs that give way or go numb after it are.
_TIRED = _rx(r"\b(?:feel|feels|are|get|got)\s+(?:a bit |quite |really |so )?(?:weak|tired)\b")
_EXERTION = _rx(
    r"\bafter (?:a |the |my )?(?:long |hard |big |busy )?(?:run|running|walk|hike|workout|"
    r"gym|exercise|session|training|game|match|ride|day at work)\b"
)
# A denial just before the sign ("no numbness in my groin", "I've never had cancer") or a
# reassurance just after it ("my bladder's fine").
_DENIED_BEFORE = _rx(
    r"\b(?:no|not|never|without|don'?t (?:have|get)|didn'?t (?:have|get)|do not (?:have|get)|"
    r"doesn'?t|haven'?t (?:got|had)|nor)\b(?:\W+\w+){0,3}\W*$"
)
_DENIAL = _rx(r"\b(?:no|not|never|without|n'?t)\b|n't\b")
# Rules that start from the person ("I have ...", "my ...") rather than from the sign.
_SAID_FROM_SELF = frozenset({RedFlag.FEVER, RedFlag.CANCER_HISTORY, RedFlag.MAJOR_TRAUMA})
_FINE_AFTER = _rx(
    r"^\W*(?:'s|is|are|feels?|seems?|has been)?\s*(?:fine|normal|ok|okay|good|unchanged)\b"
)
_BREAK = re.compile(r"[?!;,]|\.(?!\d)")
# The person says the signs are not theirs: a student's or a clinician's question.
_NOT_MINE = _rx(
    r"\b(?:no|without|don'?t have any|do not have any|haven'?t (?:got|had) any) symptoms"
    r"(?: (?:myself|of my own))?\b|\b(?:asking|wondering) for (?:a|my) (?:patient|client|"
    r"exam|essay|class|course)\b"
)
_FIRST_PERSON = _rx(r"\b(?:i|i'?m|i'?ve|i'?d|me|my|myself)\b")
# Signs whose rule is read in the clause that matched: a denial there cancels it.
_DENIABLE = frozenset({RedFlag.FEVER, RedFlag.PROGRESSIVE_WEAKNESS, RedFlag.SADDLE_NUMBNESS})


@dataclass(frozen=True, slots=True)
class SafetyCheck:
    flags: tuple[RedFlag, ...]
    urgent_notice: str
    """Empty when no flag is raised."""
    topics: tuple[str, ...] = ()
    """What to look up in the sources about the signs, one per distinct meaning."""
    spans: tuple[tuple[int, int], ...] = ()
    """Where in the text the signs are described: (start, end) of each raising match."""


def check(text: str) -> SafetyCheck:
    """The red flags `text` describes, and the notice that must lead the answer."""
    if not _FIRST_PERSON.search(text) or _NOT_MINE.search(text):
        return SafetyCheck((), "")
    raised = [(rule, found) for rule in _RULES if (found := _raising(rule, text))]
    if not raised:
        return SafetyCheck((), "")
    rules_found = [rule for rule, _ in raised]
    # One clause per meaning: bladder loss and saddle numbness share cauda equina's.
    meanings: dict[str, list[_Rule]] = {}
    for rule in rules_found:
        meanings.setdefault(rule.meaning, []).append(rule)
    clauses = [
        f"{_joined([r.sign for r in rules])} {meaning}." for meaning, rules in meanings.items()
    ]
    warnings = " ".join(clause[0].upper() + clause[1:] for clause in clauses)
    notice = f"URGENT: {warnings} Seek urgent medical care now (emergency services if severe)."
    topics = tuple(rules[0].topic for rules in meanings.values())
    spans = tuple(sorted({span for _, rule_spans in raised for span in rule_spans}))
    return SafetyCheck(tuple(rule.flag for rule in rules_found), notice, topics, spans)


def without_signs(text: str, safety: SafetyCheck) -> str:
    """`text` without the words that describe its warning signs, which the urgent notice
    answers: what else the person asks ("Will an injection help?") is read with the rest of
    the story. The text unchanged when nothing else is left."""
    kept, last = [], 0
    for start, end in safety.spans:
        kept.append(text[last:start])
        last = max(last, end)
    kept.append(text[last:])
    rest = re.sub(r"\s+([.,;?!])", r"\1", " ".join(part.strip(" ,;") for part in kept))
    rest = re.sub(r"^[\s.,;!?]+|\s+", " ", rest).strip()
    return rest if re.search(r"[A-Za-z]{3}", rest) else text


def _raising(rule: _Rule, text: str) -> list[tuple[int, int]]:
    """The spans of the rule's matches that are neither denied nor, for a deniable sign,
    past; the rule raises its flag when there is one."""
    spans = []
    for match in rule.pattern.finditer(text):
        left, right = _clause_bounds(text, match.start(), match.end())
        if _DENIED_BEFORE.search(text[left : match.start()]) or _FINE_AFTER.match(
            text[match.end() : right]
        ):
            continue
        if rule.flag in _SAID_FROM_SELF and _DENIAL.search(match.group()):
            continue  # "I've never had cancer", "I'm not feverish"
        if rule.flag in _DENIABLE and _RESOLVED.search(text[left:right]):
            continue
        if rule.flag is RedFlag.FEVER and _RESOLVED.search(text):
            continue
        if rule.flag is not RedFlag.CANCER_HISTORY and _long_past(text, left, right, match):
            continue
        if _NO_TROUBLE.search(match.group()):
            continue
        if rule.flag is RedFlag.PROGRESSIVE_WEAKNESS and _NOT_WORSE.search(match.group()):
            continue
        if rule.flag is RedFlag.SADDLE_NUMBNESS and _CYCLING.search(text[left:right]):
            continue
        if rule.flag is RedFlag.CANCER_HISTORY and (
            _FEARED.search(text[left : match.end()]) or _ASKED_IF.search(text[left : match.end()])
        ):
            continue
        if match.group().lower().startswith(("lose", "incontinen")) and _MAY_COME.search(
            text[left : match.start()]
        ):
            continue
        if (
            rule.flag is RedFlag.BILATERAL_WEAKNESS
            and _TIRED.search(match.group())
            and _EXERTION.search(text[left:right])
        ):
            continue
        told = text[left : match.end()]
        if _SOMEONE_ELSE.search(told) and not _SELF.search(told):
            continue  # "my sister has numbness in her groin", "my son has a temperature of 39"
        spans.append(match.span())
    return spans


def _long_past(text: str, left: int, right: int, match: re.Match[str]) -> bool:
    """Whether the clause dates the sign long ago ("five years ago", "as a child", "in
    2015"), with no time of now between that and the sign."""
    clause = text[left:right]
    past = _LONG_AGO.search(clause) or _YEAR.search(clause)
    if past is None or (past.re is _YEAR and date.today().year - int(past.group(1)) < 2):
        return False
    return not _RECENT.search(text, left + past.end(), match.start())


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around a match: from the previous to the next sentence or clause break (a
    decimal point, as in "38.5", breaks nothing)."""
    breaks = [m.start() for m in _BREAK.finditer(text)]
    left = max((i for i in breaks if i < start), default=-1) + 1
    right = min((i for i in breaks if i >= end), default=len(text))
    return left, right


def _joined(signs: list[str]) -> str:
    if len(signs) == 1:
        return signs[0]
    return f"{', '.join(signs[:-1])} or {signs[-1]}"
