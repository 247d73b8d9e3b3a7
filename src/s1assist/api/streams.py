"""Server-sent events: the page's answer stream and OpenAI's `chat.completion.chunk` stream.

The assistant composes an answer in milliseconds and all at once, so the events are cut from
the finished answer; what streaming buys a client is the familiar protocol and an early
first paint, not hidden generation time.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Any

from fastapi.sse import EventSourceResponse

from s1assist.answering import answer_to_json
from s1assist.answering.safety import check
from s1assist.api.source_list import CitedSource, with_sources
from s1assist.chat import Reply
from s1assist.types import Answer

_PIECE = re.compile(r"\S+\s*|\s+")
DONE = b"data: [DONE]\n\n"


def sse(data: Any, event: str | None = None) -> bytes:
    """One event; compact JSON never holds a newline, so `data` is a single line."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def event_stream(events: Iterable[bytes]) -> EventSourceResponse:
    """A text/event-stream response; proxies are asked not to buffer it."""
    return EventSourceResponse(
        _aiter(events), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


async def _aiter(events: Iterable[bytes]) -> AsyncIterator[bytes]:
    # A sync iterator would be stepped in a worker thread, one hop per event.
    for event in events:
        yield event


def ask_payload(reply: Reply, sources: Sequence[CitedSource] = ()) -> dict[str, Any]:
    """The answer object (citations with their kind, URL and page), plus `note` when the
    session id was not found."""
    payload = answer_to_json(reply.answer)
    payload["citations"] = with_sources(payload["citations"], sources)
    if reply.note:
        payload["note"] = reply.note
    return payload


def urgent_notice(answer: Answer) -> str:
    """The red-flag warning that leads the answer text, or "" when there is none."""
    return check(answer.question).urgent_notice if answer.red_flags else ""


def answer_events(reply: Reply, sources: Sequence[CitedSource] = ()) -> Iterator[bytes]:
    """rewrite, alert (only with red flags), sources, one sentence per sentence, done."""
    answer = reply.answer
    payload = ask_payload(reply, sources)
    yield sse(
        {
            "session_id": answer.session_id,
            "new_session": reply.new_session,
            "note": reply.note,
            "question": answer.question,
            "rewritten_query": answer.rewritten_query,
        },
        "rewrite",
    )
    alert = urgent_notice(answer)
    if alert:
        yield sse({"red_flags": list(answer.red_flags), "text": alert}, "alert")
    yield sse({"citations": payload["citations"]}, "sources")
    for sentence in payload["sentences"]:
        yield sse(sentence, "sentence")
    yield sse(payload, "done")


def chat_content(answer: Answer, sources: str = "") -> str:
    """The assistant message: the answer with its [n] markers, the notice, then `sources`."""
    content = answer.answer
    if answer.citations and answer.notice:
        content = f"{content}\n\n{answer.notice}"
    if answer.citations and sources:
        content = f"{content}\n\n{sources}"
    return content


def chunk_events(completion: dict[str, Any]) -> Iterator[bytes]:
    """A chat completion as `chat.completion.chunk` events, word by word, then [DONE].

    `citations` travels on the first chunk (so markers can be resolved as they arrive) and
    again on the last, beside `finish_reason`.
    """
    head = {key: completion[key] for key in ("id", "created", "model")}
    head["object"] = "chat.completion.chunk"
    content = completion["choices"][0]["message"]["content"]
    extra = {key: completion[key] for key in ("citations", "abstained", "red_flags")}
    yield sse({**head, **extra, "choices": [_choice({"role": "assistant", "content": ""})]})
    for piece in _PIECE.findall(content):
        yield sse({**head, "choices": [_choice({"content": piece})]})
    yield sse({**head, **extra, "choices": [_choice({}, "stop")]})
    yield DONE


def _choice(delta: dict[str, str], finish_reason: str | None = None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
