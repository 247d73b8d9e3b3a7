"""Milvus Lite for the tests: embedded (a local file) or as its own gRPC server on
127.0.0.1, on a port the OS picked (the server listens on every address unless told)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

READY_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MilvusLiteServer:
    """`with MilvusLiteServer() as server:` gives `server.uri` (http://127.0.0.1:PORT)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="s1assist-milvus-"))
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> MilvusLiteServer:
        program = Path(sys.executable).parent / "milvus-lite"
        log = (self.folder / "server.log").open("wb")
        self.process = subprocess.Popen(
            [str(program), "server", "--data-dir", str(self.folder / "data"),
             "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            assert self.process.poll() is None, (self.folder / "server.log").read_text()
            # The port opens before the server answers gRPC: ready means a client call works.
            if self._answers():
                return self
            assert time.monotonic() < deadline, "milvus-lite server did not start"
            time.sleep(0.2)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                pass
        except OSError:
            return False
        from pymilvus import MilvusClient

        try:
            client = MilvusClient(uri=self.uri, timeout=5)
            client.list_collections()
            client.close()
        except Exception:  # not ready yet: pymilvus raises its own MilvusException
            return False
        return True

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> MilvusLiteServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
