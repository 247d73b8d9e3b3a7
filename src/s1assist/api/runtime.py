"""The app's one Assistant: loaded once in a worker thread, used under a bound on model work."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from s1assist.api.options import ApiOptions
from s1assist.api.problems import ApiProblem
from s1assist.chat import Assistant

T = TypeVar("T")
log = logging.getLogger("s1assist.api")
_LOADING_RETRY_S = 2


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Runtime:
    """Readiness and the concurrency bound around one `Assistant`.

    The bound is a counter checked and changed on the event loop (so it needs no lock): a
    request that finds it full is refused at once with 503 and Retry-After instead of
    queueing behind CPU-bound work it would only slow down.
    """

    def __init__(self, assistant: Assistant, options: ApiOptions) -> None:
        self.assistant = assistant
        self.max_concurrent = options.max_concurrent
        self.model_threads = options.model_threads or min(options.max_concurrent, _cores())
        self.retry_after_s = options.retry_after_s
        self.torch_threads = options.torch_threads
        self.ready = False
        self.error = ""
        self.in_use = 0
        self.started = int(time.time())
        self._threads: anyio.CapacityLimiter | None = None

    async def load(self) -> None:
        """Load the index and model off the event loop, so /healthz answers meanwhile."""
        started = time.perf_counter()
        try:
            await anyio.to_thread.run_sync(self._load)
        except Exception as exc:  # reported by /readyz and the log, not raised
            self.error = str(exc) or type(exc).__name__
            log.error("the assistant could not be loaded: %s", self.error)
            return
        self.ready = True
        index = self.assistant.retriever.index
        log.info(
            "loaded %d documents, %d passages and the model in %.1f s",
            len(index.documents),
            len(index.chunks),
            time.perf_counter() - started,
        )

    def _load(self) -> None:
        if self.torch_threads is not None:
            import torch

            torch.set_num_threads(self.torch_threads)
        self.assistant.load()

    def check_ready(self) -> Assistant:
        if self.ready:
            return self.assistant
        if self.error:  # the reason is in the server log; it may name private paths
            raise ApiProblem(503, "not-ready", "the assistant could not be loaded; see the log")
        raise ApiProblem(
            503,
            "not-ready",
            "the model and index are still loading",
            {"Retry-After": str(_LOADING_RETRY_S)},
        )

    async def run(self, work: Callable[[Assistant], T]) -> T:
        """`work(assistant)` in a worker thread, or 503 when the bound is full."""
        assistant = self.check_ready()
        if self.in_use >= self.max_concurrent:
            raise ApiProblem(
                503,
                "busy",
                f"the server is answering {self.max_concurrent} requests already (setting "
                "server.max_concurrent); retry shortly",
                {"Retry-After": str(self.retry_after_s)},
            )
        if self._threads is None:
            # Admitted requests beyond the cores wait here for a thread, holding nothing: more
            # threads in model code would only fight the event loop for the GIL.
            self._threads = anyio.CapacityLimiter(self.model_threads)
        self.in_use += 1
        try:
            return await anyio.to_thread.run_sync(work, assistant, limiter=self._threads)
        finally:
            self.in_use -= 1

    async def call(self, work: Callable[[Assistant], T]) -> T:
        """Cheap work (a document, a session) in a worker thread, outside the bound."""
        assistant = self.check_ready()
        return await anyio.to_thread.run_sync(work, assistant)
