"""GET /docs: Swagger UI 5 served from the fastapi-offline package, not from a CDN.

Swagger UI 5 reads the OpenAPI 3.1 document FastAPI emits (4.x refuses it as having no
valid version field).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"


def assets_folder() -> Path:
    """The Swagger UI build shipped inside the fastapi-offline wheel."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def install_docs(app: FastAPI) -> None:
    """Interactive API docs that work on a machine with no internet access."""
    app.mount(ASSETS, StaticFiles(directory=assets_folder()), "docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="s1assist API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )
