"""A sentence-transformers model run by ONNX Runtime, for the many small encodes of queries.

One question is a few dozen tokens; under torch most of its ~10 ms is Python overhead, and
threads queue on the GIL. ONNX Runtime runs the same graph in a few ms and releases the GIL,
so concurrent requests use both cores. The graph is exported locally from the installed
model (no download), once, to a cache file, and only for models whose pipeline is a plain
transformer + mean pooling + normalize, which we reproduce here exactly.

Texts are packed, not padded: several texts share one row of tokens, each with its own
positions and an attention mask that keeps it to itself, so every text gets exactly the
vector it would get alone. An answer's half-dozen sentences of 20 to 80 tokens padded to
the longest wasted a third of the work, and the encoder is compute-bound.

The same graph runs in bf16 under OpenVINO where the CPU computes bf16 natively
(avx512_bf16, AMX); ONNX Runtime's x86 kernels have no bf16. That is for bulk work, index
builds and answer sentences, where it is about 1.3x faster. A lone question stays fp32 on
ONNX Runtime, which has less overhead per call, and on a second graph made for one text,
with a mask of all ones, whose attention ONNX Runtime's optimizer fuses; it does not
recognize the packed graph's mask.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from s1assist.embedding import Vectors

_INPUTS = ("input_ids", "position_ids", "segments")
_SINGLE_INPUTS = ("input_ids", "attention_mask")


class GraphForm(StrEnum):
    """What an exported graph is for; part of its cached name, so a graph of another form
    (an older export) is exported anew."""

    PACKED = "packed-eager"
    """Several texts to a row, each attending only to itself: builds and sentences."""
    SINGLE = "single-fused"
    """One text alone, its attention fused by ONNX Runtime's transformer optimizer into a
    few dozen operators (the packed graph has a few hundred): questions."""


_ROW_TOKENS = 256
"""Most tokens in one packed row; a longer text (up to the model's limit) has a row alone.
Masked attention still costs the whole row squared, so rows stay short."""
_EXPECTED_MODULES = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]


def supported(model_dir: Path) -> bool:
    """True for a local model folder that is transformer -> mean pooling -> normalize."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    kinds = [module.get("type") for module in modules]
    other_modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    return (
        kinds == _EXPECTED_MODULES
        and other_modes == ["pooling_mode_mean_tokens"]
        and (model_dir / "tokenizer.json").is_file()
    )


def max_tokens(model_dir: Path) -> int | None:
    """The model's own limit on tokens per text (sentence-transformers' max_seq_length)."""
    try:
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    limit = config.get("max_seq_length")
    return limit if isinstance(limit, int) and limit > 0 else None


def cache_path(model_dir: Path, cache_dir: Path, form: GraphForm) -> Path:
    """Where the exported graph of this exact model, in `form`, lives."""
    return cache_dir / f"{_model_key(model_dir)}-{form}.onnx"


def remove_stale(model_dir: Path, cache_dir: Path) -> list[Path]:
    """Delete this exact model's graphs of forms no longer made (each is ~90 MB); returns
    what was deleted. Other models' graphs and unfinished exports are left alone."""
    current = {cache_path(model_dir, cache_dir, form) for form in GraphForm}
    stale = [
        path for path in cache_dir.glob(f"{_model_key(model_dir)}*.onnx") if path not in current
    ]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _model_key(model_dir: Path) -> str:
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors", "pytorch_model.bin"):
        path = model_dir / name
        if path.is_file():
            digest.update(name.encode())
            digest.update(str(path.stat().st_size).encode())
            with path.open("rb") as handle:
                digest.update(handle.read(1 << 20))
    return f"{model_dir.name}-{digest.hexdigest()[:16]}"


def export(model_dir: Path, destination: Path) -> Path:
    """Export the transformer to ONNX (fp32, one packed row of any length), written atomically.

    Inputs are a row of token ids, each token's position within its own text, and which
    text it belongs to; a token attends only to tokens of the same text."""
    import torch

    model, tokenizer = _eager_model(model_dir)

    class _PackedLastHiddenState(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, position_ids: Any, segments: Any) -> Any:
            same_text = segments[:, None, :, None] == segments[:, None, None, :]
            # Eager attention adds a 4-d float mask to the scores as it is; a boolean one
            # would not keep the texts apart.
            apart = torch.where(same_text, 0.0, torch.finfo(torch.float32).min)
            return self.inner(
                input_ids=input_ids,
                position_ids=position_ids,
                token_type_ids=torch.zeros_like(input_ids),
                attention_mask=apart,
            ).last_hidden_state

    # Two texts in one row, so the traced graph keeps the mask general.
    texts = [tokenizer(text)["input_ids"] for text in ("an example", "example")]
    sample = (
        torch.tensor([texts[0] + texts[1]]),
        torch.tensor([[*range(len(texts[0])), *range(len(texts[1]))]]),
        torch.tensor([[0] * len(texts[0]) + [1] * len(texts[1])]),
    )
    with _written(destination) as temporary:
        _trace(_PackedLastHiddenState(model), sample, _INPUTS, temporary)
    return destination


def export_single(model_dir: Path, destination: Path) -> Path:
    """Export the transformer for one text alone (every token attending to every other),
    with attention fused for ONNX Runtime; written atomically."""
    import torch
    from onnxruntime.transformers.optimizer import optimize_model

    model, tokenizer = _eager_model(model_dir)

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state

    ids = torch.tensor([tokenizer("an example")["input_ids"]])
    config = model.config
    with _written(destination) as temporary:
        # The mask is all ones; the optimizer recognizes attention only in a graph with one.
        _trace(_LastHiddenState(model), (ids, torch.ones_like(ids)), _SINGLE_INPUTS, temporary)
        # Level 0 fuses operators only, nothing tied to this CPU, so the file is portable.
        fused = optimize_model(
            str(temporary),
            model_type="bert",
            num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size,
            opt_level=0,
        )
        fused.save_model_to_file(str(temporary))
    return destination


def _eager_model(model_dir: Path) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

    # Eager attention exports as plain matrix products, add and softmax, which OpenVINO and
    # ONNX Runtime's optimizer fuse; the scaled-dot-product export adds NaN guards per layer
    # and ran bf16 about 12% slower.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    return model, AutoTokenizer.from_pretrained(str(model_dir))


@contextmanager
def _written(destination: Path) -> Iterator[Path]:
    """A temporary file beside `destination` that replaces it only if the block succeeds."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}")
    try:
        yield temporary
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)


def _trace(module: Any, sample: tuple[Any, ...], inputs: Sequence[str], path: Path) -> None:
    import torch

    axes = {name: {1: "tokens"} for name in (*inputs, "last_hidden_state")}
    # The tracer warns about branches on shapes; the graphs are checked against torch in tests.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            sample,
            str(path),
            input_names=list(inputs),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


Feed = dict[str, npt.NDArray[np.int64]]


class _Runner(Protocol):
    threads: int
    """Threads one call computes on, as the runtime holds them."""
    dimension: int

    def __call__(self, feed: Feed) -> Vectors:
        """The last hidden state of one row, (tokens, dim)."""
        ...


class _OnnxRuntime:
    """fp32 on ONNX Runtime: the least overhead for a single short text."""

    def __init__(self, graph: Path, threads: int, *, spin: bool) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # A lone question encodes about 1.7x faster on two threads than on one; a server
        # running calls side by side asks for one thread per call instead.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        if not spin:
            # Workers spin within a call (many small operators), but not after it, when they
            # would take the cores from OpenVINO's.
            options.add_session_config_entry("session.force_spinning_stop", "1")
        self._session = onnxruntime.InferenceSession(
            str(graph), options, providers=["CPUExecutionProvider"]
        )
        self.threads: int = self._session.get_session_options().intra_op_num_threads
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def __call__(self, feed: Feed) -> Vectors:
        hidden: Vectors = self._session.run(None, feed)[0][0]
        return hidden


class _OpenVinoBf16:
    """bf16 matrix products on OpenVINO; each calling thread gets its own request."""

    def __init__(self, graph: Path, threads: int) -> None:
        import openvino

        # Calls from several threads (a server) run side by side, one stream each.
        streams = max(1, (os.cpu_count() or 1) // threads)
        self._model = openvino.Core().compile_model(
            str(graph),
            "CPU",
            {
                "INFERENCE_PRECISION_HINT": "bf16",
                "NUM_STREAMS": streams,
                "INFERENCE_NUM_THREADS": streams * threads,
            },
        )
        self.threads = int(self._model.get_property("INFERENCE_NUM_THREADS")) // int(
            self._model.get_property("NUM_STREAMS")
        )
        self.dimension = int(self._model.output(0).get_partial_shape()[-1].get_length())
        self._local = threading.local()

    def __call__(self, feed: Feed) -> Vectors:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._model.create_infer_request()
        hidden: Vectors = request.infer(feed)[0][0]
        return hidden


class OnnxEncoder:
    """Mean-pooled, normalized embeddings from an exported graph: fp32 on ONNX Runtime, or
    bf16 on OpenVINO. Either way a text's vector does not depend on the others it came with."""

    def __init__(
        self,
        graph: Path,
        model_dir: Path,
        max_seq_length: int,
        threads: int,
        *,
        bf16: bool = False,
        spin: bool = True,
        packed: bool = True,
    ) -> None:
        from tokenizers import Tokenizer

        runner: _Runner = (
            _OpenVinoBf16(graph, threads) if bf16 else _OnnxRuntime(graph, threads, spin=spin)
        )
        self._run = runner
        self.bf16 = bf16
        self.packed = packed
        """False on the SINGLE graph, which reads one text per row and no positions."""
        # The graphs would read up to 512 positions; the model was trained to its own limit.
        limit = max_tokens(model_dir)
        max_seq_length = min(max_seq_length, limit) if limit else max_seq_length
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=max_seq_length)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self.threads: int = runner.threads
        """Threads per call, as the runtime holds them."""
        self.dimension = runner.dimension

    def encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        tokens = [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]
        rows = _pack(tokens) if self.packed else [[ids] for ids in tokens]
        pooled = np.concatenate([self._mean_per_text(row) for row in rows])
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.ascontiguousarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)

    def count_tokens(self, texts: list[str]) -> int:
        """Tokens the model reads for `texts`, special tokens included, after truncation."""
        return sum(len(encoding.ids) for encoding in self._tokenizer.encode_batch(texts))

    def _mean_per_text(self, row: list[list[int]]) -> Vectors:
        if not self.packed:
            (ids,) = row
            tokens = np.array([ids], dtype=np.int64)
            alone = self._run({"input_ids": tokens, "attention_mask": np.ones_like(tokens)})
            mean: Vectors = alone.mean(axis=0, keepdims=True, dtype=np.float32)
            return mean
        lengths = np.array([len(ids) for ids in row])
        feed = {
            "input_ids": np.concatenate(row).astype(np.int64)[None],
            "position_ids": np.concatenate([np.arange(n) for n in lengths]).astype(np.int64)[None],
            "segments": np.repeat(np.arange(len(row)), lengths).astype(np.int64)[None],
        }
        hidden = self._run(feed)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        sums: Vectors = np.add.reduceat(hidden, starts, axis=0)
        counts: Vectors = lengths[:, None].astype(np.float32)
        return np.divide(sums, counts, dtype=np.float32)


def _pack(texts: list[list[int]]) -> list[list[list[int]]]:
    """Texts' token ids in order, several to a row of at most _ROW_TOKENS; a longer text
    has a row alone."""
    rows: list[list[list[int]]] = [[]]
    filled = 0
    for ids in texts:
        if rows[-1] and filled + len(ids) > _ROW_TOKENS:
            rows.append([])
            filled = 0
        rows[-1].append(ids)
        filled += len(ids)
    return rows
