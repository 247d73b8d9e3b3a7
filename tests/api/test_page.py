"""The chat page in headless Chromium against the real server: answers, citations shown in
their documents, markup kept as text, follow-ups, red flags, the keyboard, the API key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from apiserver import API_KEY, QUESTION, LiveServer, events

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FOLLOW_UP = "How long does it take to heal?"
XSS = "<img src=x onerror=alert(1)>"
RED_FLAG = "I have sciatica and since yesterday I can't control my bladder"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium: run `make browser`",
    ),
]

if CHROMIUM.exists():
    from playwright.sync_api import Browser, Page, Response, sync_playwright


class Chat:
    """A page of the chat app, with every dialog and console error it raised."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.goto(url)

    def ask(self, question: str) -> dict[str, Any]:
        """Type the question, press Enter, wait for the answer; the `done` event's answer."""
        before = self.page.locator("article.turn.assistant:not([aria-busy])").count()
        box = self.page.get_by_label("Your question")
        box.fill(question)
        with self.page.expect_response(self._is_stream) as info:
            box.press("Enter")
        response: Response = info.value
        self.page.locator("article.turn.assistant:not([aria-busy])").nth(before).wait_for()
        sent = events(httpx.Response(200, text=response.text()))
        done: dict[str, Any] = sent[-1][1] if sent else {}
        return done

    @staticmethod
    def _is_stream(response: Response) -> bool:
        return response.url.endswith("/v1/ask/stream")

    def last_answer(self) -> Any:
        return self.page.locator("article.turn.assistant").last


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def chat(browser: Browser, live: LiveServer) -> Iterator[Chat]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    chat = Chat(context.new_page(), live.url)
    yield chat
    context.close()
    assert not chat.errors, chat.errors  # includes any Content-Security-Policy violation


def test_an_answer_opens_its_citation_in_the_document(chat: Chat, http: httpx.Client) -> None:
    page = chat.page
    done = chat.ask(QUESTION)
    answer = chat.last_answer()
    assert done["citations"]
    assert done["sentences"][0]["text"].rstrip(".") in answer.locator(".answer").inner_text()
    assert answer.locator(".notice").inner_text() == done["notice"]

    first = answer.locator(".answer button.cite").first
    assert first.inner_text() == "[1]"
    first.click()
    mark = page.locator("#panel mark")
    mark.wait_for()
    assert mark.inner_text() == done["citations"][0]["quote"]
    assert page.locator("#panel-title").inner_text() == done["citations"][0]["title"]

    page.keyboard.press("Escape")
    assert page.locator("#panel").is_hidden()
    assert page.evaluate("document.activeElement.textContent") == "[1]"  # focus returned

    follow = chat.ask(FOLLOW_UP)
    assert follow["session_id"] == done["session_id"]
    searched = chat.last_answer().get_by_text("Searched for:")
    assert searched.is_hidden()  # the rewritten query is behind a small toggle
    chat.last_answer().get_by_text("details").click()
    assert searched.is_visible()
    turns = http.get(f"/v1/sessions/{done['session_id']}").json()["turns"]
    assert [t["question"] for t in turns] == [QUESTION, FOLLOW_UP]


def test_markup_in_a_question_stays_text_and_runs_nothing(chat: Chat) -> None:
    page = chat.page
    done = chat.ask(XSS)
    assert page.locator("article.turn.user").last.inner_text().endswith(XSS)
    assert page.locator("img").count() == 0
    page.wait_for_timeout(200)  # an onerror handler would have fired by now
    assert chat.dialogs == []
    assert done["abstained"]
    assert chat.last_answer().get_by_text("Not covered by my sources").is_visible()


def test_a_red_flag_leads_the_answer_as_an_alert(chat: Chat) -> None:
    done = chat.ask(RED_FLAG)
    alert = chat.last_answer().get_by_role("alert")
    assert alert.inner_text().startswith("URGENT:")
    assert done["answer"].startswith(alert.inner_text())
    assert "URGENT" not in chat.last_answer().locator(".answer").inner_text()


def test_the_keyboard_alone_reaches_and_opens_a_citation(chat: Chat) -> None:
    page = chat.page
    done = chat.ask(QUESTION)
    # The question box has focus after sending; walk back to the last source marker.
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.classList.contains('cite')"):
            break
    label = page.evaluate("document.activeElement.textContent")
    assert label.startswith("["), "no citation marker is reachable with Tab"
    page.keyboard.press("Enter")
    number = int(label.strip("[]"))
    quote = next(c["quote"] for c in done["citations"] if c["n"] == number)
    page.locator("#panel mark").wait_for()
    assert page.locator("#panel mark").inner_text() == quote
    page.keyboard.press("Escape")
    assert page.locator("#panel").is_hidden()


def test_new_conversation_starts_a_fresh_session(chat: Chat) -> None:
    page = chat.page
    first = chat.ask(QUESTION)
    page.get_by_role("button", name="New conversation").click()
    assert page.locator("article.turn").count() == 0
    assert page.locator("#intro").is_visible()
    again = chat.ask(FOLLOW_UP)
    assert again["session_id"] != first["session_id"]
    assert again["rewritten_query"] == FOLLOW_UP  # nothing carried over


def test_the_page_asks_for_the_key_when_the_server_needs_one(
    browser: Browser, keyed: LiveServer
) -> None:
    context = browser.new_context()
    try:
        chat = Chat(context.new_page(), keyed.url)
        page = chat.page
        box = page.get_by_label("Your question")
        box.fill(QUESTION)
        box.press("Enter")
        key = page.get_by_label("API key")
        key.wait_for()
        assert page.get_by_role("alert").last.inner_text().startswith("This server needs")
        assert box.input_value() == QUESTION  # kept, to send again
        key.fill(API_KEY)
        done = chat.ask(QUESTION)
        assert done["citations"]
        assert key.is_hidden()

        # A key in the fragment (never sent to the server) works from the first question.
        fresh = Chat(context.new_page(), f"{keyed.url}/#key={API_KEY}")
        assert "key=" not in fresh.page.url
        assert fresh.ask(QUESTION)["citations"]
        refused = [e for e in chat.errors if "status of 401" not in e]  # the first try
        assert not refused and not fresh.errors and not chat.dialogs
    finally:
        context.close()


def test_the_api_docs_render_the_operations_offline(browser: Browser, live: LiveServer) -> None:
    context = browser.new_context()
    outside: list[str] = []
    try:
        page = context.new_page()
        local = live.url + "/"
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(local)
                else (outside.append(route.request.url), route.abort())
            ),
        )
        page.goto(f"{live.url}/docs")
        operation = page.locator(".opblock-summary", has_text="/v1/ask").first
        operation.wait_for()
        assert page.locator(".opblock-post .opblock-summary-path", has_text="/v1/ask").count()
        text = page.locator("#swagger-ui").inner_text()
        assert "POST" in text and "/v1/ask" in text
        assert "Unable to render" not in text
        assert page.locator(".opblock").count() >= 8
        assert outside == []
    finally:
        context.close()
