"""The ONNX Runtime path gives the torch model's vectors, and refuses what it cannot run."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from s1assist import onnx_encoder
from s1assist.config import EncoderBackend, ModelSettings
from s1assist.embedding import Encoder, resolve_model_path
from s1assist.errors import ConfigError
from s1assist.index import LoadedIndex


@pytest.fixture(scope="module")
def onnx_settings(tmp_path_factory: pytest.TempPathFactory) -> ModelSettings:
    cache = tmp_path_factory.mktemp("onnx")
    return ModelSettings(backend=EncoderBackend.ONNX, onnx_cache=cache)


def test_bundled_model_is_supported_and_a_bare_folder_is_not(tmp_path: Path) -> None:
    assert onnx_encoder.supported(Path(resolve_model_path(ModelSettings().name)))
    assert not onnx_encoder.supported(tmp_path)


def test_onnx_vectors_match_torch_fp32(
    onnx_settings: ModelSettings, built_index: LoadedIndex
) -> None:
    onnx = Encoder(onnx_settings)
    torch = Encoder(ModelSettings(backend=EncoderBackend.TORCH))
    texts = [chunk.text for chunk in built_index.chunks[:24]] + ["Does SI joint pain show on MRI?"]
    # Texts packed several to a row, and single texts, both agree with torch.
    batch = onnx.encode(texts)
    singles = np.vstack([onnx.encode([text]) for text in texts[-3:]])
    reference = torch.encode(texts)
    assert batch.shape == reference.shape == (len(texts), 384)
    assert float((batch * reference).sum(axis=1).min()) > 0.99999
    assert float((singles * reference[-3:]).sum(axis=1).min()) > 0.99999
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)


def test_export_is_cached_and_leaves_no_temporary_files(onnx_settings: ModelSettings) -> None:
    Encoder(onnx_settings).onnx()
    files = sorted(p.name for p in onnx_settings.onnx_cache.iterdir())
    assert len(files) == 1
    assert files[0].endswith(".onnx") and not files[0].startswith(".")
    before = (onnx_settings.onnx_cache / files[0]).stat().st_mtime_ns
    Encoder(onnx_settings).onnx()
    assert (onnx_settings.onnx_cache / files[0]).stat().st_mtime_ns == before


def test_onnx_backend_refuses_a_model_it_cannot_run(tmp_path: Path) -> None:
    (tmp_path / "modules.json").write_text("[]", encoding="utf-8")
    settings = ModelSettings(name=str(tmp_path), backend=EncoderBackend.ONNX, onnx_cache=tmp_path)
    with pytest.raises(ConfigError, match="cannot run on ONNX Runtime"):
        Encoder(settings).onnx()


def test_query_threads_sets_the_runtime_threads(onnx_settings: ModelSettings) -> None:
    one = Encoder(onnx_settings.model_copy(update={"query_threads": 1})).onnx()
    every = Encoder(onnx_settings).onnx()
    assert one is not None and every is not None
    assert one.threads == 1
    assert every.threads == (os.cpu_count() or 1)


def test_a_texts_vector_does_not_depend_on_what_it_is_packed_with(
    onnx_settings: ModelSettings,
) -> None:
    # Answer sentences are cached and scored against a threshold: the same sentence must
    # score the same whichever question brought it in, and in whichever row it landed.
    encoder = Encoder(onnx_settings)
    sentence = "Pain from the S1 root runs down the back of the leg to the sole."
    others = ["The SI joint links the spine to the pelvis.", "Rest briefly, then keep moving."]
    alone = encoder.encode([sentence])[0]
    first = encoder.encode([sentence, *others])[0]
    last = encoder.encode([*others * 20, sentence])[-1]  # past the first row of tokens
    assert np.abs(first - alone).max() < 1e-5
    assert np.abs(last - alone).max() < 1e-5
