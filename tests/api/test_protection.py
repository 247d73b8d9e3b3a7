"""API key, the concurrency bound, CORS and graceful shutdown, on real servers."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from apiserver import API_KEY, QUESTION, GatedAssistant, LiveServer, assert_problem
from fastapi.testclient import TestClient

from s1assist.api import ApiOptions, create_app
from s1assist.config import Settings

KEY = {"X-API-Key": API_KEY}


def test_without_a_configured_key_the_api_is_open(http: httpx.Client) -> None:
    assert http.post("/v1/search", json={"query": "sciatica"}).status_code == 200
    schema = http.get("/openapi.json").json()
    assert "securitySchemes" not in schema.get("components", {})
    assert "security" not in schema["paths"]["/v1/ask"]["post"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}],
)
def test_a_missing_or_wrong_key_is_401(keyed: LiveServer, headers: dict[str, str]) -> None:
    for method, path, body in [
        ("POST", "/v1/ask", {"question": QUESTION}),
        ("POST", "/v1/search", {"query": "sciatica"}),
        ("GET", "/v1/models", None),
        ("GET", "/v1/documents/s1-impingement-sciatica", None),
        ("GET", "/v1/sessions/abc", None),
    ]:
        response = httpx.request(method, keyed.url + path, json=body, headers=headers)
        problem = assert_problem(response, 401)
        assert problem["type"] == "urn:s1assist:problem:unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("headers", [KEY, {"Authorization": f"Bearer {API_KEY}"}])
def test_the_key_opens_the_api(keyed: LiveServer, headers: dict[str, str]) -> None:
    asked = httpx.post(f"{keyed.url}/v1/ask", json={"question": QUESTION}, headers=headers)
    assert asked.status_code == 200
    assert asked.json()["citations"]


def test_health_page_and_schema_need_no_key(keyed: LiveServer) -> None:
    for path in ("/healthz", "/readyz", "/", "/openapi.json"):
        assert httpx.get(keyed.url + path).status_code == 200, path
    schema = httpx.get(f"{keyed.url}/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"APIKeyHeader", "HTTPBearer"}
    assert "401" in schema["paths"]["/v1/ask"]["post"]["responses"]


def _search_in_background(url: str, results: list[httpx.Response]) -> threading.Thread:
    def run() -> None:
        results.append(
            httpx.post(f"{url}/v1/search", json={"query": "sciatica"}, headers=KEY, timeout=60)
        )

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_full_bound_answers_503_at_once(keyed: LiveServer, open_gates: GatedAssistant) -> None:
    open_gates.search_gate.clear()
    held: list[httpx.Response] = []
    thread = _search_in_background(keyed.url, held)
    try:
        assert open_gates.search_entered.wait(10), "the first request never reached the model"
        # The bound is 1 and the search holds it: more model work is refused, not queued.
        for path, body in [("/v1/ask", {"question": QUESTION}), ("/v1/search", {"query": "x"})]:
            started = time.monotonic()
            refused = httpx.post(keyed.url + path, json=body, headers=KEY, timeout=10)
            assert time.monotonic() - started < 1.0
            problem = assert_problem(refused, 503)
            assert problem["type"] == "urn:s1assist:problem:busy"
            assert refused.headers["retry-after"] == "1"
        # Work outside the model is not bounded.
        document = httpx.get(f"{keyed.url}/v1/documents/s1-impingement-sciatica", headers=KEY)
        assert document.status_code == 200
        assert httpx.get(f"{keyed.url}/readyz").status_code == 200
    finally:
        open_gates.search_gate.set()
        thread.join(30)
    assert held[0].status_code == 200 and held[0].json()["hits"]
    # The slot is given back once the held request is done.
    again = httpx.post(f"{keyed.url}/v1/ask", json={"question": QUESTION}, headers=KEY)
    assert again.status_code == 200


def test_cors_is_closed_by_default(http: httpx.Client) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    preflight = http.options("/v1/ask", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in http.get("/v1/models", headers=origin).headers


def test_cors_opens_for_configured_origins_only(settings: Settings) -> None:
    # Only middleware is exercised here, so the app is not started (nothing loads).
    options = ApiOptions(cors_origins=("https://clinic.example",))
    client = TestClient(create_app(settings, options))
    request = {"Access-Control-Request-Method": "POST"}
    allowed = client.options("/v1/ask", headers={**request, "Origin": "https://clinic.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://clinic.example"
    other = client.options("/v1/ask", headers={**request, "Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers


def test_shutdown_lets_a_request_in_flight_finish(open_gates: GatedAssistant) -> None:
    server = LiveServer(create_app(open_gates.settings, ApiOptions(), assistant=open_gates))
    server.start()
    open_gates.search_gate.clear()
    held: list[httpx.Response] = []
    worker = threading.Thread(
        target=lambda: held.append(
            httpx.post(f"{server.url}/v1/search", json={"query": "sciatica"}, timeout=60)
        )
    )
    worker.start()
    assert open_gates.search_entered.wait(10)
    stopper = threading.Thread(target=server.stop)  # what SIGTERM sets off
    stopper.start()
    try:
        deadline = time.monotonic() + 10
        while _accepts_connections(server.url):  # the port closes first ...
            assert time.monotonic() < deadline, "the server kept accepting connections"
            time.sleep(0.05)
        assert not held  # ... while the request in flight is still being answered
    finally:
        open_gates.search_gate.set()
        worker.join(30)
        stopper.join(30)
    assert held[0].status_code == 200
    assert held[0].json()["hits"]
    assert not server.thread.is_alive()


def _accepts_connections(url: str) -> bool:
    try:
        httpx.get(f"{url}/healthz", timeout=1)
    except httpx.TransportError:
        return False
    return True
