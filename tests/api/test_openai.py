"""The official `openai` client, unchanged, against /v1/models and /v1/chat/completions."""

from __future__ import annotations

import re

import openai
import pytest
from apiserver import API_KEY, QUESTION, GatedAssistant, LiveServer

from s1assist.answering import answer_to_json
from s1assist.api.source_list import cited_sources, markdown_sources, with_sources
from s1assist.api.streams import chat_content
from s1assist.types import Answer

FOLLOW_UP = "How long does it take to heal?"


def client(server: LiveServer, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=30)


def markers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


SOURCES_HEAD = "\n\n**Sources**\n\n"
KINDS = "guideline summary|research summary|health article|general web page"
SOURCE_LINE = re.compile(rf'^(\d+)\. (.+?) \(({KINDS})\): "(.+)"( <https?://\S+>)?$')


def split_sources(content: str) -> tuple[str, list[re.Match[str]]]:
    """The text before the Sources list, and its lines parsed (each must parse)."""
    assert SOURCES_HEAD in content, content
    text, listed = content.rsplit(SOURCES_HEAD, 1)
    lines = [SOURCE_LINE.match(line) for line in listed.split("\n")]
    assert all(lines), listed
    return text, [m for m in lines if m]


def expected_content(gated: GatedAssistant, answer: Answer) -> str:
    return chat_content(answer, markdown_sources(cited_sources(answer, gated.document)))


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
    text, listed = split_sources(content)
    assert markers(text) == {c["n"] for c in citations} and citations
    assert [int(m[1]) for m in listed] == [c["n"] for c in citations]
    for line, citation in zip(listed, citations, strict=True):
        assert line[2].startswith(citation["title"].replace("*", "\\*"))
        assert line[3] == citation["kind"]
        quote = line[4].replace("\\", "")
        assert quote.rstrip("…") in " ".join(citation["quote"].split())
        assert len(quote) <= 110
    expected = gated.answer(QUESTION, [])
    assert content == expected_content(gated, expected)

    def known(found: list[dict[str, object]]) -> list[dict[str, object]]:
        return [{key: value for key, value in c.items() if value is not None} for c in found]

    assert known(citations) == known(
        with_sources(answer_to_json(expected)["citations"], cited_sources(expected, gated.document))
    )


def test_the_stream_adds_up_to_the_same_completion(live: LiveServer) -> None:
    messages = [{"role": "user", "content": QUESTION}]
    whole = client(live).chat.completions.create(model="s1assist", messages=messages)
    stream = client(live).chat.completions.create(model="s1assist", messages=messages, stream=True)
    chunks = list(stream)
    assert len(chunks) > 3
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    content = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert content == whole.choices[0].message.content
    text, listed = split_sources(content)
    assert [int(m[1]) for m in listed] == sorted(markers(text))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    citations = (whole.model_extra or {})["citations"]
    assert (chunks[0].model_extra or {})["citations"] == citations
    assert (chunks[-1].model_extra or {})["citations"] == citations
    assert markers(text) == {c["n"] for c in citations}


@pytest.mark.parametrize("stream", [False, True])
def test_the_sources_list_can_be_turned_off(live: LiveServer, stream: bool) -> None:
    messages = [{"role": "user", "content": QUESTION}]
    extra = {"source_list": False}
    if stream:
        chunks = client(live).chat.completions.create(
            model="s1assist", messages=messages, stream=True, extra_body=extra
        )
        content = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    else:
        completion = client(live).chat.completions.create(
            model="s1assist", messages=messages, extra_body=extra
        )
        content = completion.choices[0].message.content or ""
        assert (completion.model_extra or {})["citations"]
    assert markers(content) and "**Sources**" not in content


def test_an_abstention_lists_no_sources(live: LiveServer) -> None:
    completion = client(live).chat.completions.create(
        model="s1assist", messages=[{"role": "user", "content": "What is the capital of Peru?"}]
    )
    assert (completion.model_extra or {})["abstained"]
    assert "Sources" not in (completion.choices[0].message.content or "")


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
    content = completion.choices[0].message.content
    assert content == expected_content(gated, with_history)  # ... and is used


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
