"""A sentence-transformers model run by ONNX Runtime, for the many small encodes of queries.

One question is a few dozen tokens; under torch most of its ~10 ms is Python overhead, and
threads queue on the GIL. ONNX Runtime runs the same graph in a few ms and releases the GIL,
so concurrent requests use both cores. The graph is exported locally from the installed
model (no download), once, to a cache file, and only for models whose pipeline is a plain
transformer + mean pooling + normalize, which we reproduce here exactly.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from s1assist.embedding import Vectors

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
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


def cache_path(model_dir: Path, cache_dir: Path) -> Path:
    """Where the exported graph of this exact model lives."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors", "pytorch_model.bin"):
        path = model_dir / name
        if path.is_file():
            digest.update(name.encode())
            digest.update(str(path.stat().st_size).encode())
            with path.open("rb") as handle:
                digest.update(handle.read(1 << 20))
    return cache_dir / f"{model_dir.name}-{digest.hexdigest()[:16]}.onnx"


def export(model_dir: Path, destination: Path) -> Path:
    """Export the transformer to ONNX (fp32, dynamic batch and length), written atomically."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(model_dir)).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = tokenizer(["an example"], return_tensors="pt")
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    # The tracer warns about branches on shapes; the graph is checked against torch in tests.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LastHiddenState(model),
            tuple(sample[name] for name in _INPUTS),
            str(temporary),
            input_names=list(_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    os.replace(temporary, destination)
    return destination


class OnnxEncoder:
    """Mean-pooled, normalized embeddings from an exported graph; fp32, deterministic."""

    def __init__(self, graph: Path, model_dir: Path, max_seq_length: int, threads: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        # A lone question encodes about 1.7x faster on two threads than on one; a server
        # running calls side by side asks for one thread per call instead.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(graph), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=max_seq_length)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer
        self.threads: int = self._session.get_session_options().intra_op_num_threads
        """Intra-op threads per call, as the runtime session holds them."""
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str]) -> Vectors:
        batch = self._tokenizer.encode_batch(texts)
        feed = {
            "input_ids": np.array([e.ids for e in batch], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in batch], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in batch], dtype=np.int64),
        }
        hidden = self._session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.ascontiguousarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)
