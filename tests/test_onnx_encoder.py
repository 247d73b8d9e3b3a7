"""The exported graph gives the torch model's vectors, in fp32 on ONNX Runtime and in bf16 on
OpenVINO, and the encoder refuses what it cannot run."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest

from s1assist import onnx_encoder
from s1assist.config import EncoderBackend, ModelSettings, Precision
from s1assist.embedding import Encoder, cpu_has_bf16, resolve_model_path
from s1assist.errors import ConfigError
from s1assist.index import LoadedIndex

needs_bf16 = pytest.mark.skipif(not cpu_has_bf16(), reason="the CPU has no native bf16")


@pytest.fixture(scope="module")
def onnx_settings(tmp_path_factory: pytest.TempPathFactory) -> ModelSettings:
    cache = tmp_path_factory.mktemp("onnx")
    return ModelSettings(backend=EncoderBackend.ONNX, onnx_cache=cache)


def runtime(encoder: Encoder, bf16: bool) -> onnx_encoder.OnnxEncoder | None:
    """The encoder's bf16 (OpenVINO) or fp32 (ONNX Runtime) packed runtime."""
    return encoder.bulk() if bf16 else encoder.onnx()


@pytest.fixture(scope="module")
def bf16_settings(onnx_settings: ModelSettings) -> ModelSettings:
    return onnx_settings.model_copy(update={"precision": Precision.BF16})


def test_bundled_model_is_supported_and_a_bare_folder_is_not(tmp_path: Path) -> None:
    assert onnx_encoder.supported(Path(resolve_model_path(ModelSettings().name)))
    assert not onnx_encoder.supported(tmp_path)


def test_onnx_vectors_match_torch_fp32(
    onnx_settings: ModelSettings, built_index: LoadedIndex
) -> None:
    onnx = Encoder(onnx_settings)
    torch = Encoder(ModelSettings(backend=EncoderBackend.TORCH))
    texts = [chunk.text for chunk in built_index.chunks[:24]] + ["Does SI joint pain show on MRI?"]
    # Texts packed several to a row, single texts, and questions on the fused single-text
    # graph all agree with torch, a text past the token limit too.
    texts.append("sciatica " * 300)
    batch = onnx.encode(texts)
    singles = np.vstack([onnx.encode([text]) for text in texts[-3:]])
    questions = np.vstack([onnx.encode_query(text) for text in texts[-3:]])
    reference = torch.encode(texts)
    assert batch.shape == reference.shape == (len(texts), 384)
    assert float((batch * reference).sum(axis=1).min()) > 0.99999
    assert float((singles * reference[-3:]).sum(axis=1).min()) > 0.99999
    assert float((questions * reference[-3:]).sum(axis=1).min()) > 0.99999
    assert np.abs(questions - singles).max() < 1e-6
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    assert torch.single() is None
    assert np.array_equal(torch.encode_query(texts[-1]), reference[-1:])


def test_texts_are_cut_at_the_models_own_limit_whatever_the_setting(
    onnx_settings: ModelSettings,
) -> None:
    # The graphs would read 512 positions; the model, like torch, stops at its 256.
    wide = {"max_seq_length": 512}
    long_text = "The S1 nerve root supplies the calf and the sole. " * 60
    onnx = Encoder(onnx_settings.model_copy(update=wide))
    torch = Encoder(ModelSettings(backend=EncoderBackend.TORCH, **wide))
    reference = torch.encode([long_text])
    assert float(onnx.encode([long_text])[0] @ reference[0]) > 0.99999
    assert float(onnx.encode_query(long_text)[0] @ reference[0]) > 0.99999
    assert onnx.count_tokens([long_text]) == torch.count_tokens([long_text]) == 256


def test_export_is_cached_and_replaces_older_forms_of_the_same_model(tmp_path: Path) -> None:
    model_dir = Path(resolve_model_path(ModelSettings().name))
    packed = onnx_encoder.cache_path(model_dir, tmp_path, onnx_encoder.GraphForm.PACKED)
    key = packed.name.rsplit("-", 2)[0]
    # Graphs an older release exported, and another model's graph.
    for name in (f"{key}.onnx", f"{key}-packed.onnx", "other-0123456789abcdef-packed.onnx"):
        (tmp_path / name).write_bytes(b"old graph")
    settings = ModelSettings(backend=EncoderBackend.ONNX, onnx_cache=tmp_path)
    encoder = Encoder(settings)
    assert encoder.onnx() is not None and encoder.single() is not None
    files = sorted(tmp_path.iterdir())
    assert [p.name for p in files] == [
        f"{key}-packed-eager.onnx",
        f"{key}-single-fused.onnx",
        "other-0123456789abcdef-packed.onnx",
    ]
    # The optimizer fused the single-text graph's attention (else questions run slower).
    fused = onnx.load(str(files[1]))
    assert sum(node.op_type == "Attention" for node in fused.graph.node) == 6
    before = [p.stat().st_mtime_ns for p in files]
    again = Encoder(settings)
    assert again.onnx() is not None and again.single() is not None
    assert sorted(tmp_path.iterdir()) == files
    assert [p.stat().st_mtime_ns for p in files] == before


def test_a_failed_export_leaves_nothing_and_fails_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(module: object, sample: object, inputs: object, path: Path) -> None:
        path.write_bytes(b"half a graph")
        raise RuntimeError("export interrupted")

    monkeypatch.setattr(onnx_encoder, "_trace", interrupted)
    encoder = Encoder(ModelSettings(backend=EncoderBackend.ONNX, onnx_cache=tmp_path))
    for _ in range(2):  # not a silent fallback the second time
        with pytest.raises(RuntimeError, match="export interrupted"):
            encoder.single()
    assert list(tmp_path.iterdir()) == []


def test_onnx_backend_refuses_a_model_it_cannot_run(tmp_path: Path) -> None:
    (tmp_path / "modules.json").write_text("[]", encoding="utf-8")
    settings = ModelSettings(name=str(tmp_path), backend=EncoderBackend.ONNX, onnx_cache=tmp_path)
    with pytest.raises(ConfigError, match="cannot run on ONNX Runtime"):
        Encoder(settings).onnx()


@pytest.mark.parametrize("bf16", [False, pytest.param(True, marks=needs_bf16)])
def test_query_threads_sets_the_runtime_threads(
    onnx_settings: ModelSettings, bf16_settings: ModelSettings, bf16: bool
) -> None:
    settings = bf16_settings if bf16 else onnx_settings
    one = runtime(Encoder(settings.model_copy(update={"query_threads": 1})), bf16)
    every = runtime(Encoder(settings), bf16)
    assert one is not None and every is not None
    assert one.threads == 1
    assert every.threads == (os.cpu_count() or 1)
    # Questions run on the single-text graph, in fp32 either way, with the same threads.
    one_question = Encoder(settings.model_copy(update={"query_threads": 1})).single()
    every_question = Encoder(settings).single()
    assert one_question is not None and every_question is not None
    assert one_question.threads == 1
    assert every_question.threads == (os.cpu_count() or 1)


@pytest.mark.parametrize("bf16", [False, pytest.param(True, marks=needs_bf16)])
def test_a_texts_vector_does_not_depend_on_what_it_is_packed_with(
    onnx_settings: ModelSettings, bf16_settings: ModelSettings, bf16: bool
) -> None:
    # Answer sentences are cached and scored against a threshold: the same sentence must
    # score the same whichever question brought it in, and in whichever row it landed.
    packer = runtime(Encoder(bf16_settings if bf16 else onnx_settings), bf16)
    assert packer is not None and packer.bf16 is bf16
    sentence = "Pain from the S1 root runs down the back of the leg to the sole."
    others = ["The SI joint links the spine to the pelvis.", "Rest briefly, then keep moving."]
    alone = packer.encode([sentence])[0]
    first = packer.encode([sentence, *others])[0]
    last = packer.encode([*others * 20, sentence])[-1]  # past the first row of tokens
    assert np.abs(first - alone).max() < 1e-5
    assert np.abs(last - alone).max() < 1e-5


@needs_bf16
def test_bf16_serves_builds_and_answer_sentences_and_questions_stay_fp32(
    bf16_settings: ModelSettings, built_index: LoadedIndex
) -> None:
    encoder = Encoder(bf16_settings)
    fp32 = Encoder(bf16_settings.model_copy(update={"precision": Precision.FP32}))
    assert fp32.bulk() is None
    texts = [chunk.text for chunk in built_index.chunks[:24]]
    reference = fp32.encode(texts)
    passages = encoder.encode_passages(texts)
    sentences = encoder.encode_cached(texts)
    assert np.array_equal(passages, sentences)
    assert not np.array_equal(passages, reference)  # bf16 really ran
    assert float((passages * reference).sum(axis=1).min()) > 0.9999
    # A question is embedded in fp32 even when the same text was once a sentence.
    question = "Does SI joint pain show on MRI?"
    as_sentence = encoder.encode_cached([question])
    assert np.array_equal(encoder.encode_query(question), fp32.encode_query(question))
    assert np.abs(encoder.encode_query(question) - fp32.encode([question])).max() < 1e-6
    assert not np.array_equal(encoder.encode_query(question), as_sentence)


def test_token_counts_match_the_torch_tokenizer(
    onnx_settings: ModelSettings, built_index: LoadedIndex
) -> None:
    # Build throughput is reported in tokens, counted by the packed tokenizer.
    texts = [chunk.search_text for chunk in built_index.chunks] + ["x " * 400]
    packed = Encoder(onnx_settings).count_tokens(texts)
    assert packed == Encoder(ModelSettings(backend=EncoderBackend.TORCH)).count_tokens(texts)
    assert packed > 256 + 2 * len(built_index.chunks)
