"""Shared fixtures: the real corpus, the real bundled model, one real index per session.

Fixtures (all session-scoped, built on first use):

- `repo_root`: the repository folder (found from this file, not an absolute path).
- `corpus_dir`: `<repo>/corpus`, the real vetted corpus.
- `settings`: default `Settings` whose paths point at the real corpus and at a temporary
  index and data folder.
- `encoder`: the real bundled sentence-transformers model, loaded once.
- `corpus_documents`: the real corpus as cleaned `Document`s (`load_corpus(...).documents`).
- `build_report`: the `BuildReport` of building the real corpus into `settings.paths.index`.
- `built_index`: that index loaded back (`LoadedIndex`); its root is `settings.paths.index`.
- `retriever`: a `Retriever` over `built_index` with the default retrieval settings.
- `cli_path`, `cli_env`: the installed `s1assist` console script and an environment for it.
- `assistant`: the real `Assistant` (chat.py) over `retriever`, with its own sessions folder.
- `retriever_hits`: hits for a broad question, spanning several documents and sections.
- `index_copy` (per test): a private copy of the session index root, safe to damage.
- `postgres`: a real PostgreSQL server (Debian's) on 127.0.0.1, started on first use.
- `milvus_server`: a Milvus Lite server on 127.0.0.1, started once per module that uses it.

Tests must never change the session index in place: damage `index_copy` instead.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from milvusserver import MilvusLiteServer
from pgserver import PostgresServer
from s1assist.config import PathSettings, Settings
from s1assist.corpus import load_corpus
from s1assist.embedding import Encoder
from s1assist.index import BuildReport, LoadedIndex, build_index, load_index
from s1assist.retrieval import Retriever
from s1assist.types import Document, Hit

if TYPE_CHECKING:
    from s1assist.chat import Assistant

REPO_ROOT = Path(__file__).resolve().parents[1]

# The model is bundled; never reach for the network, in this process or in a child.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus_dir(repo_root: Path) -> Path:
    return repo_root / "corpus"


@pytest.fixture(scope="session")
def settings(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    work = tmp_path_factory.mktemp("session")
    return Settings(paths=PathSettings(corpus=corpus_dir, index=work / "index", data=work / "data"))


@pytest.fixture(scope="session")
def encoder(settings: Settings) -> Encoder:
    model = Encoder(settings.model)
    model.load()
    return model


@pytest.fixture(scope="session")
def corpus_documents(settings: Settings) -> tuple[Document, ...]:
    return load_corpus(settings.paths.corpus, settings.corpus.max_file_bytes).documents


@pytest.fixture(scope="session")
def build_report(
    corpus_documents: tuple[Document, ...], encoder: Encoder, settings: Settings
) -> BuildReport:
    return build_index(corpus_documents, encoder, settings, settings.paths.index)


@pytest.fixture(scope="session")
def built_index(build_report: BuildReport, settings: Settings) -> LoadedIndex:
    return load_index(settings.paths.index, settings)


@pytest.fixture(scope="session")
def retriever(built_index: LoadedIndex, encoder: Encoder, settings: Settings) -> Retriever:
    return Retriever(built_index, encoder, settings.retrieval)


@pytest.fixture(scope="session")
def cli_path() -> Path:
    """The `s1assist` console script of the interpreter running the tests."""
    path = Path(sys.executable).parent / "s1assist"
    assert path.is_file(), f"{path}: console script not installed (pip install -e .)"
    return path


@pytest.fixture(scope="session")
def cli_env() -> dict[str, str]:
    """Environment for child processes: offline, UTF-8, and no S1ASSIST_* overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("S1ASSIST_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONIOENCODING="utf-8")
    return env


@pytest.fixture
def index_copy(built_index: LoadedIndex, settings: Settings, tmp_path: Path) -> Path:
    """A private copy of the session index root (CURRENT and builds/), safe to damage."""
    destination = tmp_path / "index-copy"
    shutil.copytree(settings.paths.index, destination, ignore=shutil.ignore_patterns(".lock"))
    return destination


@pytest.fixture(scope="session")
def assistant(
    settings: Settings, retriever: Retriever, tmp_path_factory: pytest.TempPathFactory
) -> Assistant:
    """The real assistant over the session index, with its own sessions folder."""
    from s1assist.chat import Assistant

    data = tmp_path_factory.mktemp("assistant-data")
    own = settings.model_copy(update={"paths": settings.paths.model_copy(update={"data": data})})
    return Assistant(own, retriever).load()


@pytest.fixture(scope="session")
def retriever_hits(retriever: Retriever) -> list[Hit]:
    """Hits for a broad question, spanning several documents and sections."""
    return retriever.search("S1 nerve root sciatica symptoms treatment", k=20)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on 127.0.0.1, started for this test run."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="module")
def milvus_server() -> Iterator[MilvusLiteServer]:
    """Milvus Lite as its own gRPC server on 127.0.0.1 (not the embedded file mode), one per
    module: its gRPC server allows no idle keep-alive pings, so a channel left idle across
    other modules' tests is sent GOAWAY (too_many_pings), and a call meeting it fails."""
    with MilvusLiteServer() as server:
        yield server
