"""Real servers for the API tests: uvicorn on 127.0.0.1, the real model, the real index.

- `live`: the app as `s1assist serve` builds it (no API key), over the session index.
- `gated`: an Assistant whose load and /v1/search can be held on purpose; retrieval and
  answers are the real ones. It is also the in-process reference the HTTP answers are
  compared with.
- `keyed`: an app over `gated` with an API key and a concurrency bound of 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from apiserver import API_KEY, GatedAssistant, LiveServer

from s1assist.api import ApiOptions, create_app
from s1assist.config import Settings
from s1assist.index import LoadedIndex


def with_data_folder(settings: Settings, data: Path) -> Settings:
    return settings.model_copy(update={"paths": settings.paths.model_copy(update={"data": data})})


@pytest.fixture(scope="session")
def live(settings: Settings, built_index: LoadedIndex) -> Iterator[LiveServer]:
    """The app of `s1assist serve` over the real session index, with default protection."""
    with LiveServer(create_app(settings, ApiOptions())) as server:
        yield server


@pytest.fixture(scope="session")
def http(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def gated(
    settings: Settings, built_index: LoadedIndex, tmp_path_factory: pytest.TempPathFactory
) -> GatedAssistant:
    assistant = GatedAssistant(with_data_folder(settings, tmp_path_factory.mktemp("gated")))
    return assistant.load()


@pytest.fixture(scope="session")
def keyed(gated: GatedAssistant) -> Iterator[LiveServer]:
    options = ApiOptions(api_key=API_KEY, max_concurrent=1)
    with LiveServer(create_app(gated.settings, options, assistant=gated)) as server:
        yield server


@pytest.fixture
def open_gates(gated: GatedAssistant) -> Iterator[GatedAssistant]:
    """The gated assistant, with both gates opened again after the test whatever happens."""
    gated.search_entered.clear()
    yield gated
    gated.load_gate.set()
    gated.search_gate.set()
