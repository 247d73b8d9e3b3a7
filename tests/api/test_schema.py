"""Schemathesis over /openapi.json against the real server: no 5xx, every response as the
schema documents it (status codes, content types, headers, bodies, event streams), valid
requests accepted and invalid ones refused. Bounded: 20 examples per operation, fixed seed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from apiserver import API_KEY, GatedAssistant, LiveServer

ST = Path(sys.executable).parent / "st"


def schemathesis(url: str, cwd: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(ST),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--seed",
        "1",
        "--workers",
        "1",  # hypothesis is not safe to run from several threads
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
        "--no-color",
        *options,
    ]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=240)


def test_the_api_conforms_to_its_schema(live: LiveServer, tmp_path: Path) -> None:
    run = schemathesis(live.url, tmp_path, "--max-examples", "20")
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    assert "No issues found" in run.stdout


def test_the_keyed_api_refuses_requests_without_the_key(
    keyed: LiveServer, open_gates: GatedAssistant, tmp_path: Path
) -> None:
    # With a key the schema declares security; `ignored_auth` replays requests without it.
    run = schemathesis(
        keyed.url,
        tmp_path,
        "--max-examples",
        "5",
        "--phases",
        "fuzzing",
        "--include-path-regex",
        "^/v1/(search|models|sessions)",
        "--header",
        f"X-API-Key: {API_KEY}",
    )
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
