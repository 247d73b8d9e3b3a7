"""The quick 503: a request for model work that arrives while the bound is full is refused
before its body is read, parsed or validated, so the refusal costs the event loop almost
nothing while the worker threads hold the cores."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from s1assist.api.problems import PROBLEM_JSON
from s1assist.api.runtime import Runtime

MODEL_ROUTES = frozenset({"/v1/ask", "/v1/ask/stream", "/v1/search", "/v1/chat/completions"})
"""The routes whose work runs under `Runtime.run`'s bound."""


class BusyGate:
    """ASGI middleware in front of everything else. It only reads the bound's counter; the
    bound itself stays in `Runtime.run`, which still refuses the rare request that got past
    this gate while the last slots filled."""

    def __init__(self, app: ASGIApp, runtime: Runtime, paths: frozenset[str] = MODEL_ROUTES):
        self.app = app
        self.runtime = runtime
        self.paths = paths
        detail = (
            f"the server is answering {runtime.max_concurrent} requests already (setting "
            "server.max_concurrent); retry shortly"
        )
        self.body = json.dumps(
            {
                "type": "urn:s1assist:problem:busy",
                "title": "Service Unavailable",
                "status": 503,
                "detail": detail,
            }
        ).encode()
        self.headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(self.body)).encode()),
            (b"retry-after", str(runtime.retry_after_s).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = self.runtime
        if (
            scope["type"] == "http"
            and runtime.in_use >= runtime.max_concurrent
            and scope["method"] == "POST"
            and scope["path"] in self.paths
        ):
            await send({"type": "http.response.start", "status": 503, "headers": self.headers})
            await send({"type": "http.response.body", "body": self.body})
            return
        await self.app(scope, receive, send)
