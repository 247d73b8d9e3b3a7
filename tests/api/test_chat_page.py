"""The chat page as a modern chat, in headless Chromium against the real server: the pinned
composer, the character counter, the conversation restored after a reload, example
questions, copy, dark mode, source kinds, a question held while the model loads, the phone
layout, and screenshots at desktop and phone width."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from apiserver import QUESTION, GatedAssistant, LiveServer
from test_page import CHROMIUM, CHROMIUM_ARGS, FOLLOW_UP, Chat

from s1assist.api import ApiOptions, create_app
from s1assist.types import SourceKind

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: `make browser`"),
]

if CHROMIUM.exists():
    from playwright.sync_api import Browser, BrowserContext, sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots of this run go (printed by the tests that write them)."""
    return tmp_path_factory.getbasetemp() / "screenshots"


class Contexts:
    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.opened: list[tuple[BrowserContext, list[Chat], str]] = []

    def chat(self, url: str, allowed: str = "", **options: Any) -> Chat:
        """A page in a new context; console errors containing `allowed` are expected."""
        context = self.browser.new_context(**{"viewport": DESKTOP, **options})
        chat = Chat(context.new_page(), url)
        self.opened.append((context, [chat], allowed))
        return chat


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Contexts]:
    opened = Contexts(browser)
    yield opened
    for context, chats, allowed in opened.opened:
        context.close()
        for chat in chats:
            errors = [e for e in chat.errors if not (allowed and allowed in e)]
            assert not errors, errors  # includes any CSP violation


def rgb(color: str) -> tuple[int, ...]:
    return tuple(int(part) for part in color[color.index("(") + 1 : -1].split(",")[:3])


def luminance(color: str) -> float:
    return sum(rgb(color)) / (3 * 255)


def test_the_composer_stays_pinned_to_the_bottom(contexts: Contexts, live: LiveServer) -> None:
    for viewport in (DESKTOP, PHONE):
        chat = contexts.chat(live.url, viewport=viewport)
        page = chat.page
        for question in (QUESTION, FOLLOW_UP, QUESTION):
            chat.ask(question)
        assert page.evaluate("document.body.scrollHeight") > viewport["height"]  # it scrolls
        for scroll in (0, 400, 100_000):
            page.evaluate(f"window.scrollTo(0, {scroll})")
            box = page.locator("#ask-form").bounding_box()
            assert box is not None
            assert abs(box["y"] + box["height"] - viewport["height"]) <= 2, (viewport, scroll)


def test_the_counter_counts_against_the_limit(contexts: Contexts, live: LiveServer) -> None:
    page = contexts.chat(live.url).page
    counter, send = page.locator("#counter"), page.locator("#send")
    box = page.get_by_label("Your question")
    page.wait_for_function("document.getElementById('counter').textContent.includes('2,000')")
    box.fill("é" * 12)
    assert counter.inner_text() == "12 / 2,000"
    box.fill("x" * 2_003)
    assert counter.inner_text() == "2,003 / 2,000: 3 over the limit"
    assert send.is_disabled()
    assert box.get_attribute("aria-invalid") == "true"
    box.press("Enter")
    assert page.locator("article.turn").count() == 0  # nothing was sent
    box.fill(QUESTION)
    assert send.is_enabled()


def test_a_reload_restores_the_conversation(contexts: Contexts, live: LiveServer) -> None:
    chat = contexts.chat(live.url)
    page = chat.page
    first = chat.ask(QUESTION)
    page.reload()
    restored = page.locator("article.turn.user.restored")
    restored.first.wait_for()
    assert restored.first.inner_text().endswith(QUESTION)
    answer = page.locator("article.turn.assistant.restored").first.inner_text()
    assert first["sentences"][0]["text"][:40] in answer
    follow = chat.ask(FOLLOW_UP)
    assert follow["session_id"] == first["session_id"]  # the same session goes on
    page.get_by_role("button", name="New conversation").click()
    page.reload()
    page.wait_for_timeout(500)
    assert page.locator("article.turn").count() == 0
    assert page.locator("#intro").is_visible()


def test_an_example_question_is_asked_with_a_click(contexts: Contexts, live: LiveServer) -> None:
    page = contexts.chat(live.url).page
    examples = page.get_by_role("list", name="Example questions").get_by_role("button")
    assert examples.count() >= 3
    text = examples.first.inner_text()
    with page.expect_response(lambda r: r.url.endswith("/v1/ask/stream")):
        examples.first.click()
    page.locator("article.turn.assistant:not([aria-busy])").first.wait_for()
    assert page.locator("article.turn.user").first.inner_text().endswith(text)
    assert page.locator("article.turn.assistant .sources li").count() >= 1
    assert page.locator("#intro").is_hidden()


def test_dark_mode_follows_the_system(contexts: Contexts, live: LiveServer) -> None:
    colours = {}
    for scheme in ("light", "dark"):
        chat = contexts.chat(live.url, color_scheme=scheme)
        chat.ask(QUESTION)
        colours[scheme] = chat.page.evaluate(
            """() => {
                const style = (selector) => getComputedStyle(document.querySelector(selector));
                return {
                    page: style("body").backgroundColor, text: style("body").color,
                    turn: style("article.turn.assistant").backgroundColor,
                    composer: style("#question").backgroundColor,
                };
            }"""
        )
    light, dark = colours["light"], colours["dark"]
    assert luminance(light["page"]) > 0.9 and luminance(light["text"]) < 0.3
    assert luminance(dark["page"]) < 0.15 and luminance(dark["text"]) > 0.8
    assert luminance(dark["turn"]) < 0.2 and luminance(dark["composer"]) < 0.2


def test_copy_puts_the_answer_and_its_sources_on_the_clipboard(
    contexts: Contexts, live: LiveServer
) -> None:
    chat = contexts.chat(live.url, permissions=["clipboard-read", "clipboard-write"])
    done = chat.ask(QUESTION)
    button = chat.last_answer().get_by_role("button", name="Copy the answer with its sources")
    button.click()
    chat.page.wait_for_function("document.querySelector('button.copy').textContent === 'Copied'")
    copied = chat.page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(done["answer"])
    first = done["citations"][0]
    assert f"[1] {first['title']} › {first['section']}" in copied
    assert f'"{first["quote"]}"' in copied and done["notice"] in copied


def test_each_source_shows_its_kind(contexts: Contexts, live: LiveServer) -> None:
    chat = contexts.chat(live.url)
    done = chat.ask(QUESTION)
    kinds = chat.last_answer().locator(".sources li .kind").all_inner_texts()
    assert kinds == [citation["kind"] for citation in done["citations"]]
    assert set(kinds) <= {kind.value for kind in SourceKind}


def test_a_question_asked_while_loading_is_held_then_sent(
    contexts: Contexts, gated: GatedAssistant, open_gates: Any
) -> None:
    gated.load_gate.clear()
    server = LiveServer(create_app(gated.settings, ApiOptions(), assistant=gated))
    server.start(wait_ready=False)
    try:
        assert httpx.get(f"{server.url}/readyz").status_code == 503
        # Chromium logs each 503 of /readyz while the page waits: expected here.
        page = contexts.chat(server.url, allowed="status of 503").page
        box = page.get_by_label("Your question")
        box.fill(QUESTION)
        box.press("Enter")
        status = page.locator("article.turn.assistant .status")
        status.wait_for()
        assert "held" in status.inner_text()
        page.wait_for_timeout(1500)  # it stays held while the server is not ready
        assert page.locator("article.turn.assistant.held").count() == 1
        with page.expect_response(lambda r: r.url.endswith("/v1/ask/stream"), timeout=60_000):
            gated.load_gate.set()
        page.locator("article.turn.assistant:not([aria-busy]) .sources li").first.wait_for()
        assert page.locator("article.turn.assistant.held").count() == 0
        assert page.locator("article.turn.user").count() == 1  # asked once, not twice
    finally:
        gated.load_gate.set()
        server.stop()


def test_the_phone_layout_and_the_screenshots(
    contexts: Contexts, live: LiveServer, screenshots: Path
) -> None:
    screenshots.mkdir(parents=True, exist_ok=True)
    for viewport in (DESKTOP, PHONE):
        chat = contexts.chat(live.url, viewport=viewport)
        page = chat.page
        page.screenshot(path=str(screenshots / f"empty-{viewport['width']}.png"))
        chat.ask(QUESTION)
        header = page.locator("header").bounding_box()
        assert header is not None and header["height"] <= 0.1 * viewport["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        path = screenshots / f"answer-{viewport['width']}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
        print(f"screenshot: {path}")
