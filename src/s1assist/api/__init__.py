"""The HTTP API and chat page: `create_app(settings)` builds the app, `serve` runs it."""

from s1assist.api.app import create_app
from s1assist.api.options import ApiOptions
from s1assist.api.server import serve

__all__ = ["ApiOptions", "create_app", "serve"]
