"""OpenAI-compatible routes, so the official `openai` client works unchanged.

There is no generative model: the reply is the grounded, extractive answer. The last user
message is the question and earlier user messages are the conversation so far; no session is
stored. The sources of the [n] markers travel in a top-level `citations` list and, unless
the request says `source_list: false`, as a Markdown "Sources" list ending the content.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import APIRouter

from s1assist.answering import answer_to_json
from s1assist.api.models import ChatCompletion, ChatRequest, ModelList
from s1assist.api.problems import event_stream_doc
from s1assist.api.routes import BAD_INPUT, BUSY, RuntimeDep, check_length
from s1assist.api.source_list import CitedSource, cited_sources, markdown_sources, with_sources
from s1assist.api.streams import chat_content, chunk_events, event_stream
from s1assist.chat import Assistant
from s1assist.types import Answer

MODEL_ID = "s1assist"
CHAT_DOC = event_stream_doc(
    "A chat completion; with `stream: true`, `chat.completion.chunk` server-sent events ending "
    "with `data: [DONE]` (the first and last chunks carry `citations`).",
    ["message"],
)
router = APIRouter(prefix="/v1", tags=["openai"])


@router.get("/models", response_model=ModelList)
async def models(runtime: RuntimeDep) -> dict[str, Any]:
    """The one model: any `model` name in a chat request gets it; once loaded, the card
    names the index build and its document count."""
    card: dict[str, Any] = {
        "id": MODEL_ID,
        "object": "model",
        "created": runtime.started,
        "owned_by": "s1assist",
    }
    if runtime.ready:
        index = runtime.assistant.retriever.index
        card.update(index_build=index.folder.name, documents=len(index.documents))
    return {"object": "list", "data": [card]}


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={**CHAT_DOC, **BAD_INPUT, **BUSY},
)
async def chat_completions(body: ChatRequest, runtime: RuntimeDep) -> Any:
    """Answer the last user message, reading earlier user messages as the conversation."""
    *history, question = body.user_texts
    check_length(question, runtime.assistant.settings.answer.max_question_chars, "question")

    def work(assistant: Assistant) -> tuple[Answer, tuple[CitedSource, ...]]:
        answer = assistant.answer(question.strip(), history)
        return answer, cited_sources(answer, assistant.document)

    answer, sources = await runtime.run(work)
    completion = completion_json(answer, sources, source_list=body.source_list)
    # One shape for both forms: the stream's citations as the response model writes them.
    completion = ChatCompletion.model_validate(completion).model_dump()
    if body.stream:
        return event_stream(chunk_events(completion))
    return completion


def completion_json(
    answer: Answer, sources: tuple[CitedSource, ...], *, source_list: bool = True
) -> dict[str, Any]:
    content = chat_content(answer, markdown_sources(sources) if source_list else "")
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "citations": with_sources(answer_to_json(answer)["citations"], sources),
        "abstained": answer.abstained,
        "red_flags": list(answer.red_flags),
    }
