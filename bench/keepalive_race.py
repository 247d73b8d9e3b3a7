"""Requests lost to the keep-alive race: httpx clients that reuse a pooled connection
after ~5 s idle, against uvicorn closing idle connections after --keep-alive seconds.

A trivial app (no model) on 127.0.0.1, --clients threads, each with its own httpx.Client,
posting --rounds times with an idle gap drawn from 4.95-5.02 s (just under httpx's 5 s
pool expiry). With uvicorn's default keep-alive of 5 s the server closes some connections
just as a request goes out on them: that request gets no response (reset or closed, and
nothing in the server log). s1assist serves with `server.keep_alive_s` (15 s).

    .venv/bin/python bench/keepalive_race.py [--keep-alive 5] [--clients 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import threading
import time
from collections import Counter
from typing import Any

import httpx
import uvicorn

HOST = "127.0.0.1"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"ok"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep-alive", type=int, default=5, help="uvicorn's timeout_keep_alive.")
    parser.add_argument("--clients", type=int, default=16, help="Client threads (at most 64).")
    parser.add_argument("--rounds", type=int, default=3, help="Requests per client (at most 10).")
    args = parser.parse_args()
    clients, rounds = min(args.clients, 64), min(args.rounds, 10)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind((HOST, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, timeout_keep_alive=args.keep_alive, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    answered = Counter[int]()
    lost = Counter[str]()
    lock = threading.Lock()

    def client(seed: int) -> None:
        gaps = random.Random(seed)
        with httpx.Client(base_url=f"http://{HOST}:{port}") as http:
            for _ in range(rounds):
                try:
                    status = http.post("/", json={}).status_code
                    with lock:
                        answered[status] += 1
                except httpx.TransportError as exc:
                    with lock:
                        lost[f"{type(exc).__name__}: {exc}"[:80]] += 1
                time.sleep(gaps.uniform(4.95, 5.02))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for worker in threads:
        worker.start()
    for worker in threads:
        worker.join()
    server.should_exit = True
    thread.join(10)
    print(
        json.dumps(
            {
                "command": f"bench/keepalive_race.py --keep-alive {args.keep_alive} "
                f"--clients {clients} --rounds {rounds}",
                "answered": dict(answered),
                "lost": sum(lost.values()),
                "lost_by_error": dict(lost),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
