"""Helpers of the API tests: a uvicorn server in a thread, and an Assistant that can be held."""

from __future__ import annotations

import json
import socket
import threading
import time
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from s1assist.api.server import server_config
from s1assist.chat import Assistant
from s1assist.config import RetrievalMode, ServerSettings, Settings
from s1assist.types import Hit

API_KEY = "test-key-3f9c"
QUESTION = "Can S1 impingement cause sciatica?"
READY_TIMEOUT_S = 120.0


class LiveServer:
    """An app served by uvicorn in a thread, on a port the OS picked."""

    def __init__(self, app: FastAPI, timeouts: ServerSettings | None = None) -> None:
        # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on sockets that say
        # they are TCP, and without it keep-alive requests stall 40 ms on delayed ACKs.
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.bind(("127.0.0.1", 0))
        port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = server_config(app, "127.0.0.1", port, configure_logging=False, timeouts=timeouts)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def start(self, *, wait_ready: bool = True) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.server.started:
            assert self.thread.is_alive(), "uvicorn exited during start-up"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        if wait_ready:
            while httpx.get(f"{self.url}/readyz").status_code != 200:
                assert time.monotonic() < deadline, "the model and index did not load"
                time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True  # what uvicorn's SIGTERM handler sets
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "uvicorn did not shut down"

    def __enter__(self) -> LiveServer:
        return self if self.thread.ident is not None else self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class GatedAssistant(Assistant):
    """The real Assistant, except that `load` and `search` wait while their gate is closed.

    `search_entered` is set once a search is inside the gate: then the request holds its
    slot of the concurrency bound, deterministically, for as long as the test wants.
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.load_gate = threading.Event()
        self.load_gate.set()
        self.search_gate = threading.Event()
        self.search_gate.set()
        self.search_entered = threading.Event()

    def load(self, *, warm: bool = True) -> GatedAssistant:
        assert self.load_gate.wait(READY_TIMEOUT_S), "load gate left closed"
        super().load(warm=warm)
        return self

    def search(
        self, query: str, k: int | None = None, mode: RetrievalMode | None = None
    ) -> list[Hit]:
        self.search_entered.set()
        assert self.search_gate.wait(READY_TIMEOUT_S), "search gate left closed"
        return super().search(query, k, mode)


PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["detail"]
    assert body["type"].startswith(("urn:s1assist:problem:", "about:blank"))
    return body


def events(response: httpx.Response) -> list[tuple[str, Any]]:
    """(event name, decoded data) for each server-sent event."""
    found = []
    for block in response.text.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        found.append((fields.get("event", "message"), json.loads(fields["data"])))
    return found
