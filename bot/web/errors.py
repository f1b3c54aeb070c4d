"""The one answer to a store refusal (store.errors.Refused) that a route did not handle itself."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from store.errors import Refused

# The console's page for input it cannot take (bot/console/inputs.py problem_page); handed in by
# bot/main.py, so bot/web never imports the console, which builds on it.
ConsolePage = Callable[[Request, int], Response]


def install(app: FastAPI, console_page: ConsolePage) -> None:
    """Answer every Refused a route lets through (Open311 answers its own, in its own shape)."""

    async def refused(request: Request, exc: Exception) -> Response:
        """The API's error body (409 for a conflict, else 422); under /console its page, 422."""
        assert isinstance(exc, Refused)
        # Console routes show a refusal in their form, so only a slip lands here: never JSON.
        if request.url.path.startswith("/console"):
            return console_page(request, 422)
        detail = [{"field": exc.field, "reason": exc.reason}]
        return JSONResponse({"detail": detail}, status_code=409 if exc.conflict else 422)

    app.add_exception_handler(Refused, refused)
