"""The official `openai` client, unchanged, against /v1/models and /v1/chat/completions."""

from __future__ import annotations

import re

import openai
import pytest
from apiserver import API_KEY, QUESTION, GatedAssistant, LiveServer

from s1assist.answering import answer_to_json
from s1assist.api.streams import chat_content

FOLLOW_UP = "How long does it take to heal?"


def client(server: LiveServer, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=30)


def markers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def test_the_model_is_listed(live: LiveServer) -> None:
    assert [model.id for model in client(live).models.list()] == ["s1assist"]


def test_a_completion_carries_markers_and_citations(
    live: LiveServer, gated: GatedAssistant
) -> None:
    completion = client(live).chat.completions.create(
        model="s1assist", messages=[{"role": "user", "content": QUESTION}]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    content = choice.message.content or ""
    citations = (completion.model_extra or {})["citations"]
    assert citations == completion.to_dict()["citations"]
    assert markers(content) == {c["n"] for c in citations} and citations
    expected = gated.answer(QUESTION, [])
    assert content == chat_content(expected)
    assert citations == answer_to_json(expected)["citations"]


def test_the_stream_adds_up_to_the_same_completion(live: LiveServer) -> None:
    messages = [{"role": "user", "content": QUESTION}]
    whole = client(live).chat.completions.create(model="s1assist", messages=messages)
    stream = client(live).chat.completions.create(model="s1assist", messages=messages, stream=True)
    chunks = list(stream)
    assert len(chunks) > 3
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    content = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert content == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    citations = (whole.model_extra or {})["citations"]
    assert (chunks[0].model_extra or {})["citations"] == citations
    assert (chunks[-1].model_extra or {})["citations"] == citations
    assert markers(content) == {c["n"] for c in citations}


def test_earlier_user_messages_are_the_conversation(
    live: LiveServer, gated: GatedAssistant
) -> None:
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "S1 impingement can cause sciatica [1]."},
        {"role": "user", "content": [{"type": "text", "text": FOLLOW_UP}]},
    ]
    completion = client(live).chat.completions.create(model="any-name", messages=messages)
    with_history = gated.answer(FOLLOW_UP, [QUESTION])
    assert with_history.rewritten_query != FOLLOW_UP  # the history changes the search ...
    assert completion.choices[0].message.content == chat_content(with_history)  # ... and is used


def test_no_user_message_is_422(live: LiveServer) -> None:
    with pytest.raises(openai.UnprocessableEntityError):
        client(live).chat.completions.create(
            model="s1assist", messages=[{"role": "system", "content": "Be brief."}]
        )


def test_the_client_sends_the_key_as_bearer(keyed: LiveServer) -> None:
    completion = client(keyed, API_KEY).chat.completions.create(
        model="s1assist", messages=[{"role": "user", "content": QUESTION}]
    )
    assert (completion.model_extra or {})["citations"]
    with pytest.raises(openai.AuthenticationError):
        client(keyed, "wrong").models.list()
