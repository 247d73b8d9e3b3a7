"""`s1assist chat` in a pseudo-terminal, as a person types: the arrow keys edit the line,
Up brings back the previous question, answers wrap to the terminal, and an abstention does
not claim documents it does not cite."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from s1assist.cli import render_answer
from s1assist.config import Settings
from s1assist.index import LoadedIndex
from s1assist.sessions.sqlite import SqliteSessionStore

if TYPE_CHECKING:
    from s1assist.chat import Assistant

COLUMNS = 60
PROMPT = b"you> "
LEFT, UP, END = b"\x1b[D", b"\x1b[A", b"\x1b[F"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")


class Terminal:
    """A child process on a pseudo-terminal of COLUMNS columns."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, COLUMNS, 0, 0))
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
        )
        os.close(slave)
        self.output = b""

    def read_until(self, marker: bytes, timeout: float = 120.0) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self.output:
            assert time.monotonic() < deadline, f"no {marker!r} in {self.output[-400:]!r}"
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    break
        head, _, tail = self.output.partition(marker)
        self.output = tail
        return head + marker

    def type(self, *keys: bytes) -> None:
        for key in keys:
            os.write(self.master, key)
            time.sleep(0.05)  # one key at a time, as a person types

    def close(self) -> int:
        self.type(b"\x04")  # Ctrl-D on an empty line leaves
        code = self.process.wait(timeout=30)
        os.close(self.master)
        return code


def plain(raw: bytes) -> str:
    return ANSI.sub("", raw.decode("utf-8", "replace"))


@pytest.mark.slow
def test_arrow_keys_edit_and_up_recalls_the_previous_question(
    built_index: LoadedIndex,
    settings: Settings,
    cli_path: Path,
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    env = {
        **cli_env,
        "TERM": "xterm",
        "S1ASSIST_PATHS__DATA": str(tmp_path),
        "S1ASSIST_MODEL__ONNX_CACHE": str(settings.model.onnx_cache.resolve()),
    }
    argv = [str(cli_path), "chat", "--index", str(settings.paths.index)]
    terminal = Terminal(argv, env)
    terminal.read_until(PROMPT)
    # "on MRI", then three steps left, "an ", then End and "?": "on an MRI?"
    terminal.type(b"Does SI joint pain show on MRI", *[LEFT] * 3, b"an ", END, b"?\r")
    first = plain(terminal.read_until(PROMPT))
    terminal.type(UP, b"\r")
    second = plain(terminal.read_until(PROMPT))
    assert terminal.close() == 0

    session = re.findall(r"\(session (\w+)\)", first)[-1]
    questions = SqliteSessionStore(tmp_path / "sessions.sqlite3").questions(session)
    assert questions == ["Does SI joint pain show on an MRI?"] * 2
    assert "Sources" in first and "[1]" in first
    answer_lines = [line for line in first.split("\n") if line and "you>" not in line]
    assert max(len(line) for line in answer_lines) <= COLUMNS
    assert "(session" in second


def test_an_abstention_ends_without_documents_cited(assistant: Assistant) -> None:
    answer = assistant.answer("What is the capital of Peru?", [])
    assert answer.abstained and not answer.citations
    shown = render_answer(answer, 50)
    assert "documents cited" not in shown
    assert shown.rstrip().endswith(f"(session {answer.session_id})")


def test_an_answer_wraps_on_words_to_the_width(assistant: Assistant) -> None:
    answer = assistant.answer("Can S1 impingement cause sciatica?", [])
    shown = render_answer(answer, 50)
    assert "documents cited" in shown
    assert max(len(line) for line in shown.split("\n")) <= 50
    words = set(answer.answer.split())
    assert words <= set(shown.split())  # no word was cut in two
