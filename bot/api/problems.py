"""The API's error body, {"detail": [{"field", "reason"}]}, as the OpenAPI description shows it."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

WHY = {
    400: "The body could not be read (not UTF-8 or not JSON)",
    401: "No valid session or API token",
    403: "Signed in, but not allowed (admins only)",
    404: "Not found, or in a committee the caller may not see",
    409: "The change does not fit the object's current state",
    422: "A field is missing or wrong",
}


class Problem(BaseModel):
    """One thing wrong with a request: which field, and why."""

    field: str
    reason: str


class Problems(BaseModel):
    """Every 4xx answer of the API."""

    detail: list[Problem]


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route or router that can answer with these 4xx codes."""
    return {code: {"model": Problems, "description": WHY[code]} for code in codes}


async def answer(request: Request, exc: HTTPException) -> Response:
    """Put FastAPI's plain-string errors under /api/ (e.g. an unreadable body) in that shape."""
    if not request.url.path.startswith("/api/") or isinstance(exc.detail, list):
        return await http_exception_handler(request, exc)
    detail = [{"field": "request", "reason": str(exc.detail)}]
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)
