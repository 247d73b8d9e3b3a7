"""What the HTTP edge needs beyond `Settings`: the key, the bounds, the allowed origins."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from s1assist.config import Settings

API_KEY_ENV = "S1ASSIST_API_KEY"
DEFAULT_MAX_CONCURRENT = 8
DEFAULT_MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """Protection settings of one app; `from_env` is how the server builds them."""

    api_key: str | None = None
    """When set, every /v1/* request must carry it (X-API-Key or Authorization: Bearer)."""
    max_concurrent: int = DEFAULT_MAX_CONCURRENT
    """Requests doing model work at once; one more gets 503 with Retry-After, not a queue."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """Larger request bodies get 413."""
    cors_origins: tuple[str, ...] = ()
    """Origins allowed to call the API from a browser; none (CORS closed) by default."""
    retry_after_s: int = 1
    """What a 503 tells the client to wait before trying again."""
    model_threads: int | None = None
    """Threads that run admitted model work at once (None: as many as cores, at most
    `max_concurrent`); the other admitted requests wait for one without holding the GIL."""
    reload_poll_s: float = 2.0
    """Seconds between checks for a newly published index build; 0 never swaps."""
    torch_threads: int | None = None
    """Intra-op threads for the model, set for the whole process at start-up (None: leave
    torch's default). `serve` uses 1: requests already run side by side in threads."""

    def __post_init__(self) -> None:
        if self.max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, not {self.max_concurrent}")
        if self.max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be at least 1, not {self.max_body_bytes}")

    @classmethod
    def from_settings(
        cls, settings: Settings, environ: Mapping[str, str] | None = None
    ) -> ApiOptions:
        """The bounds from `settings.server` when that section exists (defaults otherwise) and
        the key from S1ASSIST_API_KEY (blank means none)."""
        server = getattr(settings, "server", None)
        env = os.environ if environ is None else environ
        key = env.get(API_KEY_ENV, "").strip()
        return cls(
            api_key=key or None,
            max_concurrent=getattr(server, "max_concurrent", DEFAULT_MAX_CONCURRENT),
            max_body_bytes=getattr(server, "max_body_bytes", DEFAULT_MAX_BODY_BYTES),
            cors_origins=tuple(getattr(server, "cors_origins", ())),
            reload_poll_s=getattr(server, "reload_poll_s", 2.0),
        )
