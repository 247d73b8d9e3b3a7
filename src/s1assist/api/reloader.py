"""Live re-index: a running server notices a newly published build and swaps to it.

`s1assist index` publishes a build by replacing the CURRENT pointer. The watcher reads that
pointer every few seconds; when it names another build, the new index is loaded in a worker
thread beside the old one, and then the runtime's one `Assistant` reference is replaced in a
single assignment on the event loop. A request takes that reference once, at its start, and
does all its work with it, so no request fails during a swap or mixes two indexes.
"""

from __future__ import annotations

import logging
from pathlib import Path

import anyio
import anyio.to_thread

from s1assist.api.runtime import Runtime
from s1assist.chat import Assistant
from s1assist.errors import S1AssistError
from s1assist.index.store import current_folder, load_index
from s1assist.retrieval import Retriever

log = logging.getLogger("s1assist.api")


def published_build(root: Path) -> str | None:
    """The build CURRENT names now, or None when there is none (yet) or it is broken."""
    try:
        return current_folder(root).name
    except S1AssistError:
        return None


def serving_build(assistant: Assistant) -> str:
    return assistant.retriever.index.folder.name


def reopen(assistant: Assistant) -> Assistant:
    """The same assistant over the build CURRENT names now; the loaded model is reused."""
    settings = assistant.settings
    index = load_index(settings.paths.index, settings)
    retriever = Retriever(index, assistant.encoder, settings.retrieval)
    retriever.check_model()
    return assistant.with_retriever(retriever).load()


class IndexWatcher:
    """Polls the CURRENT pointer and swaps the runtime to each newly published build."""

    def __init__(self, runtime: Runtime, poll_s: float) -> None:
        self.runtime = runtime
        self.poll_s = poll_s
        self._refused: str | None = None
        """A build that failed to load: not retried until CURRENT changes again."""

    async def run(self) -> None:
        while True:
            await anyio.sleep(self.poll_s)
            await self.check()

    async def check(self) -> bool:
        """Swap when CURRENT names a build other than the one served; True when it did."""
        if not self.runtime.ready:
            return False
        current = self.runtime.assistant
        root = current.settings.paths.index
        published = await anyio.to_thread.run_sync(published_build, root)
        if published is None or published in (serving_build(current), self._refused):
            return False
        try:
            fresh = await anyio.to_thread.run_sync(reopen, current)
        except Exception as exc:  # the old build keeps serving; the log says why
            self._refused = published
            log.error(
                "kept index build %s: build %s did not load: %s",
                serving_build(current),
                published,
                exc,
            )
            return False
        self.runtime.assistant = fresh
        index = fresh.retriever.index
        log.info(
            "now serving index build %s: %d documents, %d passages",
            index.folder.name,
            len(index.documents),
            len(index.chunks),
        )
        return True
