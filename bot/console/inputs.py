"""What the console accepts: ids in the columns' range, text PostgreSQL can store, and a page in
Chinese (never JSON) when a link or form names nothing or cannot be meant."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Coroutine
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import Form, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile

from bot.web.context import context_of
from store.paging import MAX_ID

# Ids are INTEGER columns: a larger number (even past 64 bits) names nothing, like an unknown id.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
# Tabs and line breaks belong in notes; every other control character (NUL above all, which
# PostgreSQL text cannot hold) belongs in no console field.
_ALLOWED_CONTROLS = frozenset("\t\n\r")
_templates = Jinja2Templates(directory=FilePath(__file__).parent / "templates")


def form_id(value: str) -> int | None:
    """An optional id typed in a form: the id, or None when blank or naming nothing storable."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(MAX_ID)):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def refused_char(value: str) -> bool:
    """True when the text holds a control character (but tab or line break) or a lone surrogate."""
    return any(
        unicodedata.category(char) in ("Cc", "Cs") and char not in _ALLOWED_CONTROLS
        for char in value
    )


async def clean_input(request: Request) -> None:
    """Refuse (422) a query, path or form value no console field can hold, before any handler."""
    values: list[tuple[str, Any]] = [*request.query_params.multi_items()]
    values += list(request.path_params.items())
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        values += (await request.form()).multi_items()  # parsed once already, cached
    for name, value in values:
        if isinstance(value, UploadFile):
            continue
        if refused_char(str(name)) or refused_char(str(value)):
            raise HTTPException(422, detail=[{"field": str(name), "reason": "control character"}])


class ConsoleRoute(APIRoute):
    """A console route: a link naming nothing answers 404 and a value that cannot be meant 422,
    each as a page in Chinese."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, with its refusals shown as console pages."""
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except RequestValidationError as invalid:
                in_path = any(e.get("loc", ("",))[0] == "path" for e in invalid.errors())
                return problem_page(request, 404 if in_path else 422)
            except HTTPException as refused:
                if refused.status_code in (400, 404, 413, 422):
                    return problem_page(request, refused.status_code)
                raise

        return answer


def problem_page(request: Request, status: int) -> Response:
    """The console's page for a link that names nothing (404) or input it cannot take."""
    t = context_of(request).content.console
    found = status != 404
    values = {
        "t": t,
        "me": None,
        "admin": False,
        "csrf": "",
        "title": t.invalid_title if found else t.not_found_title,
        "problem": t.invalid if found else t.not_found,
    }
    response = _templates.TemplateResponse(request, "problem.html", values, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    )
    return response
