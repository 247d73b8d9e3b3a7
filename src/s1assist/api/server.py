"""Running the app under uvicorn, with a graceful shutdown."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import TYPE_CHECKING

from s1assist.api.app import create_app
from s1assist.api.options import ApiOptions
from s1assist.config import ServerSettings, Settings

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

GRACEFUL_SHUTDOWN_S = 10
"""On SIGTERM or Ctrl-C the port closes at once; requests in flight get this long to finish."""


def server_config(
    app: FastAPI,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    log_level: str = "info",
    configure_logging: bool = True,
    timeouts: ServerSettings | None = None,
) -> uvicorn.Config:
    """How `serve` runs `app`; tests use it too, with `configure_logging=False` so uvicorn
    leaves the test runner's logging alone. `timeouts` gives the slow-client deadlines and
    the keep-alive (the defaults of `ServerSettings` when None)."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from s1assist.api.timeouts import timed_protocol

    timeouts = timeouts or ServerSettings()

    log_config = None
    if configure_logging:
        # Our start-up and error lines go where uvicorn's go. Questions are never logged.
        log_config = copy.deepcopy(LOGGING_CONFIG)
        log_config["loggers"]["s1assist"] = {"handlers": ["default"], "level": log_level.upper()}
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=log_config,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        http=timed_protocol(timeouts.header_timeout_s, timeouts.body_timeout_s),
        timeout_keep_alive=timeouts.keep_alive_s,
        server_header=False,
        proxy_headers=False,
    )


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until SIGTERM/SIGINT; the model loads in the background once the port is open."""
    import uvicorn

    # Requests run side by side in worker threads; intra-op threads on top of them
    # oversubscribe the cores, and spinning threads stall badly (10x on a busy 2-core
    # machine) whenever one is descheduled. So one thread per request, for torch and ONNX.
    options = replace(ApiOptions.from_settings(settings), torch_threads=1)
    model = settings.model.model_copy(update={"query_threads": 1})
    settings = settings.model_copy(update={"model": model})
    app = create_app(settings, options)
    uvicorn.Server(server_config(app, host, port, timeouts=settings.server)).run()
