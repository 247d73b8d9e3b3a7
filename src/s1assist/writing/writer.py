"""The writer step: the extractive answer -> the model's phrasing of it, verified sentence by
sentence, or the extractive answer itself when the model cannot give one.

Abstention, red flags and the urgent notice are decided before this step and never
written by the model: an abstention, a greeting and an answer with no sentences are
returned as they came, without calling the model. When the model fails, times out, is
unreachable, or writes nothing the verifier keeps, the extractive answer is returned.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from s1assist.config import Settings
from s1assist.support import Encode
from s1assist.types import Answer, AnswerSentence, Citation, Writer
from s1assist.writing.client import LlmUnavailable, complete_stream
from s1assist.writing.prompt import EvidenceItem, KindOf, build_messages, evidence_of
from s1assist.writing.verify import Checked, verify_stream

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Draft:
    """What the model wrote for one answer, each sentence checked; `error` when it failed."""

    evidence: tuple[EvidenceItem, ...]
    text: str
    checked: tuple[Checked, ...]
    error: str = ""


def wants_writer(answer: Answer, settings: Settings) -> bool:
    """True when the LLM writer is on and the answer has evidence for it to phrase."""
    return (
        settings.answer.writer is Writer.LLM
        and not answer.abstained
        and bool(answer.sentences)
        and bool(answer.citations)
    )


def write(
    answer: Answer,
    question: str,
    history: Sequence[str],
    settings: Settings,
    encode: Encode,
    kind_of: KindOf | None = None,
) -> Answer:
    """The verified LLM answer, or `answer` unchanged (see the module docstring)."""
    if not wants_writer(answer, settings):
        return answer
    return assemble(answer, draft(answer, question, history, settings, encode, kind_of))


def draft(
    answer: Answer,
    question: str,
    history: Sequence[str],
    settings: Settings,
    encode: Encode,
    kind_of: KindOf | None = None,
) -> Draft:
    """Ask the model and check each sentence as it arrives."""
    checked: list[Checked] = []
    text: list[str] = []
    evidence = evidence_of(answer, kind_of)
    try:
        for item in stream_checked(question, history, evidence, settings, encode, text):
            checked.append(item)
    except LlmUnavailable as exc:
        log.warning("llm writer: %s; giving the extractive answer", exc)
        return Draft(evidence, "".join(text), tuple(checked), str(exc))
    return Draft(evidence, "".join(text), tuple(checked))


def stream_checked(
    question: str,
    history: Sequence[str],
    evidence: Sequence[EvidenceItem],
    settings: Settings,
    encode: Encode,
    sink: list[str] | None = None,
) -> Iterator[Checked]:
    """Checked sentences as the model writes them; raises LlmUnavailable."""
    pieces = complete_stream(build_messages(question, history, evidence), settings.llm)
    yield from verify_stream(first_block(pieces, sink), evidence, encode)


def first_block(pieces: Iterable[str], sink: list[str] | None = None) -> Iterator[str]:
    """The text up to its first blank line after some words, then nothing more: the
    answer is one block, and a small model that goes on past it echoes the prompt. (Not a
    server-side stop sequence: a model that opens with a blank line would stop at once.)"""
    text = ""
    for piece in pieces:
        text += piece
        cut = _block_end(text)
        if cut is not None:
            piece = piece[: len(piece) - (len(text) - cut)]
        if sink is not None:
            sink.append(piece)
        yield piece
        if cut is not None:
            return


def _block_end(text: str) -> int | None:
    start = len(text) - len(text.lstrip())
    end = text.find("\n\n", start)
    return None if end == -1 else end


def assemble(answer: Answer, drafted: Draft) -> Answer:
    """The answer made of the kept sentences, citations renumbered 1..N in order of first
    use; `answer` itself when the model failed or nothing was kept."""
    kept = [c for c in drafted.checked if c.ok]
    if drafted.error or not kept:
        return answer
    rows = [(c.drafted.text, c.kept, c.support) for c in kept]
    return _rebuilt(answer, drafted.evidence, rows, len(drafted.checked) - len(kept))


def unverified(answer: Answer, drafted: Draft) -> Answer:
    """Every sentence the model wrote, with its valid citation numbers mapped, before the
    verifier removed anything: what the evaluation scores as "before verification"."""
    rows = [(c.drafted.text, c.drafted.cited, c.support) for c in drafted.checked]
    return _rebuilt(answer, drafted.evidence, rows, 0)


def _rebuilt(
    answer: Answer,
    evidence: Sequence[EvidenceItem],
    rows: Sequence[tuple[str, Sequence[int], float]],
    dropped: int,
) -> Answer:
    """`answer` with these sentences (text, evidence numbers, support) in place of its own."""
    by_number = {item.number: item for item in evidence}
    by_n = {c.n: c for c in answer.citations}
    renumbered: dict[int, int] = {}
    sentences: list[AnswerSentence] = []
    for text, numbers, support in rows:
        old = dict.fromkeys(by_number[k].citation for k in numbers if k in by_number)
        new = tuple(renumbered.setdefault(n, len(renumbered) + 1) for n in old)
        sentences.append(AnswerSentence(text, new, support))
    citations = tuple(replace(by_n[old], n=new) for old, new in renumbered.items())
    return replace(
        answer,
        answer=" ".join(with_markers(s) for s in sentences),
        sentences=tuple(sentences),
        citations=_in_order(citations),
        writer=Writer.LLM,
        dropped=dropped,
    )


def _in_order(citations: Iterable[Citation]) -> tuple[Citation, ...]:
    return tuple(sorted(citations, key=lambda c: c.n))


def with_markers(sentence: AnswerSentence) -> str:
    """ "Text [1][2]." from a sentence and its citations."""
    marker = "".join(f"[{n}]" for n in sentence.citations)
    text = sentence.text
    if not marker:
        return text
    if text[-1] in ".!?":
        return f"{text[:-1]} {marker}{text[-1]}"
    return f"{text} {marker}"
