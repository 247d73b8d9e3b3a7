"""Errors as RFC 9457 problem details (application/problem+json), and the body size limit."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from s1assist.api.models import NOT_BLANK
from s1assist.errors import QueryError, S1AssistError

PROBLEM_JSON = "application/problem+json"
_PREFIX = "urn:s1assist:problem:"
log = logging.getLogger("s1assist.api")
Responses = dict[int | str, dict[str, Any]]
"""OpenAPI `responses` entries, by status code."""


class Issue(BaseModel):
    """One reason a request was refused: where in the request, and why."""

    loc: list[str | int] = Field(description="Path to the value, e.g. ['body', 'question'].")
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="A URI naming the kind of problem ('about:blank': plain HTTP).")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request.")
    errors: list[Issue] | None = Field(
        None, description="For validation problems: each value that was refused."
    )


class ApiProblem(Exception):
    """Raised by handlers to answer with a problem; `kind` becomes the type URI."""

    def __init__(
        self, status: int, kind: str, detail: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.headers = dict(headers or {})


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    headers: Mapping[str, str] | None = None,
    errors: list[Issue] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"{_PREFIX}{kind}" if kind else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = [e.model_dump() for e in errors]
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def problem_doc(description: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An OpenAPI `responses` entry for a problem answer; its headers may be absent."""
    doc: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        doc["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return doc


def event_stream_doc(description: str, events: list[str]) -> Responses:
    """An OpenAPI 200 entry for server-sent events; as OpenAPI 3.1 has it, the schema
    describes each event (its `data` is a JSON text)."""
    event = {
        "type": "object",
        "properties": {
            "event": {"type": "string", "enum": events},
            "data": {"type": "string", "contentMediaType": "application/json"},
            "id": {"type": "string"},
            "retry": {"type": "integer", "minimum": 0},
        },
        "required": ["data"],
    }
    return {200: {"description": description, "content": {"text/event-stream": {"schema": event}}}}


def install_problem_handlers(app: FastAPI, routes: Sequence[BaseRoute]) -> None:
    """Every 4xx/5xx the app produces, including validation and 404/405, as problem+json;
    `routes` are the app's routes, for the Allow header of a 405."""

    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem_response(exc.status, exc.detail, kind=exc.kind, headers=exc.headers)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request.url.path, routes)
        return problem_response(exc.status_code, detail, headers=headers)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        # The refused input is not echoed back: it may be a long or private question.
        issues = [
            Issue(loc=list(e.get("loc", ())), msg=_message(e), type=str(e.get("type")))
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(map(str, i.loc))}: {i.msg}" for i in issues[:5])
        return problem_response(422, detail, kind="validation", errors=issues)

    async def on_query(_: Request, exc: Exception) -> JSONResponse:
        return problem_response(422, str(exc), kind="query")

    async def on_internal(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return problem_response(500, "the server could not answer; see its log", kind="internal")

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(QueryError, on_query)
    app.add_exception_handler(S1AssistError, on_internal)
    app.add_exception_handler(Exception, on_internal)


def _allowed_methods(path: str, routes: Sequence[BaseRoute]) -> str:
    # Starlette names only the first route that matched the path; a path served by two
    # routes (GET and DELETE /v1/sessions/{id}) must list both.
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.path_regex.match(path):
            methods |= route.methods or set()
    return ", ".join(sorted(methods))


def _message(error: Mapping[str, Any]) -> str:
    pattern = error.get("ctx", {}).get("pattern")
    if error.get("type") == "string_pattern_mismatch" and pattern == NOT_BLANK:
        return "must not be blank"
    return str(error.get("msg", ""))


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` gets 413 before any handler runs.

    The body is read here (it is small by construction) and replayed to the app, so the limit
    holds for chunked uploads too, not only for an honest Content-Length.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = (
            f"the request body is over the limit of {self.max_bytes:,} bytes "
            "(setting server.max_body_bytes)"
        )
        response = problem_response(413, detail, kind="body-too-large")
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
