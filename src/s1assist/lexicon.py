"""A small domain lexicon: ways people name the same thing, for expanding the BM25 query."""

from __future__ import annotations

import re
from functools import lru_cache

# Each group names one thing; a query that says one of them also searches for the others.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("s1", "first sacral"),
    ("si joint", "sacroiliac joint", "sacroiliac"),
    ("l5-s1", "l5/s1", "lumbosacral"),
    ("sciatica", "sciatic", "radicular leg pain"),
    ("radiculopathy", "radicular", "pinched nerve"),
    ("impingement", "impinged", "compression", "compressed", "pinched"),
    ("herniated disc", "slipped disc", "disc herniation", "bulging disc", "herniation"),
    ("nsaids", "anti-inflammatory", "ibuprofen", "diclofenac"),
    ("epidural steroid injection", "esi", "injection"),
    ("mri", "magnetic resonance imaging", "imaging", "scan"),
    ("emg", "electrodiagnostic", "nerve conduction"),
    ("foot drop", "weakness lifting the foot"),
    ("plantar flexion", "pointing the foot", "tiptoes"),
    ("heal", "healing", "recovery", "recover", "regeneration"),
    ("calf", "gastrocnemius", "soleus"),
    ("numbness", "tingling", "pins and needles"),
    ("physiotherapy", "physical therapy"),
    ("chiropractic", "chiropractor", "chiropractors"),
    ("reflex", "ankle jerk"),
    ("worse", "worsen", "exacerbated", "aggravated", "aggravate"),
)
# Everyday words and the corpus's terms for the same thing: a question in lay words is also
# read (embedded and matched) in the corpus's words. Left side: a pattern of the lay wording,
# matched as whole words ("bum" is not the start of "bumpy").
LAY_TERMS: tuple[tuple[str, str], ...] = (
    (r"tip ?toe?s?|on(?:to)? (?:my|your|the) toes|toe raises?", "plantar flexion"),
    (r"los(?:e|ing) (?:a few |some )?(?:pounds|weight|kilos)|weight loss", "healthy weight"),
    (r"pins and needles|tingly|prickl\w*", "tingling"),
    (r"slipped disc|bulging disc|disc (?:has )?slipped|ruptured disc", "herniated disc"),
    (r"numb\b", "numbness"),
    (r"flar(?:e|es|ed|ing)(?: up)?|play(?:s|ing)? up", "worse"),
    (r"bum|butt\b|backside", "buttocks"),
    (r"ankle jerk|reflex(?:es)? (?:is |are )?(?:gone|missing|absent)", "absent ankle reflex"),
    (r"back of (?:my|the) (?:legs?|thighs?)", "posterior thigh"),
    (r"outside of (?:my|the) foot|outer (?:edge of (?:my|the) )?foot|little toes?", "lateral foot"),
    (r"shooting pain|pain (?:going |running |shooting )?down (?:my|the) leg", "radiating pain"),
    (r"pinched nerve|trapped nerve", "nerve root compression"),
    (r"physio\b", "physical therapy"),
    (r"rehab", "rehabilitation"),
    (r"at home|by myself|on my own|self[- ]care|home remed\w*", "lifestyle changes"),
    (r"painkillers?|pills?|tablets?", "medications"),
    (r"jabs?|shots?", "injection"),
    (r"get better|go away|heal up", "recovery"),
    (r"limp(?:ing)?|walk funny", "antalgic gait"),
    (r"wobbly|unsteady|lose my balance", "difficulty balancing"),
    (r"sore|aching|aches?", "pain"),
    (r"heel (?:is |feels )?numb|numb heel", "numbness in the heel"),
    (r"calf muscles?", "gastrocnemius"),
    (r"bend(?:s|ing)? (?:my |the |your )?knees?", "knee flexion"),
    (r"(?:straighten|extend)(?:s|ing)? (?:my |the |your )?hips?", "hip extension"),
    (r"point(?:s|ing)? (?:my |the |your )?(?:foot|toes)", "plantar flexion"),
)


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    compiled = []
    for group in SYNONYMS:
        alternatives = "|".join(re.escape(term) for term in sorted(group, key=len, reverse=True))
        compiled.append((re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), group))
    return tuple(compiled)


@lru_cache(maxsize=1)
def _lay_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple(
        (re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE), term)
        for pattern, term in LAY_TERMS
    )


def corpus_terms(text: str) -> tuple[str, ...]:
    """The corpus's terms for the everyday words of `text` ("tiptoes" -> "plantar flexion")."""
    lowered = text.lower()
    return tuple(
        dict.fromkeys(
            term
            for pattern, term in _lay_patterns()
            if pattern.search(text) and term not in lowered
        )
    )


def in_corpus_words(text: str) -> str:
    """`text` with each everyday wording replaced by the corpus's term for it ("my sciatica
    is flaring" -> "my sciatica is worse"): what names the subject, in the words the
    sources would use."""
    for pattern, term in _lay_patterns():
        text = pattern.sub(term, text)
    return text


def expand(query: str) -> str:
    """The query followed by the synonyms of every lexicon term it mentions."""
    extra: list[str] = []
    for pattern, group in _patterns():
        found = {m.group(0).lower() for m in pattern.finditer(query)}
        if found:
            extra.extend(term for term in group if term not in found)
    return f"{query} {' '.join(extra)}" if extra else query


# A spinal level: a root or vertebra ("S1", "L5"), alone or in a segment ("L5-S1").
_LEVEL = re.compile(r"(?<![a-z0-9])([ctls])([1-9]|1[0-2])(?![0-9])", re.IGNORECASE)
# The SI joint, by name or as a bare "SI" ("... caused by SI?"); "si" in lower case is not it.
_SACROILIAC = re.compile(r"\b(?:(?i:sacroiliac)|SI)\b")


@lru_cache(maxsize=65_536)
def sites(text: str) -> frozenset[str]:
    """The spinal levels and the SI joint that `text` names, by their own names or the
    lexicon's ("first sacral" is S1): {"l5", "s1"} for "the L5-S1 disc", {"si"} for "SI
    joint pain". A heading on another site ("How long does it take for L5-S1 to heal?",
    "Where is SI joint pain typically felt?") answers a question on S1 only in general."""
    expanded = expand(text)
    found = {f"{m[1]}{m[2]}".lower() for m in _LEVEL.finditer(expanded)}
    if _SACROILIAC.search(expanded):
        found.add("si")
    return frozenset(found)
