"""Small real HTTP servers on 127.0.0.1 for the writer's failure paths: one that replies with a
hand-written model output, one that fails, one that trickles and never finishes, one that
accepts and never answers, and a port nothing listens on."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chunk(content: str) -> bytes:
    event = {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": content}}],
    }
    return f"data: {json.dumps(event)}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    mode = "reply"
    reply = ""
    requests: list[dict[str, object]]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.requests.append(json.loads(self.rfile.read(length)))
        if self.mode == "error":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b'{"error": "model crashed"}')
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            if self.mode == "trickle":
                for _ in range(600):
                    self.wfile.write(b": still thinking\n\n")
                    self.wfile.flush()
                    time.sleep(0.1)
                return
            if self.mode == "garbage":
                self.wfile.write(b"data: {not json\n\n")
                return
            for i in range(0, len(self.reply), 5):
                self.wfile.write(chunk(self.reply[i : i + 5]))
            self.wfile.write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextmanager
def model_server(mode: str, reply: str = "") -> Iterator[tuple[str, list[dict[str, object]]]]:
    """An OpenAI-style streaming endpoint; yields its base URL and the request bodies seen."""
    requests: list[dict[str, object]] = []
    handler = type("Handler", (_Handler,), {"mode": mode, "reply": reply, "requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", requests
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections (the kernel's backlog) and never reads or answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield f"http://127.0.0.1:{s.getsockname()[1]}/v1"
