"""The app factory: nothing is built at import time, and the model loads once at start-up."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, Security
from fastapi.middleware.cors import CORSMiddleware
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from s1assist import __version__
from s1assist.api import openai_compat, page, routes
from s1assist.api.admission import BusyGate
from s1assist.api.docs import install_docs
from s1assist.api.options import ApiOptions
from s1assist.api.problems import (
    ApiProblem,
    BodyLimit,
    Problem,
    Responses,
    install_problem_handlers,
    problem_doc,
)
from s1assist.api.reloader import IndexWatcher
from s1assist.api.runtime import Runtime
from s1assist.chat import Assistant
from s1assist.config import Settings

DESCRIPTION = """Grounded, cited answers about the S1 nerve root, sciatica and the SI joint.

Every error is RFC 9457 problem details (`application/problem+json`). When the server was
started with `S1ASSIST_API_KEY` set, every `/v1/*` request needs that key in `X-API-Key` or
`Authorization: Bearer`. The chat page is at `/`."""
# Stateless header readers; at module level so the dependency's annotations resolve.
_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False)
_BEARER = HTTPBearer(auto_error=False)
UNAUTHORIZED: Responses = {401: problem_doc("The API key is missing or wrong.")}


def create_app(
    settings: Settings, options: ApiOptions | None = None, *, assistant: Assistant | None = None
) -> FastAPI:
    """The HTTP app over one `Assistant` (built from `settings` unless given)."""
    options = options or ApiOptions.from_settings(settings)
    runtime = Runtime(assistant or Assistant(settings), options)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Loading runs beside the server, so /healthz answers and /readyz says 503 meanwhile;
        # leaving the task group at shutdown waits for a load still under way.
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(runtime.load)
            if options.reload_poll_s > 0:
                tasks.start_soon(IndexWatcher(runtime, options.reload_poll_s).run)
            yield
            tasks.cancel_scope.cancel()  # the watcher; a load under way is waited for

    app = FastAPI(
        title="s1assist",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    app.state.runtime = runtime
    guard = [Security(require_key(options.api_key))] if options.api_key else []
    denied: Responses = UNAUTHORIZED if options.api_key else {}
    app.include_router(routes.health)
    app.include_router(routes.api, dependencies=guard, responses=denied)
    app.include_router(openai_compat.router, dependencies=guard, responses=denied)
    app.include_router(page.router)
    every_route = [
        route
        for router in (routes.health, routes.api, openai_compat.router, page.router)
        for route in router.routes
    ]
    install_problem_handlers(app, every_route)
    if options.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(options.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        )
    app.add_middleware(BodyLimit, max_bytes=options.max_body_bytes)
    app.add_middleware(BusyGate, runtime=runtime)  # outermost: refuses before the body is read
    app.openapi = _openapi_with_limits(app, settings)  # type: ignore[method-assign]
    return app


def require_key(key: str) -> Callable[..., Coroutine[Any, Any, None]]:
    """A dependency that refuses a request without `key` (X-API-Key or Bearer)."""
    expected = key.encode()

    async def check_key(
        api_key: Annotated[str | None, Depends(_KEY_HEADER)],
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> None:
        given = api_key or (credentials.credentials if credentials else "")
        if not secrets.compare_digest(given.encode(), expected):
            raise ApiProblem(
                401,
                "unauthorized",
                "this server needs an API key in X-API-Key or Authorization: Bearer",
                {"WWW-Authenticate": "Bearer"},
            )

    return check_key


def _openapi_with_limits(app: FastAPI, settings: Settings) -> Callable[[], dict[str, Any]]:
    """The generated schema plus what pydantic cannot know: the length limits of these
    settings, and the problem-details schema the error responses refer to."""
    generate = app.openapi
    question = settings.answer.max_question_chars
    limits = {
        ("AskRequest", "question"): question,
        ("SearchRequest", "query"): settings.retrieval.max_query_chars,
        ("UserMessage", "content"): question,
        ("UserTextPart", "text"): question,
    }

    def openapi() -> dict[str, Any]:
        schema = generate()
        components: dict[str, Any] = schema.setdefault("components", {}).setdefault("schemas", {})
        if "Problem" not in components:
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(problem.pop("$defs", {}))
            components["Problem"] = problem
        for (model, field), limit in limits.items():
            prop = components[model]["properties"][field]
            for option in prop.get("anyOf", [prop]):
                if option.get("type") == "string":
                    option["maxLength"] = limit
        return schema

    return openapi
