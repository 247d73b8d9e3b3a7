"""The native routes: ask (plain and streamed), search, sessions, documents, health."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from s1assist.api.models import (
    AskRequest,
    AskResponse,
    DocumentOut,
    Readiness,
    SearchRequest,
    SearchResponse,
    SessionOut,
    Status,
)
from s1assist.api.problems import ApiProblem, Responses, event_stream_doc, problem_doc
from s1assist.api.runtime import Runtime
from s1assist.api.source_list import CitedSource, cited_sources
from s1assist.api.streams import answer_events, ask_payload, event_stream
from s1assist.chat import Assistant, Reply
from s1assist.errors import QueryError
from s1assist.retrieval import hit_to_json
from s1assist.types import Document

BAD_INPUT: Responses = {
    400: problem_doc("The body is not JSON text in UTF-8."),
    413: problem_doc("The request body is too large."),
    422: problem_doc("The request is malformed, or the question is blank or too long."),
}
BUSY: Responses = {
    503: problem_doc(
        "The model is loading, or the server is at its bound of concurrent model work.",
        {"Retry-After": "Seconds to wait before retrying."},
    )
}
NOT_FOUND: Responses = {
    404: problem_doc("No such session or document."),
    422: problem_doc("The request is malformed."),
}
EVENT_STREAM_DOC = event_stream_doc(
    "Server-sent events, each `data:` a JSON object: `rewrite` (session_id, new_session, note, "
    "question, rewritten_query); `alert` (red_flags, text; only when the question describes an "
    "urgent warning sign); `sources` (citations); one `sentence` (text, citations, support) per "
    "answer sentence; `done` (the same object as POST /v1/ask returns).",
    ["rewrite", "alert", "sources", "sentence", "done"],
)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
health = APIRouter(tags=["health"])
api = APIRouter(prefix="/v1", tags=["assistant"])


@health.get("/healthz", response_model=Status)
async def healthz() -> dict[str, str]:
    """200 while the process is up, even while the model is still loading."""
    return {"status": "ok"}


@health.get("/readyz", response_model=Readiness, responses=BUSY)
async def readyz(runtime: RuntimeDep) -> dict[str, Any]:
    """200 once the model and index are loaded; 503 (problem details) until then."""
    index = runtime.check_ready().retriever.index
    return {
        "status": "ready",
        "build_id": index.folder.name,
        "documents": len(index.documents),
        "passages": len(index.chunks),
    }


@api.post(
    "/ask",
    response_model=AskResponse,
    response_model_exclude_none=True,
    responses={**BAD_INPUT, **BUSY},
)
async def ask(body: AskRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Answer a question with citations, in a session (new unless `session_id` is known)."""
    limit = runtime.assistant.settings.answer.max_question_chars
    check_length(body.question, limit, "question")
    reply, sources = await runtime.run(lambda assistant: ask_with_sources(assistant, body))
    return ask_payload(reply, sources)


@api.post(
    "/ask/stream", response_class=Response, responses={**EVENT_STREAM_DOC, **BAD_INPUT, **BUSY}
)
async def ask_stream(body: AskRequest, runtime: RuntimeDep) -> Response:
    """Like POST /v1/ask, as server-sent events (the chat page uses this)."""
    limit = runtime.assistant.settings.answer.max_question_chars
    check_length(body.question, limit, "question")
    reply, sources = await runtime.run(lambda assistant: ask_with_sources(assistant, body))
    return event_stream(answer_events(reply, sources))


@api.post("/search", response_model=SearchResponse, responses={**BAD_INPUT, **BUSY})
async def search(body: SearchRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """The passages that best match the query, each with where it comes from."""
    check_length(body.query, runtime.assistant.settings.retrieval.max_query_chars, "query")
    hits = await runtime.run(lambda assistant: assistant.search(body.query, body.k, body.mode))
    return {"query": body.query, "hits": [hit_to_json(hit) for hit in hits]}


@api.get("/sessions/{session_id}", response_model=SessionOut, responses={**NOT_FOUND, **BUSY})
async def get_session(session_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    """The turns of a session, oldest first."""
    turns = await runtime.call(lambda assistant: assistant.sessions.turns(session_id))
    if not turns:
        raise ApiProblem(404, "unknown-session", f"no session {session_id!r}")
    return {"session_id": session_id, "turns": [asdict(turn) for turn in turns]}


@api.delete(
    "/sessions/{session_id}",
    status_code=204,
    response_class=Response,
    responses={**NOT_FOUND, **BUSY},
)
async def delete_session(session_id: str, runtime: RuntimeDep) -> Response:
    """Forget a session and all its turns."""
    if not await runtime.call(lambda assistant: assistant.sessions.forget(session_id)):
        raise ApiProblem(404, "unknown-session", f"no session {session_id!r}")
    return Response(status_code=204)


@api.get("/documents/{doc_id:path}", response_model=DocumentOut, responses={**NOT_FOUND, **BUSY})
async def get_document(doc_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    """A cleaned source document: a citation's `quote` is `text[start:end]`."""
    document = runtime.check_ready().document(doc_id)
    if document is None:
        raise ApiProblem(404, "unknown-document", f"no document {doc_id!r}")
    return document_json(document)


_LIMIT_SETTINGS = {"question": "answer.max_question_chars", "query": "retrieval.max_query_chars"}


def ask_with_sources(
    assistant: Assistant, body: AskRequest
) -> tuple[Reply, tuple[CitedSource, ...]]:
    """The reply and its citations' kind, URL and page, read from the same loaded index."""
    reply = assistant.ask(body.question, body.session_id)
    return reply, cited_sources(reply.answer, assistant.document)


def check_length(text: str, limit: int, what: str) -> None:
    """The schema's maxLength, enforced on the text as sent (before stripping); the error
    names the setting the limit comes from."""
    if len(text) > limit:
        raise QueryError(
            f"the {what} is {len(text):,} characters; the limit is {limit:,} "
            f"(setting {_LIMIT_SETTINGS[what]})"
        )


def document_json(document: Document) -> dict[str, Any]:
    return {
        "doc_id": document.doc_id,
        "title": document.title,
        "kind": document.kind,
        "date": document.date,
        "url": document.url,
        "references": list(document.references),
        "sections": [
            {"heading": s.heading, "start": s.start, "end": s.end, "block": s.block}
            for s in document.sections
        ],
        "text": document.text,
    }
