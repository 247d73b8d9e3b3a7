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
    ("reflex", "ankle jerk"),
    ("worse", "worsen", "exacerbated", "aggravated", "aggravate"),
)


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    compiled = []
    for group in SYNONYMS:
        alternatives = "|".join(re.escape(term) for term in sorted(group, key=len, reverse=True))
        compiled.append((re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), group))
    return tuple(compiled)


def expand(query: str) -> str:
    """The query followed by the synonyms of every lexicon term it mentions."""
    extra: list[str] = []
    for pattern, group in _patterns():
        found = {m.group(0).lower() for m in pattern.finditer(query)}
        if found:
            extra.extend(term for term in group if term not in found)
    return f"{query} {' '.join(extra)}" if extra else query
