"""Records passed between the pipeline stages: documents -> chunks -> hits -> answers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum


class SourceKind(StrEnum):
    """How authoritative a source is; the order of the members is the order of preference."""

    GUIDELINE = "guideline summary"
    RESEARCH = "research summary"
    HEALTH_ARTICLE = "health article"
    WEB_PAGE = "general web page"

    @property
    def rank(self) -> int:
        """0 for the most authoritative kind."""
        return list(SourceKind).index(self)


class Writer(StrEnum):
    """Who phrased an answer: the extractive composer, or a language model whose every
    sentence the verifier checked against the passages it cites."""

    EXTRACTIVE = "extractive"
    LLM = "llm"


class EvidenceBlock(StrEnum):
    """The block of a page a passage sits in ("From the Guidelines", "From the Research")."""

    GUIDELINES = "guidelines"
    RESEARCH = "research"
    NONE = "none"


def content_id(*parts: str) -> str:
    """A short stable id: the same text always gets the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]


@dataclass(frozen=True, slots=True)
class Section:
    """A titled span of a cleaned document; `start`/`end` cover the body, not the heading."""

    heading: str
    start: int
    end: int
    block: EvidenceBlock = EvidenceBlock.NONE


@dataclass(frozen=True, slots=True)
class Document:
    """A cleaned source document; chunk offsets index into `text`."""

    doc_id: str
    title: str
    kind: SourceKind
    text: str
    sections: tuple[Section, ...]
    path: str = ""
    date: str | None = None
    url: str | None = None
    references: tuple[str, ...] = ()
    content_hash: str = ""
    pages: tuple[int, ...] = ()
    """Where each page starts in `text` (a PDF): pages[0] == 0; empty when not paginated."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage: `document.text[start:end] == text` always holds."""

    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    start: int
    end: int
    kind: SourceKind = SourceKind.WEB_PAGE
    block: EvidenceBlock = EvidenceBlock.NONE

    @property
    def search_text(self) -> str:
        """What is embedded and BM25-indexed: the heading gives a passage its topic."""
        return f"{self.section}\n{self.text}"


@dataclass(frozen=True, slots=True)
class Hit:
    """One retrieved passage with its scores; rank is 1-based."""

    chunk: Chunk
    rank: int
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    """A numbered pointer to an exact span of a cleaned document."""

    n: int
    doc_id: str
    title: str
    section: str
    quote: str
    start: int
    end: int
    score: float
    kind: SourceKind = SourceKind.WEB_PAGE
    url: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    """One sentence of an answer, the citations that support it and how strongly."""

    text: str
    citations: tuple[int, ...]
    support: float


class BlockKind(StrEnum):
    """A part of an answer's layout: the lead, a list of key points, a tier of evidence, or
    what the sources say about a warning sign the person described."""

    WARNING = "warning"
    LEAD = "lead"
    POINTS = "key_points"
    GUIDELINES = "guidelines"
    RESEARCH = "research"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class AnswerBlock:
    """A titled group of an answer's sentences (indexes into `Answer.sentences`)."""

    kind: BlockKind
    heading: str
    sentences: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    """What the assistant says to one question."""

    question: str
    rewritten_query: str
    answer: str
    abstained: bool
    confidence: float
    notice: str
    red_flags: tuple[str, ...] = ()
    sentences: tuple[AnswerSentence, ...] = ()
    citations: tuple[Citation, ...] = ()
    session_id: str = ""
    blocks: tuple[AnswerBlock, ...] = ()
    """The layout: lead, key points, evidence tiers; empty for an abstention."""
    disagreement: tuple[int, ...] = ()
    """Citation numbers of sources that disagree on the asked point (a better source first)."""
    writer: Writer = Writer.EXTRACTIVE
    dropped: int = 0
    """Sentences of the model's text that the verifier refused (0 for an extractive answer)."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One question and what the assistant answered, as kept in a session."""

    n: int
    question: str
    rewritten_query: str
    answer: str
    abstained: bool
    red_flags: tuple[str, ...]
    created_at: str
