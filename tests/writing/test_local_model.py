"""End to end with a real local model: Gemma 3 270M behind llama.cpp's OpenAI-compatible
server (conftest.py), the real index and the real assistant.

For the seed questions, every sentence of the answer given must pass the verifier against
the passages it cites, and every citation must be an exact slice of its document; a model
too slow for `llm.timeout_s` gives the extractive answer.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from s1assist.chat import Assistant
from s1assist.config import AnswerSettings, LlmSettings, Settings
from s1assist.embedding import Encoder
from s1assist.index import LoadedIndex
from s1assist.retrieval import Retriever
from s1assist.support import supports
from s1assist.types import Answer, Writer
from s1assist.writing.checks import mismatches

pytestmark = [pytest.mark.slow, pytest.mark.llm]

SEED_QUESTIONS = [
    "Can S1 impingement cause sciatica?",
    "What are the symptoms of S1 radiculopathy?",
    "What does the S1 nerve control?",
    "How long does it take for L5-S1 to heal?",
    "Does SI joint pain show on MRI?",
    "Can S1 nerve damage be repaired?",
    "What tests show whether back pain comes from the SI joint?",
]
# Generous: the tests run on two cores shared with other work.
TIMEOUT_S = 120.0


def assistant_for(
    settings: Settings, retriever: Retriever, data: Path, url: str, **llm: float
) -> Assistant:
    own = settings.model_copy(
        update={
            "paths": settings.paths.model_copy(update={"data": data}),
            "answer": AnswerSettings(writer=Writer.LLM),
            "llm": LlmSettings(base_url=url, model="gemma", **llm),
        }
    )
    return Assistant(own, retriever)


def assert_verified(answer: Answer, index: LoadedIndex, encoder: Encoder) -> None:
    """Citations 1..N in order of first use, each an exact slice; each sentence supported by
    each citation it keeps, with its numbers, names and negations in them."""
    assert answer.sentences
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    assert list(dict.fromkeys(n for s in answer.sentences for n in s.citations)) == numbers
    by_n = {c.n: c for c in answer.citations}
    for citation in answer.citations:
        text = index.documents[citation.doc_id].text
        assert text[citation.start : citation.end] == citation.quote
    for sentence in answer.sentences:
        assert sentence.citations, sentence
        quotes = [by_n[n].quote for n in sentence.citations]
        for quote in quotes:
            assert supports(sentence.text, quote, encoder.encode_cached).supported, (
                sentence.text,
                quote,
            )
        assert mismatches(sentence.text, quotes) == [], sentence.text


def test_seed_answers_from_the_local_model_pass_the_verifier(
    llm_server: str,
    settings: Settings,
    retriever: Retriever,
    built_index: LoadedIndex,
    encoder: Encoder,
    tmp_path: Path,
) -> None:
    assistant = assistant_for(settings, retriever, tmp_path, llm_server, timeout_s=TIMEOUT_S)
    written = []
    for question in SEED_QUESTIONS:
        answer = assistant.answer(question, [])
        assert not answer.abstained
        assert_verified(answer, built_index, encoder)
        if answer.writer is Writer.LLM:
            written.append(question)
    # The model's own text reaches the person for some questions, not only the fallback.
    assert written, "every answer fell back to the extractive one"


def test_a_model_too_slow_for_the_deadline_gives_the_extractive_answer(
    llm_server: str, settings: Settings, retriever: Retriever, tmp_path: Path
) -> None:
    question = SEED_QUESTIONS[1]
    slow = assistant_for(
        settings, retriever, tmp_path / "slow", llm_server, timeout_s=0.05, max_tokens=2000
    )
    extractive = assistant_for(settings, retriever, tmp_path / "plain", llm_server)
    extractive = Assistant(
        extractive.settings.model_copy(update={"answer": AnswerSettings()}), retriever
    )
    started = time.perf_counter()
    answer = slow.answer(question, [])
    elapsed = time.perf_counter() - started
    assert answer.writer is Writer.EXTRACTIVE
    assert answer == extractive.answer(question, [])
    print(f"slow model: extractive answer after {elapsed:.2f} s (timeout 0.05 s)")
