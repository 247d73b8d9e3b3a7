"""Overload: 64 clients at once against a real server, for a bounded time, on 127.0.0.1 only.

Starts `s1assist.api.serve` in a child process (the real model, a fresh index of the default
corpus in a temporary folder), then drives it from this process: --clients asyncio tasks,
each with its own keep-alive connection, alternately POST /v1/ask and /v1/search with a
distinct question each time, as fast as answers come back (a 503 is not waited out: the
point is the refusal's own latency). Raw HTTP/1.1 on asyncio streams keeps the generator's
own cost small; it still shares the 2 cores with the server, as a real client would.

Every request ends in exactly one of: a status (its latency recorded per status) or "lost"
(the connection closed or failed before a status line came back, with the error). The run
stops after --seconds or --requests, whichever comes first.

    .venv/bin/python bench/overload.py [--clients 64] [--seconds 20] [--requests 200000]

Targets: 503 p99 < 100 ms and 0 lost requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from http_load import build_index, free_port, questions, server_env, start_server
from query import percentiles

HOST = "127.0.0.1"  # never anything else: this is a load generator
PATHS = ("/v1/ask", "/v1/search")
MAX_CLIENTS = 512
MAX_SECONDS = 120.0


def request_bytes(path: str, question: str, port: int) -> bytes:
    field = "question" if path == "/v1/ask" else "query"
    body = json.dumps({field: question}).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool, float]:
    """The status, whether the server will close the connection, and Retry-After (0 when
    absent); raises when the connection ends before a whole response."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed before a status line")
    status = int(status_line.split()[1])
    length = 0
    close = False
    retry_after = 0.0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "connection" and "close" in value.lower():
            close = True
        elif name.lower() == "retry-after":
            retry_after = float(value)
    await reader.readexactly(length)
    return status, close, retry_after


class Tally:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[str] = Counter()
        self.lost: Counter[str] = Counter()
        self.issued = 0


async def client(
    port: int, tally: Tally, source, deadline: float, most: int, turn: int, polite: bool
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    jitter = random.Random(turn)
    while time.monotonic() < deadline and tally.issued < most:
        tally.issued += 1
        path = PATHS[turn % 2]
        turn += 1
        payload = request_bytes(path, next(source), port)
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            assert reader is not None
            writer.write(payload)
            await writer.drain()
            status, close, retry_after = await asyncio.wait_for(read_response(reader), 60)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, TimeoutError) as exc:
            tally.lost[f"{type(exc).__name__}: {exc}"[:80]] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        elapsed = (time.perf_counter() - started) * 1000
        tally.statuses[f"{path} {status}"] += 1
        tally.latencies[str(status)].append(elapsed)
        if close:
            writer.close()
            reader = writer = None
        if polite and status == 503 and retry_after:
            # Jittered, as retrying clients should be: clients refused together would
            # otherwise all come back in the same millisecond.
            pause = retry_after * jitter.uniform(1.0, 2.0)
            await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
    if writer is not None:
        writer.close()


async def drive(port: int, clients: int, seconds: float, most: int, polite: bool) -> Tally:
    tally = Tally()
    source = questions()
    deadline = time.monotonic() + seconds
    await asyncio.gather(
        *(client(port, tally, source, deadline, most, turn, polite) for turn in range(clients))
    )
    return tally


def summary(tally: Tally, wall: float) -> dict[str, Any]:
    spread = {
        status: {"count": len(values), **percentiles(sorted(values))}
        for status, values in sorted(tally.latencies.items())
    }
    for status, values in tally.latencies.items():
        spread[status]["max_ms"] = round(max(values), 1)
    answered = sum(tally.statuses.values())
    lost = sum(tally.lost.values())
    busy = spread.get("503", {})
    return {
        "seconds": round(wall, 1),
        "requests": answered + lost,
        "answered": answered,
        "lost": lost,
        "lost_by_error": dict(tally.lost),
        "by_endpoint_and_status": dict(sorted(tally.statuses.items())),
        "latency_ms_by_status": spread,
        "targets": {
            "503 p99 < 100 ms": busy.get("p99_ms") is not None and busy["p99_ms"] < 100,
            "0 lost": lost == 0,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64, help="Concurrent connections.")
    parser.add_argument("--seconds", type=float, default=20.0, help="Length of the run.")
    parser.add_argument("--requests", type=int, default=200_000, help="Most requests a run.")
    parser.add_argument(
        "--modes",
        default="polite,eager",
        help="polite: a client waits the 503's Retry-After (times 1-2, jittered), as the "
        "header asks (the target applies); eager: it sends again at once (a stress figure: "
        "by Little's law the 503 "
        "latency is then clients / refusals per second, whatever the server does).",
    )
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS:
        raise SystemExit(f"--clients 1..{MAX_CLIENTS} and --seconds up to {MAX_SECONDS}")
    with tempfile.TemporaryDirectory(prefix="s1assist-overload-") as work:
        env = server_env(Path(work))
        build_index(env)
        port = free_port()
        server = start_server(env, port, Path(work) / "server.log")
        try:
            load_before = os.getloadavg()[0]
            asyncio.run(drive(port, 4, 3.0, 200, True))  # warm-up, unmeasured
            runs = {}
            for mode in args.modes.split(","):
                started = time.perf_counter()
                tally = asyncio.run(
                    drive(port, args.clients, args.seconds, args.requests, mode == "polite")
                )
                runs[mode] = summary(tally, time.perf_counter() - started)
            load_after = os.getloadavg()[0]
        finally:
            server.terminate()
            server.wait(30)
    result = {
        "command": f"bench/overload.py --clients {args.clients} --seconds {args.seconds:g} "
        f"--modes {args.modes}",
        "cpus": os.cpu_count(),
        "clients": args.clients,
        "load_average_1m": {"before": round(load_before, 2), "after": round(load_after, 2)},
        "runs": runs,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
