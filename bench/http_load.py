"""HTTP throughput and latency of /v1/search and /v1/ask, against a real server.

Starts `s1assist.api.serve` in a child process (the real model, a fresh index of the default
corpus built into a temporary folder, access log on as in production), then drives it from
this process with httpx at concurrency 1 and 8 (one thread and one keep-alive connection per
worker), only on 127.0.0.1. Every request sends a different question (the encoder caches
recent query vectors, so a repeated string would measure the cache). Each phase stops after
--requests requests or --seconds seconds, whichever comes first. Prints one JSON object.

    .venv/bin/python bench/http_load.py [--requests 400] [--seconds 20] [--concurrency 1,8]

Targets on a 2-core machine: /v1/search >= 150 requests/s at concurrency 8; /v1/ask p50
<= 30 ms at concurrency 1. Other work on the machine counts, so the load average is
reported, and so is the server's own CPU time per request (`cpu_bound_requests_per_s` is
what the cores could give the server if it had them to itself).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from query import percentiles

ROOT = Path(__file__).resolve().parents[1]
SERVER = """
import sys
from s1assist.api import serve
from s1assist.config import Settings
serve(Settings(), "127.0.0.1", int(sys.argv[1]))
"""
TARGETS = {
    ("/v1/search", 8): ("requests_per_s", ">=", 150.0),
    ("/v1/ask", 1): ("p50_ms", "<=", 30.0),
}
_OPENINGS = [
    "Can {t} cause {s}?",
    "What does {t} do to {s}?",
    "How is {t} linked to {s}?",
    "Is {s} a sign of {t}?",
    "Why would {t} lead to {s}?",
    "Does {t} explain {s} {w}?",
    "What should I know about {t} and {s} {w}?",
    "How common is {s} with {t}?",
]
_TOPICS = [
    "S1 impingement",
    "S1 radiculopathy",
    "S1 nerve root compression",
    "a herniated L5-S1 disc",
    "SI joint dysfunction",
    "piriformis syndrome",
    "sciatica",
    "S1 nerve damage",
    "spinal stenosis at L5-S1",
    "sacroiliitis",
    "a bulging disc",
    "lumbar nerve irritation",
]
_SYMPTOMS = [
    "calf weakness",
    "numbness in the little toe",
    "pain down the back of the thigh",
    "a weak ankle reflex",
    "buttock pain",
    "burning in the sole of the foot",
    "trouble standing on tiptoe",
    "tingling in the heel",
    "pain when sitting",
    "lower back pain",
]
_WHEN = ["at night", "after running", "in the morning", "when sitting", "for weeks", "today"]


def questions(seed: int = 7) -> Iterator[str]:
    """An endless stream of distinct questions (gold-set questions first when present)."""
    seen: set[str] = set()
    gold = ROOT / "eval" / "gold.jsonl"
    pool: list[str] = []
    if gold.is_file():
        pool = [json.loads(line)["turns"][-1] for line in gold.open(encoding="utf-8")]
    made = [
        opening.format(t=t, s=s, w=w)
        for opening, t, s, w in itertools.product(_OPENINGS, _TOPICS, _SYMPTOMS, _WHEN)
    ]
    random.Random(seed).shuffle(made)
    for n, question in enumerate(itertools.chain(pool, itertools.cycle(made))):
        text = question if question not in seen else f"{question} ({n})"
        seen.add(text)
        yield text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def server_env(work: Path) -> dict[str, str]:
    """This environment, offline, with the default corpus and index and data under `work`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("S1ASSIST_")}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        S1ASSIST_PATHS__CORPUS=str(ROOT / "corpus"),
        S1ASSIST_PATHS__INDEX=str(work / "index"),
        S1ASSIST_PATHS__DATA=str(work / "data"),
    )
    return env


def build_index(env: dict[str, str]) -> None:
    subprocess.run(
        [str(Path(sys.executable).parent / "s1assist"), "index", "--quiet"],
        env=env,
        check=True,
        cwd=ROOT,
    )


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port)], env=env, stdout=out, stderr=out
        )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"the server did not become ready; see {log}")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def body(path: str, question: str) -> dict[str, Any]:
    return {"question": question} if path == "/v1/ask" else {"query": question}


def run_phase(
    url: str,
    path: str,
    concurrency: int,
    source: Iterator[str],
    requests: int,
    seconds: float,
    server_pid: int,
) -> dict[str, Any]:
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    issued = 0
    deadline = time.monotonic() + seconds

    def take() -> str | None:
        nonlocal issued
        with lock:
            if issued >= requests or time.monotonic() >= deadline:
                return None
            issued += 1
            return next(source)

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while (question := take()) is not None:
                started = time.perf_counter()
                response = client.post(path, json=body(path, question))
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    statuses[response.status_code] += 1
                    if response.status_code == 200:
                        latencies.append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    cpu_before = cpu_seconds(server_pid)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu_after = cpu_seconds(server_pid)
    ordered = sorted(latencies)
    # The server's own CPU time per request: with the cores to itself, a server can answer
    # at most cores / that many requests per second, however busy the machine is meanwhile.
    cpu_ms = None
    if cpu_before is not None and cpu_after is not None and ordered:
        cpu_ms = round((cpu_after - cpu_before) * 1000 / len(ordered), 2)
    spread: dict[str, float | None] = {"p50_ms": None, "p99_ms": None}
    if ordered:
        spread.update(percentiles(ordered))
    return {
        "endpoint": path,
        "concurrency": concurrency,
        "requests": sum(statuses.values()),
        "ok": len(ordered),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "seconds": round(wall, 2),
        "requests_per_s": round(len(ordered) / wall, 1) if wall else 0.0,
        "p50_ms": spread["p50_ms"],
        "p99_ms": spread["p99_ms"],
        "server_cpu_ms_per_request": cpu_ms,
        "cpu_bound_requests_per_s": round((os.cpu_count() or 1) * 1000 / cpu_ms, 1)
        if cpu_ms
        else None,
    }


def verdicts(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for row in results:
        target = TARGETS.get((row["endpoint"], row["concurrency"]))
        if target is None:
            continue
        metric, op, bound = target
        value = row[metric]
        met = value is not None and (value >= bound if op == ">=" else value <= bound)
        found.append(
            {
                "endpoint": row["endpoint"],
                "concurrency": row["concurrency"],
                "target": f"{metric} {op} {bound}",
                "measured": value,
                "met": met,
            }
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="Most requests per phase.")
    parser.add_argument("--seconds", type=float, default=20.0, help="Most seconds per phase.")
    parser.add_argument("--concurrency", default="1,8", help="Comma-separated worker counts.")
    parser.add_argument("--warmup", type=int, default=30, help="Unmeasured requests first.")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]

    with tempfile.TemporaryDirectory(prefix="s1assist-bench-") as work:
        env = server_env(Path(work))
        build_index(env)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(env, port, Path(work) / "server.log")
        try:
            source = questions()
            load_before = os.getloadavg()
            for path in ("/v1/search", "/v1/ask"):
                run_phase(url, path, 2, source, args.warmup, args.seconds, server.pid)
            results = [
                run_phase(url, path, level, source, args.requests, args.seconds, server.pid)
                for path in ("/v1/search", "/v1/ask")
                for level in levels
            ]
            load_after = os.getloadavg()
        finally:
            server.terminate()  # SIGTERM: a graceful shutdown
            server.wait(30)
    summary = {
        "cpus": os.cpu_count(),
        "load_average_1m": {"before": round(load_before[0], 2), "after": round(load_after[0], 2)},
        "results": results,
        "targets": verdicts(results),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
