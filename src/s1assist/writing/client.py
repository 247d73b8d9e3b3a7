"""A streaming client for any OpenAI-compatible /chat/completions endpoint, under a deadline.

The request is streamed (`"stream": true`) so sentences can be verified as they arrive, and
it runs in a worker thread that hands text pieces over a queue: the caller waits on the
queue, never on the socket, so a server that accepts the connection and then trickles or
says nothing still costs at most `timeout_s`, the whole request's deadline.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from s1assist.config import LlmSettings
from s1assist.errors import S1AssistError


class LlmUnavailable(S1AssistError):
    """The model could not be reached, failed, answered nonsense or missed its deadline."""


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    content: str


_END = object()


def complete_stream(
    messages: Sequence[Message], settings: LlmSettings, stop: Sequence[str] = ()
) -> Iterator[str]:
    """The assistant text as it arrives, piece by piece; raises LlmUnavailable on any
    failure and when the whole exchange passes `settings.timeout_s`."""
    deadline = time.monotonic() + settings.timeout_s
    pieces: queue.Queue[object] = queue.Queue()
    cancel = threading.Event()
    worker = threading.Thread(
        target=_produce,
        args=(request_body(messages, settings, stop), settings, pieces, cancel),
        name="llm-writer",
        daemon=True,
    )
    worker.start()
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LlmUnavailable(f"{url_of(settings)}: no answer within {settings.timeout_s} s")
            try:
                item = pieces.get(timeout=remaining)
            except queue.Empty:
                continue
            if item is _END:
                return
            if isinstance(item, LlmUnavailable):
                raise item
            assert isinstance(item, str)
            yield item
    finally:
        cancel.set()  # the worker closes the connection at its next piece or timeout


def url_of(settings: LlmSettings) -> str:
    return settings.base_url.rstrip("/") + "/chat/completions"


def request_body(
    messages: Sequence[Message], settings: LlmSettings, stop: Sequence[str] = ()
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": settings.model,
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "max_tokens": settings.max_tokens,
        "temperature": settings.temperature,
        "stream": True,
    }
    if stop:
        body["stop"] = list(stop)
    return body


def _produce(
    body: dict[str, Any],
    settings: LlmSettings,
    pieces: queue.Queue[object],
    cancel: threading.Event,
) -> None:
    import httpx

    url = url_of(settings)
    headers = {"Accept": "text/event-stream"}
    key = settings.api_key.get_secret_value()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        with (
            httpx.Client(timeout=settings.timeout_s) as client,
            client.stream("POST", url, json=body, headers=headers) as r,
        ):
            if r.status_code != 200:
                r.read()
                raise LlmUnavailable(f"{url}: HTTP {r.status_code}: {r.text[:200]}")
            for line in r.iter_lines():
                if cancel.is_set():
                    return
                piece = parse_event(line, url)
                if piece is _END:
                    break
                if piece:
                    pieces.put(piece)
        pieces.put(_END)
    except LlmUnavailable as exc:
        pieces.put(exc)
    except (httpx.HTTPError, OSError) as exc:
        pieces.put(LlmUnavailable(f"{url}: {type(exc).__name__}: {exc}"))


def parse_event(line: str, url: str) -> object:
    """The text of one server-sent `data:` line, "" for anything else, _END for [DONE]."""
    if not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return _END
    try:
        event = json.loads(data)
        delta = event["choices"][0].get("delta") or {}
    except (json.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError):
        raise LlmUnavailable(f"{url}: not a chat.completion.chunk event: {data[:200]!r}") from None
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else ""
