"""Slow clients are timed out; normal requests, slow answers and idle keep-alive are not.
Raw sockets against uvicorn on 127.0.0.1 with the real app and model."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from apiserver import GatedAssistant, LiveServer

from s1assist.api import ApiOptions, create_app
from s1assist.config import ServerSettings

HEADER_S = 1.0
BODY_S = 1.0
STEP_S = 0.25  # a trickle: one piece every STEP_S, for far longer than either deadline
PIECES = 40
SEARCH_JSON = {"query": "S1 nerve root"}


@pytest.fixture(scope="module")
def timed(gated: GatedAssistant) -> Iterator[LiveServer]:
    timeouts = ServerSettings(header_timeout_s=HEADER_S, body_timeout_s=BODY_S, keep_alive_s=30)
    app = create_app(gated.settings, ApiOptions(), assistant=gated)
    with LiveServer(app, timeouts) as server:
        yield server


def connect(server: LiveServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    return sock


def trickle(sock: socket.socket, pieces: list[bytes]) -> int:
    """Send `pieces` one every STEP_S until the server closes; how many went out."""
    for sent, piece in enumerate(pieces):
        try:
            sock.sendall(piece)
        except OSError:  # reset by the server
            return sent
        time.sleep(STEP_S)
        if closed_or_answered(sock):
            return sent + 1
    return len(pieces)


def closed_or_answered(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) is not None
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def test_trickled_headers_get_408_and_the_connection_closed(timed: LiveServer) -> None:
    with connect(timed) as sock:
        lines = [b"POST /v1/search HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n"]
        lines += [b"X-Slow-%d: x\r\n" % n for n in range(PIECES)]
        sent = trickle(sock, lines)
        assert sent < len(lines), "the server waited for every header line"
        reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 408 ")
    assert b"headers took longer" in reply


def test_a_trickled_body_gets_408_and_the_connection_closed(timed: LiveServer) -> None:
    with connect(timed) as sock:
        head = b"POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        head += b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (PIECES + 2)
        sock.sendall(head)
        sent = trickle(sock, [b" "] * PIECES)
        assert sent < PIECES, "the server waited for every body byte"
        reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 408 ")
    assert b"body took longer" in reply


def test_a_connection_that_never_sends_is_closed(timed: LiveServer) -> None:
    with connect(timed) as sock:
        assert read_all(sock) == b""  # closed by the server; the socket timeout is 30 s


def test_normal_requests_and_idle_keep_alive_are_unaffected(timed: LiveServer) -> None:
    with httpx.Client(base_url=timed.url, timeout=30) as client:
        first = client.post("/v1/search", json=SEARCH_JSON)
        assert first.status_code == 200 and first.json()["hits"]
        # Idle longer than both deadlines, shorter than the keep-alive: the same connection
        # carries the next request.
        time.sleep(HEADER_S + BODY_S + 0.5)
        second = client.post("/v1/ask", json={"question": "Can S1 impingement cause sciatica?"})
        assert second.status_code == 200 and second.json()["citations"]
        assert second.extensions["network_stream"] is first.extensions["network_stream"]


def test_an_answer_slower_than_the_deadlines_is_still_sent(
    timed: LiveServer, open_gates: GatedAssistant
) -> None:
    open_gates.search_gate.clear()
    results: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: results.append(httpx.post(f"{timed.url}/v1/search", json=SEARCH_JSON))
    )
    thread.start()
    assert open_gates.search_entered.wait(30)
    time.sleep(HEADER_S + BODY_S + 0.5)  # the request is complete; only the answer is slow
    open_gates.search_gate.set()
    thread.join(30)
    assert results and results[0].status_code == 200
