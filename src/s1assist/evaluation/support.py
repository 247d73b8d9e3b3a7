"""The support rule, kept under its evaluation name: it lives in `s1assist.support`, low in
the stage order, so the writer's verifier (before chat) and the grounding metrics (after it)
apply the one same rule."""

from s1assist.support import (
    MIN_COSINE,
    MIN_OVERLAP,
    Encode,
    Support,
    Verdict,
    normalize,
    supports,
    term_overlap,
)

__all__ = [
    "MIN_COSINE",
    "MIN_OVERLAP",
    "Encode",
    "Support",
    "Verdict",
    "normalize",
    "supports",
    "term_overlap",
]
