"""The GeoReport v2 routes: read the parameters, call one service, answer in JSON or XML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from bot.reports.open311 import access, catalogue, intake, search
from bot.reports.open311.wire import Document, Open311Error, check_format, refuse, render
from bot.web.context import context_of
from bot.web.db import WriteSession

router = APIRouter(prefix="/open311/v2", tags=["open311"], include_in_schema=False)


def _answer(fmt: str, make: Callable[[], Document]) -> Response:
    try:
        check_format(fmt)
        return render(fmt, make())
    except Open311Error as refused:
        return refuse(fmt, refused)


async def _form(request: Request) -> dict[str, str] | None:
    """The posted form's text fields (uploaded files are ignored), or None if unreadable."""
    try:
        form = await request.form()
    except HTTPException:
        return None
    return {name: value for name, value in form.multi_items() if isinstance(value, str)}


Form = Annotated[dict[str, str] | None, Depends(_form)]


@router.get("/services.{fmt}")
def list_services(request: Request, fmt: str, jurisdiction_id: str | None = None) -> Response:
    """Every service: one per report category."""
    content = context_of(request).content.reports
    return _answer(fmt, lambda: Document("services", catalogue.services(content), "service"))


@router.get("/services/{service_code}.{fmt}")
def service_definition(
    request: Request, service_code: str, fmt: str, jurisdiction_id: str | None = None
) -> Response:
    """A service's attributes: the category's questions."""
    content = context_of(request).content.reports
    return _answer(
        fmt, lambda: Document("service_definition", catalogue.definition(content, service_code))
    )


@router.get("/requests.{fmt}")
def list_requests(
    request: Request,
    session: WriteSession,
    fmt: str,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
    jurisdiction_id: str | None = None,
) -> Response:
    """Reports the key may see: the last 90 days unless asked otherwise, newest first."""
    services = context_of(request)
    tz = ZoneInfo(services.settings.timezone)

    def make() -> Document:
        now = services.clock()
        wanted = search.filters(
            services.content, service_request_id=service_request_id,
            service_code=service_code, status=status, start_date=start_date,
            end_date=end_date, now=now, tz=tz,
        )  # fmt: skip
        # The key's last use is recorded, so the session is the request's write session.
        caller = access.caller(session, access.api_key(request), now)
        found = search.find(session, caller.scope, wanted)
        rows = search.described(session, services.content, caller.scope, found, tz)
        return Document("service_requests", rows, "request")

    return _answer(fmt, make)


@router.get("/requests/{service_request_id}.{fmt}")
def one_request(
    request: Request,
    session: WriteSession,
    service_request_id: str,
    fmt: str,
    jurisdiction_id: str | None = None,
) -> Response:
    """One report, as a list of one (as the spec has it)."""
    services = context_of(request)
    tz = ZoneInfo(services.settings.timezone)

    def make() -> Document:
        caller = access.caller(session, access.api_key(request), services.clock())
        found = search.one(session, caller.scope, service_request_id)
        rows = search.described(session, services.content, caller.scope, [found], tz)
        return Document("service_requests", rows, "request")

    return _answer(fmt, make)


@router.post("/requests.{fmt}")
def create_request(request: Request, session: WriteSession, fmt: str, form: Form) -> Response:
    """File a report (form-encoded, as GeoReport clients post it)."""
    services = context_of(request)
    tz = ZoneInfo(services.settings.timezone)

    def make() -> Document:
        if form is None:
            raise Open311Error(400, "request", "not a readable form")
        now = services.clock()
        caller = access.caller(session, access.api_key(request, form), now)
        # Every check comes before the report is filed: a refusal leaves nothing to commit.
        report = intake.file_request(
            session, services.content, caller, form, now=now, tz=tz, sealer=services.sealer
        )
        receipt = {
            "service_request_id": report.reference,
            "service_notice": services.content.reports.open311.received.format(
                reference=report.reference
            ),
            "account_id": None,
        }
        return Document("service_requests", [receipt], "request")

    return _answer(fmt, make)
