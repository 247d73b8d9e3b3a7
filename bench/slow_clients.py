"""Slow clients: many connections trickling headers or a body, against a real server, on
127.0.0.1 only, bounded in count and time.

Starts `s1assist.api.serve` in a child process (the real model, a fresh index of the default
corpus), opens --connections connections, half sending one header line every --step
seconds, half sending complete headers then one body byte every --step seconds, for at most
--seconds. Meanwhile one ordinary client sends a search a second. Reports how many slow
connections the server closed (and after how long, from their first byte), how many were
still open at the end, and the ordinary client's statuses and latencies.

    .venv/bin/python bench/slow_clients.py [--connections 300] [--step 2] [--seconds 30]

Target: every slow connection closed (408) within the deadlines (server.header_timeout_s,
server.body_timeout_s, plus one step); every ordinary request answered 200.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from http_load import build_index, free_port, server_env, start_server
from query import percentiles

HOST = "127.0.0.1"  # never anything else
MAX_CONNECTIONS = 1000
MAX_SECONDS = 120.0


async def slow(port: int, body: bool, step: float, deadline: float) -> tuple[str, float]:
    """Trickle until the server closes (-> ("closed", seconds)) or the deadline passes."""
    reader, writer = await asyncio.open_connection(HOST, port)
    started = time.monotonic()
    if body:
        writer.write(
            b"POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n"
        )
    else:
        writer.write(b"POST /v1/search HTTP/1.1\r\n")
    n = 0
    try:
        while time.monotonic() < deadline:
            try:
                data = await asyncio.wait_for(reader.read(65536), timeout=step)
            except TimeoutError:
                writer.write(b" " if body else b"X-Slow-%d: x\r\n" % n)
                n += 1
                await writer.drain()
                continue
            if not data or data.startswith(b"HTTP/1.1 408"):
                return "closed", time.monotonic() - started
        return "open", time.monotonic() - started
    except OSError:
        return "closed", time.monotonic() - started
    finally:
        writer.close()


async def ordinary(port: int, deadline: float) -> list[tuple[int, float]]:
    import httpx

    seen: list[tuple[int, float]] = []
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=30) as client:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = await client.post("/v1/search", json={"query": "S1 nerve root"})
            seen.append((response.status_code, (time.perf_counter() - started) * 1000))
            await asyncio.sleep(1.0)
    return seen


async def drive(port: int, connections: int, step: float, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    results = await asyncio.gather(
        ordinary(port, deadline),
        *(slow(port, n % 2 == 1, step, deadline) for n in range(connections)),
    )
    normal: list[tuple[int, float]] = results[0]
    slow_results: list[tuple[str, float]] = list(results[1:])
    latencies = sorted(ms for _, ms in normal)
    by_kind: dict[str, Any] = {}
    for kind, offset in (("headers", 0), ("body", 1)):
        rows = slow_results[offset::2]
        closed = sorted(seconds for state, seconds in rows if state == "closed")
        by_kind[kind] = {
            "connections": len(rows),
            "closed_by_server": len(closed),
            "still_open_at_end": len(rows) - len(closed),
            "closed_after_s_min": round(closed[0], 1) if closed else None,
            "closed_after_s_max": round(closed[-1], 1) if closed else None,
        }
    return {
        "slow_connections": connections,
        "trickling": by_kind,
        "ordinary_requests": {
            "statuses": sorted({status for status, _ in normal}),
            "count": len(normal),
            **(percentiles(latencies) if latencies else {}),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=300, help="Slow connections.")
    parser.add_argument("--step", type=float, default=2.0, help="Seconds between pieces.")
    parser.add_argument("--seconds", type=float, default=30.0, help="Length of the run.")
    args = parser.parse_args()
    if not 1 <= args.connections <= MAX_CONNECTIONS or not 0 < args.seconds <= MAX_SECONDS:
        raise SystemExit(f"--connections 1..{MAX_CONNECTIONS} and --seconds up to {MAX_SECONDS}")
    with tempfile.TemporaryDirectory(prefix="s1assist-slow-") as work:
        env = server_env(Path(work))
        build_index(env)
        port = free_port()
        server = start_server(env, port, Path(work) / "server.log")
        try:
            result = asyncio.run(drive(port, args.connections, args.step, args.seconds))
        finally:
            server.terminate()
            server.wait(30)
    print(
        json.dumps(
            {
                "command": f"bench/slow_clients.py --connections {args.connections} "
                f"--step {args.step:g} --seconds {args.seconds:g}",
                "cpus": os.cpu_count(),
                **result,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
