"""The verifier: split the model's text into sentences and keep only what the evidence supports.

A sentence is kept when it carries at least one valid citation number and each citation it
keeps supports it on its own, by the project's support rule (`s1assist.support`:
containment, or content-word overlap plus embedding similarity), and the kept evidence,
taken together, holds every number, unit and name of the sentence with no negation
flipped (`checks.py`). Numbers outside [1]..[n] are removed; a citation that does not
support its sentence is removed; a sentence left with no citation is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from s1assist.sentences import sentence_spans
from s1assist.support import Encode, Verdict, supports
from s1assist.writing.checks import mismatches
from s1assist.writing.prompt import EvidenceItem

_MARKERS = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")
_NOISE = re.compile(r"\*\*|__|^#+\s*|^\s*(?:[-*•]|\d{1,2}[.)])\s+", re.MULTILINE)
_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?])")


@dataclass(frozen=True, slots=True)
class Drafted:
    """A sentence as the model wrote it: its text without markers, and the numbers it cited."""

    text: str
    cited: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Checked:
    """A drafted sentence, the evidence numbers that support it, and why others failed."""

    drafted: Drafted
    kept: tuple[int, ...]
    support: float
    """Best support of a kept citation: 1.0 when a quote contains the sentence, else the
    embedding cosine; 0 when nothing was kept."""
    reasons: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return bool(self.kept)


def split_draft(text: str) -> list[Drafted]:
    """The model's sentences with their citation numbers; markers written right after a
    sentence's full stop ("... sciatica. [1]") belong to that sentence."""
    plain = _NOISE.sub("", text)
    drafted: list[Drafted] = []
    for start, end in sentence_spans(plain):
        piece = plain[start:end]
        leading = _LEADING_MARKERS.match(piece)
        if leading and drafted and not drafted[-1].cited:
            drafted[-1] = Drafted(drafted[-1].text, _numbers(leading.group()))
            piece = piece[leading.end() :]
        cited = _numbers(piece)
        words = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _SPACE.sub(" ", _MARKERS.sub(" ", piece)))
        words = words.strip().strip('"“”').strip()
        if words.endswith(":") and len(words.split()) <= 3:
            continue  # a label the model wrote ("Evidence:", "Answer:"), not a statement
        if not any(ch.isalnum() for ch in words):
            if cited and drafted and not drafted[-1].cited:
                drafted[-1] = Drafted(drafted[-1].text, cited)
            continue
        if words[-1] not in ".!?":
            words += "."
        drafted.append(Drafted(words, cited))
    return drafted


def _numbers(text: str) -> tuple[int, ...]:
    found = [int(n) for group in _MARKERS.findall(text) for n in re.split(r"[,;]", group)]
    return tuple(dict.fromkeys(found))


def check(drafted: Drafted, evidence: Mapping[int, EvidenceItem], encode: Encode) -> Checked:
    """Which of the sentence's citations support it, by the rule in the module docstring."""
    reasons: list[str] = []
    invalid = [n for n in drafted.cited if n not in evidence]
    if invalid:
        reasons.append(f"citation numbers {invalid} are not evidence [1]..[{len(evidence)}]")
    supporting: list[tuple[int, float]] = []
    for n in (n for n in drafted.cited if n in evidence):
        found = supports(drafted.text, evidence[n].text, encode)
        if found.supported:
            score = 1.0 if found.verdict is Verdict.CONTAINED else float(found.cosine or 0.0)
            supporting.append((n, score))
        else:
            reasons.append(f"[{n}] does not support it (overlap {found.overlap:.2f})")
    if not drafted.cited:
        reasons.append("no citation")
    if supporting:
        problems = mismatches(drafted.text, [evidence[n].text for n, _ in supporting])
        if problems:
            reasons += [problem.describe() for problem in problems]
            supporting = []
    kept = tuple(n for n, _ in supporting)
    support = round(max((score for _, score in supporting), default=0.0), 4)
    return Checked(drafted, kept, support, tuple(reasons))


def verify(text: str, evidence: Sequence[EvidenceItem], encode: Encode) -> list[Checked]:
    """Every sentence of `text`, checked."""
    by_number = {item.number: item for item in evidence}
    return [check(drafted, by_number, encode) for drafted in split_draft(text)]


def verify_stream(
    pieces: Iterable[str], evidence: Sequence[EvidenceItem], encode: Encode
) -> Iterator[Checked]:
    """Each sentence checked as soon as the text after it has begun (so its trailing
    markers are in), the last one when the text ends."""
    by_number = {item.number: item for item in evidence}
    text = ""
    done = 0
    for piece in pieces:
        text += piece
        drafted = split_draft(text)
        # A sentence is complete once a later one has a word: before that, what follows it
        # may still be its own markers ("... nerve. [1" is waiting for "]").
        started = bool(drafted) and any(ch.isalpha() for ch in drafted[-1].text)
        complete = len(drafted) - 1 if started else len(drafted) - 2
        for sentence in drafted[done:complete]:
            yield check(sentence, by_number, encode)
        done = max(done, complete)
    for sentence in split_draft(text)[done:]:
        yield check(sentence, by_number, encode)
