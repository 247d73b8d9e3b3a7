"""Request and response bodies of the HTTP API; they document themselves in /openapi.json."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
)

from s1assist.config import RetrievalMode
from s1assist.types import EvidenceBlock, SourceKind, Writer

# At least one character that str.strip() keeps: the class lists Python's whitespace and
# ECMAScript's, so the schema, pydantic and the assistant agree on what a blank question is.
NOT_BLANK = r"[^\t-\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"


def _encodable(text: str) -> str:
    # JSON may carry lone surrogates ("\ud800"); neither SQLite nor the tokenizer accepts them.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the text is not valid Unicode (it holds a lone surrogate)") from None
    return text


Text = Annotated[str, Field(min_length=1, pattern=NOT_BLANK), AfterValidator(_encodable)]
"""A question or query: not blank; its upper length is set per app from the settings."""


def _integral(value: object) -> object:
    # JSON Schema counts 46.0 as an integer; pydantic's strict int would refuse it.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


PassageCount = Annotated[StrictInt, Field(ge=1, le=100), BeforeValidator(_integral)]
"""An integer as JSON Schema has it (not a string, not a boolean, not 4.5), 1 to 100."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AskRequest(_Request):
    question: Text = Field(description="The question, in plain words.")
    session_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Continue this session; omit it (or give an unknown id) to start one.",
    )


class SentenceOut(BaseModel):
    text: str
    citations: list[int] = Field(description="Numbers of the citations that support it.")
    support: float


class CitationOut(BaseModel):
    n: int = Field(description="The number the [n] markers of the answer use.")
    doc_id: str
    title: str
    section: str
    quote: str = Field(description="Exactly `text[start:end]` of the document.")
    start: int
    end: int
    score: float
    kind: str = Field(
        "",
        description="The source's kind: guideline summary, research summary, health "
        "article or general web page.",
    )
    url: str | None = Field(None, description="The original page, when the corpus knows it.")
    page: int | None = Field(None, description="The page of a PDF the quote starts on.")


class BlockOut(BaseModel):
    kind: str = Field(
        description="warning, lead, key_points, guidelines, research or other: the answer's "
        "layout, a lead first, then key points, then evidence by tier."
    )
    heading: str = Field(description="Shown above the block; empty for the lead.")
    sentences: list[int] = Field(description="Indexes into `sentences`, in reading order.")


class AskResponse(BaseModel):
    """The answer object of `s1assist ask --json`, plus `note` when the session was unknown."""

    session_id: str
    question: str
    rewritten_query: str = Field(description="What was searched (follow-ups carry context).")
    answer: str = Field(description="The answer with [n] citation markers.")
    abstained: bool = Field(description="True when the sources do not cover the question.")
    confidence: float
    red_flags: list[str] = Field(description="Urgent warning signs the question describes.")
    notice: str
    writer: Writer = Field(
        Writer.EXTRACTIVE,
        description="Who phrased the answer: 'extractive' (quoted sources) or 'llm' (a model, "
        "every sentence verified against what it cites).",
    )
    dropped: int = Field(0, description="Sentences of the model's text the verifier refused.")
    sentences: list[SentenceOut]
    citations: list[CitationOut]
    blocks: list[BlockOut] = Field(
        default_factory=list, description="The layout; empty for an abstention."
    )
    disagreement: list[int] = Field(
        default_factory=list,
        description="Numbers of citations that disagree on the asked point, a better source first.",
    )
    note: str | None = Field(
        None,
        description="Present only when the given session_id was not found and a new session "
        "was started; the answer is then the first turn of that new session.",
    )


class SearchRequest(_Request):
    query: Text = Field(description="What to look for.")
    k: PassageCount | None = Field(None, description="How many passages (default 5).")
    mode: RetrievalMode | None = Field(None, description="Which retrievers (default hybrid).")


class SearchHit(BaseModel):
    """One passage, as `s1assist search --json` prints it."""

    rank: int
    doc_id: str
    title: str
    section: str
    text: str
    start: int
    end: int
    score: float
    dense_score: float | None
    lexical_score: float | None


class SearchResponse(BaseModel):
    query: str
    hits: list[SearchHit]


class TurnOut(BaseModel):
    n: int
    question: str
    rewritten_query: str
    answer: str
    abstained: bool
    red_flags: list[str]
    created_at: str


class SessionOut(BaseModel):
    session_id: str
    turns: list[TurnOut]


class SectionOut(BaseModel):
    heading: str
    start: int = Field(description="Offset of the section body in `text`.")
    end: int
    block: EvidenceBlock


class DocumentOut(BaseModel):
    """A cleaned source document; citation offsets index into `text`."""

    doc_id: str
    title: str
    kind: SourceKind
    date: str | None
    url: str | None
    references: list[str]
    sections: list[SectionOut]
    text: str


class Status(BaseModel):
    status: str


class Readiness(BaseModel):
    status: Literal["ready"]
    build_id: str = Field(description="The index build being served (it changes on re-index).")
    documents: int
    passages: int


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    index_build: str | None = Field(None, description="The index build answers come from.")
    documents: int | None = Field(None, description="Documents in that build.")


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class UserTextPart(BaseModel):
    type: Literal["text"]
    text: Text


class _Message(BaseModel):
    # Clients send fields we do not use (name, tool_calls, ...): accept and ignore them.
    model_config = ConfigDict(extra="ignore")


class SystemMessage(_Message):
    role: Literal["system", "developer"]
    content: str | list[TextPart]


class UserMessage(_Message):
    role: Literal["user"]
    content: Text | Annotated[list[UserTextPart], Field(min_length=1, max_length=8)]

    @property
    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "\n".join(part.text for part in self.content)


class AssistantMessage(_Message):
    role: Literal["assistant"]
    content: str | list[TextPart] | None = None


class ToolMessage(_Message):
    role: Literal["tool"]
    content: str | list[TextPart]
    tool_call_id: str


Message = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")
]
_HAS_USER_MESSAGE: dict[str, Any] = {
    "contains": {"type": "object", "properties": {"role": {"const": "user"}}, "required": ["role"]}
}


class ChatRequest(BaseModel):
    """OpenAI's chat request; sampling fields (temperature, ...) are accepted and ignored."""

    model: str = Field(min_length=1, max_length=200, description="Any name; see GET /v1/models.")
    messages: list[Message] = Field(
        min_length=1,
        max_length=64,
        json_schema_extra=_HAS_USER_MESSAGE,
        description="The last user message is the question; earlier user messages are the "
        "conversation so far (they steer follow-up questions). Other roles are ignored.",
    )
    stream: StrictBool = Field(
        False, description="Send `chat.completion.chunk` server-sent events."
    )
    source_list: StrictBool = Field(
        True,
        description='End the content with a Markdown "Sources" list (number, title › '
        "section, kind, the quote shortened, the URL when known), so chat front ends that drop "
        "the top-level `citations` still show what each [n] marker points at. `false` leaves "
        "only the answer and its notice.",
    )

    @field_validator("messages")
    @classmethod
    def _has_question(cls, messages: list[Message]) -> list[Message]:
        if not any(isinstance(m, UserMessage) for m in messages):
            raise ValueError("there is no user message to answer")
        return messages

    @property
    def user_texts(self) -> list[str]:
        return [m.text for m in self.messages if isinstance(m, UserMessage)]


class ChatMessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class ChatChoice(BaseModel):
    index: int
    message: ChatMessageOut
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class ChatCompletion(BaseModel):
    """OpenAI's chat completion, with the sources of the [n] markers in `citations`."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    citations: list[CitationOut] = Field(description="The sources the [n] markers point at.")
    abstained: bool
    red_flags: list[str]
