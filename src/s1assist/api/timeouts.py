"""Deadlines for slow clients, which uvicorn's HTTP/1.1 protocol does not have: a request's
headers must be complete within `header_s` of its first byte (or of the connection opening),
its body within `body_s` of its headers. A client that trickles gets 408 and is closed;
idle keep-alive connections stay under uvicorn's own keep-alive timeout."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s"
)


def timed_protocol(header_s: float, body_s: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol with these deadlines (a class, as `uvicorn.Config(http=...)`
    takes one)."""

    class TimedH11Protocol(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._header_timer: asyncio.TimerHandle | None = None
            self._body_timer: asyncio.TimerHandle | None = None
            self._heard = False  # bytes of the pending request's head have arrived

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._header_timer = self.loop.call_later(header_s, self._headers_late)

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:
                self._heard = True
                if self._header_timer is None:
                    self._header_timer = self.loop.call_later(header_s, self._headers_late)
            super().data_received(data)
            self._follow_state()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._follow_state()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_timers()
            super().connection_lost(exc)

        def _follow_state(self) -> None:
            """Disarm the header deadline once a request's head is in; arm the body deadline
            while its body is coming; disarm that when the body is complete."""
            state = self.conn.their_state
            if state is not h11.IDLE and self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
                self._heard = False
            if state is h11.SEND_BODY and self._body_timer is None:
                self._body_timer = self.loop.call_later(body_s, self._body_late)
            elif state is not h11.SEND_BODY and self._body_timer is not None:
                self._body_timer.cancel()
                self._body_timer = None

        def _cancel_timers(self) -> None:
            for timer in (self._header_timer, self._body_timer):
                if timer is not None:
                    timer.cancel()
            self._header_timer = self._body_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
                return
            if self._heard:
                self._refuse(f"the request headers took longer than {header_s:g} s")
            else:
                self.transport.close()  # opened and never used: nothing to answer

        def _body_late(self) -> None:
            self._body_timer = None
            if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
                return
            if self.cycle is not None and not self.cycle.response_started:
                self.cycle.response_started = True  # the app's own answer, if any, is dropped
                self.cycle.disconnected = True
                self.cycle.message_event.set()
                self._refuse(f"the request body took longer than {body_s:g} s")
            else:
                self.transport.close()

        def _refuse(self, detail: str) -> None:
            text = detail.encode()
            self.logger.info("closed a slow client: %s", detail)
            self.transport.write(_TIMED_OUT % (len(text), text))
            self.transport.close()

    return TimedH11Protocol
