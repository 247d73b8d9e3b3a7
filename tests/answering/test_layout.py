"""Layout: when a general web page and a better source are shown as disagreeing."""

from __future__ import annotations

import numpy as np

from s1assist.answering.evidence import Candidate
from s1assist.answering.layout import denies, disagreement
from s1assist.types import Chunk, SourceKind


def _candidate(text: str, kind: SourceKind) -> Candidate:
    chunk = Chunk(f"{kind.name}-0", kind.name.lower(), "t", "Overview", text, 0, len(text), kind)
    return Candidate(chunk, 0, len(text), text, 0, 1, 0.5)


def test_a_web_page_that_denies_the_better_sources_claim_disagrees() -> None:
    pool = [
        _candidate("Epidural injections can relieve sciatica.", SourceKind.RESEARCH),
        _candidate("Epidural injections cannot relieve sciatica.", SourceKind.WEB_PAGE),
    ]
    same = np.ones((2, 2), dtype=np.float32) / np.sqrt(2)
    assert disagreement(pool, [0, 1], same, 0.6) == (0, 1)
    # On different points (dissimilar sentences) nothing is set against anything.
    apart = np.eye(2, dtype=np.float32)
    assert disagreement(pool, [0, 1], apart, 0.6) is None


def test_a_claim_limited_after_a_turn_is_not_a_denial() -> None:
    assert denies("No, the S1 nerve is not the same as sciatica.")
    assert denies("An SI joint injection is not likely to provide permanent relief.")
    assert not denies(
        "Overall, injections may help reduce the pain associated with sciatica, but are "
        "unlikely to provide complete, permanent relief."
    )
    assert not denies("Sciatica is actually a set of symptoms, not a nerve.")
    assert not denies("Physical therapy is not only safe but also effective.")
    pool = [
        _candidate(
            "Epidural injection can be an effective treatment for sciatica.", SourceKind.RESEARCH
        ),
        _candidate(
            "Injections may help reduce the pain of sciatica, but are unlikely to cure it.",
            SourceKind.WEB_PAGE,
        ),
    ]
    same = np.ones((2, 2), dtype=np.float32) / np.sqrt(2)
    assert disagreement(pool, [0, 1], same, 0.6) is None
