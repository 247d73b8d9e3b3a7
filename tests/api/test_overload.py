"""Overload: the quick 503 comes before the body is read, and a connection stays usable
after it; an idle keep-alive connection outlives common clients' pool expiry."""

from __future__ import annotations

import json
import socket
import time

import httpx
from apiserver import API_KEY, GatedAssistant, LiveServer
from test_protection import _search_in_background

ASK = b'{"question": "Can S1 impingement cause sciatica?"}'


def connect(server: LiveServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=20)


def head(length: int) -> bytes:
    return (
        b"POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"X-API-Key: %s\r\nContent-Length: %d\r\n\r\n" % (API_KEY.encode(), length)
    )


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed without a response"
        data += chunk
    raw_head, _, body = data.partition(b"\r\n\r\n")
    lines = raw_head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers["content-length"]):
        body += sock.recv(65536)
    return int(lines[0].split()[1]), headers, body


def test_a_full_bound_refuses_before_the_body_arrives(
    keyed: LiveServer, open_gates: GatedAssistant
) -> None:
    open_gates.search_gate.clear()
    held: list[httpx.Response] = []
    thread = _search_in_background(keyed.url, held)
    try:
        assert open_gates.search_entered.wait(10), "the first request never reached the model"
        with connect(keyed) as sock:
            sock.sendall(head(len(ASK)))  # the body is not sent (yet)
            status, headers, body = read_response(sock)
            assert status == 503
            assert headers["retry-after"] == "1"
            assert headers["content-type"] == "application/problem+json"
            problem = json.loads(body)
            assert problem["type"] == "urn:s1assist:problem:busy"
            assert "server.max_concurrent" in problem["detail"]
            # The late body is drained and the connection carries the next request.
            sock.sendall(ASK + head(len(ASK)) + ASK)
            assert read_response(sock)[0] == 503
    finally:
        open_gates.search_gate.set()
        thread.join(30)
    assert held[0].status_code == 200


def test_an_idle_keep_alive_connection_outlives_a_5_s_client_pool(live: LiveServer) -> None:
    """httpx drops a pooled connection after 5 s idle; a server that closed it at the same
    moment made a request sent just then get no response at all."""
    with connect(live) as sock:
        search = b'{"query": "sciatica"}'
        request = (
            b"POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(search), search)
        )
        sock.sendall(request)
        assert read_response(sock)[0] == 200
        time.sleep(6)
        sock.sendall(request)
        assert read_response(sock)[0] == 200
