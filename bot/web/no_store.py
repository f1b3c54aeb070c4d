"""`Cache-Control: no-store` on every answer that may carry personal data: the JSON API,
Open311, the console's pages and its XLSX and CSV exports, the API's schema."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PERSONAL = ("/api/", "/open311/", "/console", "/docs", "/openapi.json")
STATIC = "/static/"  # style sheets and scripts carry nothing personal and may be cached


def personal(path: str) -> bool:
    """True for a path whose answers must never be kept by a browser or proxy."""
    return path.startswith(PERSONAL) and STATIC not in path


class NoStore:
    """ASGI middleware: adds no-store where a route has not set its own Cache-Control (photos
    keep theirs: `private, no-store`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; mark the answer's headers on the way out."""
        if scope["type"] != "http" or not personal(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, marked)
