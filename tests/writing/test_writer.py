"""The writer step over real HTTP: what the model is sent, how its verified sentences become
the answer, and that every failure gives back the extractive answer.

The model's replies here are hand-written (served by tests/writing/llmservers.py); the real
local model is in test_local_model.py.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from llmservers import free_port, model_server, silent_server

from s1assist.config import AnswerSettings, LlmSettings, Settings
from s1assist.embedding import Encoder
from s1assist.types import Answer, AnswerSentence, Citation, Writer
from s1assist.writing import write

IMPINGEMENT = (
    "S1 impingement can cause sciatica, as the S1 nerve root is a major component of the "
    "sciatic nerve."
)
NOT_SAME = "Sciatica is actually a set of symptoms, not a nerve."
RECOVERY = (
    "Full recovery of sensation and strength can take many months, often ranging from three "
    "to eighteen months."
)


def citation(n: int, doc: str, quote: str) -> Citation:
    return Citation(n, doc, f"title of {doc}", "section", quote, 100 * n, 100 * n + len(quote), 0.9)


EXTRACTIVE = Answer(
    question="Can S1 impingement cause sciatica?",
    rewritten_query="Can S1 impingement cause sciatica?",
    answer="(extractive text)",
    abstained=False,
    confidence=0.9,
    notice="",
    sentences=(
        AnswerSentence(IMPINGEMENT, (1,), 0.8),
        AnswerSentence(NOT_SAME, (2,), 0.7),
        AnswerSentence(RECOVERY, (3,), 0.6),
    ),
    citations=(
        citation(1, "impingement", IMPINGEMENT),
        citation(2, "faq", NOT_SAME),
        citation(3, "repair", RECOVERY),
    ),
)


def llm_settings(base_url: str, timeout_s: float = 5.0) -> Settings:
    return Settings(
        answer=AnswerSettings(writer=Writer.LLM),
        llm=LlmSettings(base_url=base_url, timeout_s=timeout_s, api_key="secret"),
    )


def test_the_default_writer_never_calls_the_model(encoder: Encoder) -> None:
    with model_server("reply", "anything") as (url, requests):
        settings = Settings(llm=LlmSettings(base_url=url))
        assert write(EXTRACTIVE, "q", [], settings, encoder.encode_cached) is EXTRACTIVE
    assert requests == []


def test_an_abstention_is_never_sent_to_the_model(encoder: Encoder) -> None:
    # Even one that still carries the sentences it weighed and found too weak.
    abstained = replace(EXTRACTIVE, abstained=True, answer="My sources don't cover this.")
    with model_server("reply", "anything") as (url, requests):
        assert write(abstained, "q", [], llm_settings(url), encoder.encode_cached) is abstained
    assert requests == []


def test_the_model_gets_question_history_and_numbered_quoted_evidence(encoder: Encoder) -> None:
    with model_server("reply", f"{NOT_SAME[:-1]} [2].") as (url, requests):
        write(
            EXTRACTIVE,
            "And is it a nerve?",
            ["Can S1 impingement cause sciatica?"],
            llm_settings(url),
            encoder.encode_cached,
            lambda doc_id: "guideline summary",
        )
    (body,) = requests
    assert body["temperature"] == 0.0 and body["max_tokens"] == 300 and body["stream"] is True
    user = body["messages"][-1]["content"]  # type: ignore[index]
    assert user.endswith("\n\nQuestion: And is it a nerve?")
    assert 'Earlier questions: "Can S1 impingement cause sciatica?"' in user
    assert '[2] guideline summary "title of faq"' in user
    assert f"\n{NOT_SAME} [2]\n" in user
    assert "[4]" not in user


def test_verified_sentences_make_the_answer_and_citations_run_one_to_n(encoder: Encoder) -> None:
    reply = (
        f"{NOT_SAME[:-1]} [2]. Surgery is always needed within 6 weeks [1]. "
        "Full recovery of sensation and strength can take many months, often 3 to 18 months "
        "[3][7]."
    )
    with model_server("reply", reply) as (url, _):
        answer = write(EXTRACTIVE, "q", [], llm_settings(url), encoder.encode_cached)
    assert answer.writer is Writer.LLM
    assert answer.dropped == 1
    assert [s.citations for s in answer.sentences] == [(1,), (2,)]
    assert [(c.n, c.doc_id) for c in answer.citations] == [(1, "faq"), (2, "repair")]
    assert answer.citations[1].quote == RECOVERY  # the span is the source's, not the model's
    assert answer.answer.startswith("Sciatica is actually a set of symptoms, not a nerve [1].")
    assert answer.sentences[0].support == 1.0


def test_when_nothing_survives_the_extractive_answer_is_given(encoder: Encoder) -> None:
    with model_server("reply", "Surgery is needed under general anesthesia [1].") as (url, _):
        assert write(EXTRACTIVE, "q", [], llm_settings(url), encoder.encode_cached) is EXTRACTIVE


@pytest.mark.parametrize("mode", ["error", "garbage"])
def test_a_failing_model_gives_the_extractive_answer(encoder: Encoder, mode: str) -> None:
    with model_server(mode) as (url, _):
        assert write(EXTRACTIVE, "q", [], llm_settings(url), encoder.encode_cached) is EXTRACTIVE


def test_an_unreachable_model_gives_the_extractive_answer(encoder: Encoder) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    assert write(EXTRACTIVE, "q", [], llm_settings(url), encoder.encode_cached) is EXTRACTIVE


def written_within(settings: Settings, encoder: Encoder) -> tuple[Answer, float]:
    """Write in a thread; a writer that ignored its deadline would hang here, not pass."""
    result: list[Answer] = []
    started = time.perf_counter()
    thread = threading.Thread(
        target=lambda: result.append(write(EXTRACTIVE, "q", [], settings, encoder.encode_cached))
    )
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the writer did not return"
    return result[0], time.perf_counter() - started


def test_a_model_that_never_answers_gives_the_extractive_answer(encoder: Encoder) -> None:
    with silent_server() as url:
        answer, _ = written_within(llm_settings(url, timeout_s=1.0), encoder)
    assert answer is EXTRACTIVE


def test_a_model_that_trickles_forever_is_cut_off_at_the_deadline(encoder: Encoder) -> None:
    # Each piece arrives well inside a read timeout, so only the whole-request deadline ends it.
    with model_server("trickle") as (url, _):
        answer, _ = written_within(llm_settings(url, timeout_s=1.0), encoder)
    assert answer is EXTRACTIVE


def test_the_answer_ends_at_its_first_blank_line(encoder: Encoder) -> None:
    reply = f"\n\n{NOT_SAME[:-1]} [2].\n\nSources: [1] {IMPINGEMENT} [1]"
    with model_server("reply", reply) as (url, _):
        answer = write(EXTRACTIVE, "q", [], llm_settings(url), encoder.encode_cached)
    assert answer.writer is Writer.LLM
    assert [s.text for s in answer.sentences] == [NOT_SAME]
    assert answer.dropped == 0
