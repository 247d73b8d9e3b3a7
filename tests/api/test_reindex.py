"""Live re-index: `s1assist index` publishes a build and a running server answers from it
at once, without a restart, while every request during the swap succeeds."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from apiserver import QUESTION, LiveServer

from s1assist.api import ApiOptions, create_app
from s1assist.config import PathSettings, Settings
from s1assist.index import LoadedIndex

NEW_DOC = "kowalczyk-glide"
NEW_TEXT = """# The Kowalczyk glide for the S1 nerve

The Kowalczyk glide is a gentle nerve gliding exercise for the S1 nerve root, done lying on
the back with one knee bent while the ankle is slowly pointed and flexed ten times.

The Kowalczyk glide should not increase leg pain; stop if numbness spreads down the leg.
"""
NEW_QUESTION = "How is the Kowalczyk glide done?"
REQUESTS = 200
CLIENTS = 4


@pytest.mark.slow
def test_a_new_build_is_served_without_a_restart(
    settings: Settings,
    built_index: LoadedIndex,
    index_copy: Path,
    tmp_path: Path,
    cli_path: Path,
    cli_env: dict[str, str],
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.paths.corpus, corpus)
    paths = PathSettings(corpus=corpus, index=index_copy, data=tmp_path / "data")
    own = settings.model_copy(update={"paths": paths})
    with LiveServer(create_app(own, ApiOptions(reload_poll_s=0.2))) as server:
        http = httpx.Client(base_url=server.url, timeout=60)
        before = http.get("/readyz").json()
        assert before["build_id"] == built_index.folder.name
        assert before["documents"] == len(built_index.documents)
        first = http.post("/v1/ask", json={"question": NEW_QUESTION}).json()
        assert NEW_DOC not in {c["doc_id"] for c in first["citations"]}

        statuses: list[int] = []
        work_done = [0]
        builds_seen: set[str] = set()
        swapped = threading.Event()
        lock = threading.Lock()

        def load() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                while True:
                    with lock:
                        if work_done[0] >= REQUESTS and swapped.is_set():
                            return
                    if work_done[0] % 2:
                        response = client.post("/v1/ask", json={"question": QUESTION})
                    else:
                        response = client.post("/v1/search", json={"query": NEW_QUESTION})
                    ready = client.get("/readyz")
                    with lock:
                        work_done[0] += 1
                        statuses.extend([response.status_code, ready.status_code])
                        builds_seen.add(ready.json().get("build_id", ""))

        (corpus / f"{NEW_DOC}.txt").write_text(NEW_TEXT, encoding="utf-8")
        clients = [threading.Thread(target=load) for _ in range(CLIENTS)]
        for thread in clients:
            thread.start()
        env = {**cli_env, "S1ASSIST_MODEL__ONNX_CACHE": str(settings.model.onnx_cache.resolve())}
        built = subprocess.run(
            [str(cli_path), "index", "--corpus", str(corpus), "--index", str(index_copy), "-q"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert built.returncode == 0, built.stderr
        deadline = time.monotonic() + 120
        while http.get("/readyz").json()["build_id"] == before["build_id"]:
            assert time.monotonic() < deadline, "the server never swapped to the new build"
            time.sleep(0.1)
        swapped.set()
        for thread in clients:
            thread.join(timeout=300)

        assert work_done[0] >= REQUESTS
        print(f"{work_done[0]} asks and searches, {len(statuses)} requests with /readyz")
        assert set(statuses) == {200}, [s for s in statuses if s != 200][:5]
        after = http.get("/readyz").json()
        assert after["documents"] == before["documents"] + 1
        assert builds_seen == {before["build_id"], after["build_id"]}
        card = http.get("/v1/models").json()["data"][0]
        assert card["index_build"] == after["build_id"]
        assert card["documents"] == after["documents"]

        answer = http.post("/v1/ask", json={"question": NEW_QUESTION}).json()
        cited = [c for c in answer["citations"] if c["doc_id"] == NEW_DOC]
        assert cited, answer
        document = http.get(f"/v1/documents/{NEW_DOC}").json()
        assert all(document["text"][c["start"] : c["end"]] == c["quote"] for c in cited)
        http.close()
