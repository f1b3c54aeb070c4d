"""The ASGI app: `bot.main:app`, built by `create_app(settings)`."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from anyio import CapacityLimiter
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine as Database
from starlette.exceptions import HTTPException

from bot.api import applications as applications_api
from bot.api import households as households_api
from bot.api import outbox as outbox_api
from bot.api import places as places_api
from bot.api import problems as api_problems
from bot.api import report_reveal as reveal_api
from bot.api import reports as reports_api
from bot.api import residents as residents_api
from bot.api import reviews as reviews_api
from bot.api import staff as staff_api
from bot.console import applications as console_applications
from bot.console import bindings as console_bindings
from bot.console import broadcasts as console_broadcasts
from bot.console import campaigns as console_campaigns
from bot.console import census as console_census
from bot.console import places as console_places
from bot.console import registry_conflicts, registry_import
from bot.console import registry_exports as console_exports
from bot.console import report_reveal as console_reveal
from bot.console import reports as console_reports
from bot.console import residents as console_residents
from bot.console import review_record as console_review_record
from bot.console import reviews as console_reviews
from bot.console import routes as console
from bot.console import self_reports as console_self_reports
from bot.console import service_demand as console_demand
from bot.console import tokens as console_tokens
from bot.console import unmatched as console_unmatched
from bot.console import visits as console_visits
from bot.console.inputs import problem_page
from bot.reports.open311 import routes as open311
from bot.understanding.provider import MatcherProvider
from bot.web import docs, errors, logs
from bot.web.auth import NotSignedIn
from bot.web.context import AppContext
from bot.web.no_store import NoStore
from bot.webhook import route as webhook
from bot.webhook.handler import PushHandler
from bot.wechat.gate import Gate, Refused
from config.content import load_content
from config.settings import Env, Settings, get_settings
from flows.registry import build_engine, build_flows
from flows.steps import Flow
from store.db import make_engine, ping
from store.sealing import Sealer

log = logging.getLogger("linli")


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    flows: Sequence[Flow] | None = None,
) -> FastAPI:
    """Build the app for these settings (read from the environment when not given).

    `database` and `flows` replace the configured ones (tests use both).
    """
    settings = settings or get_settings()
    logs.install()
    services = build_context(settings, database, flows)
    if settings.env is not Env.production:
        _warn_not_production(settings)
    # The sandbox and the simulator read and speak as any resident: never next to a real account.
    demo = settings.env is Env.demo and settings.simulator_enabled
    app = FastAPI(
        title="Linli 邻里",
        version="0.1.0",
        lifespan=_demo_lifespan if demo else None,
        docs_url=None,  # bot.docs serves /docs from the app's own files
        redoc_url=None,
        openapi_url=None,  # and /openapi.json, both staff-only in production
    )
    docs.install(app)
    app.add_middleware(NoStore)
    app.state.services = services
    if demo:
        from bot.demo.runtime import attach_sandbox

        attach_sandbox(app, services)
    app.include_router(webhook.router)
    app.include_router(outbox_api.router)
    app.include_router(staff_api.router)
    app.include_router(places_api.router)
    app.include_router(reports_api.router)
    app.include_router(reveal_api.router)
    app.include_router(residents_api.router)
    app.include_router(households_api.router)
    app.include_router(applications_api.router)
    app.include_router(reviews_api.router)
    app.include_router(console.public)
    app.include_router(console.router)
    app.include_router(console_places.router)
    app.include_router(console_tokens.router)
    app.include_router(console_reveal.router)  # before console_reports' /{action} catch-all
    app.include_router(console_reports.router)
    # The residents registry's pages.
    app.include_router(console_exports.router)
    app.include_router(console_census.router)
    app.include_router(registry_import.router)
    app.include_router(registry_conflicts.router)
    app.include_router(console_bindings.router)
    app.include_router(console_self_reports.router)
    app.include_router(console_campaigns.router)
    app.include_router(console_broadcasts.router)
    app.include_router(console_demand.router)  # before /console/applications/{reference}
    app.include_router(console_applications.router)
    app.include_router(console_unmatched.router)
    # 年审: the tracker, a record, the call list, the day's visits.
    app.include_router(console_reviews.router)
    app.include_router(console_review_record.router)
    app.include_router(console_visits.router)
    # residents pages after any /console/residents/<word> page: /{resident_id} takes any word
    app.include_router(console_residents.router)
    app.include_router(open311.router)
    if settings.simulator_enabled:
        from bot.simulator import routes as simulator

        app.include_router(simulator.router)

    app.add_exception_handler(HTTPException, api_problems.answer)
    errors.install(app, problem_page)

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/console"):
            return RedirectResponse("/console/login", status_code=303)
        detail = [{"field": "authorization", "reason": "sign in, or send a Bearer API token"}]
        return JSONResponse({"detail": detail}, status_code=401)

    @app.exception_handler(Refused)
    async def _refused(_request: Request, exc: Refused) -> PlainTextResponse:
        log.info("push refused (%s): %s", exc.status, exc.reason)
        return PlainTextResponse(exc.reason, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        try:
            ping(services.database)
        except Exception:
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return app


def _warn_not_production(settings: Settings) -> None:
    """Say loudly, in the log and on stderr, that this is not a production set-up."""
    if settings.simulator_enabled:
        simulator = (
            "/simulator lets anyone read and send any resident's messages without signing in"
        )
    else:
        simulator = "the simulator is off because LINLI_WECHAT_APP_SECRET is set (a real account)"
    banner = (
        f"WARNING: LINLI_ENV={settings.env.value}: NOT FOR REAL RESIDENTS. Placeholder and weak "
        f"secrets are accepted; {simulator}. On a server set LINLI_ENV=production."
    )
    log.warning(banner)
    print(banner, file=sys.stderr, flush=True)


def build_context(
    settings: Settings, database: Database | None = None, flows: Sequence[Flow] | None = None
) -> AppContext:
    """Build everything from settings; bad content raises ContentError here, at start-up."""
    content = load_content(settings.content_dir)
    database = database or make_engine(settings.database_url, pool_size=settings.db_pool_size)
    # The front door's matcher, rebuilt when staff add a synonym (the overlay file, which stops
    # start-up when bad, like content); it reads only the flows' words.
    worded = build_flows(content) if flows is None else tuple(flows)
    understanding = MatcherProvider(content, settings.overlay_path, worded)
    engine = build_engine(
        content, timeout_minutes=settings.conversation_timeout_minutes, flows=flows,
        matcher=understanding,
    )  # fmt: skip
    window = timedelta(seconds=settings.wechat_max_clock_skew or 300) * 2
    sealer = Sealer(settings.data_key, settings.previous_data_key_list)
    handler = PushHandler(
        database, engine, content, replay_window=window, tz=ZoneInfo(settings.timezone),
        sealer=sealer,
    )  # fmt: skip
    slots = CapacityLimiter(settings.db_pool_size)
    return AppContext(settings, content, database, engine, Gate(settings), handler, sealer, slots,
                      understanding)  # fmt: skip


def _field(loc: tuple[object, ...]) -> str:
    """The name of the field an error is about ('body' for a body that is not valid JSON)."""
    names = [str(part) for part in loc[1:] if not isinstance(part, int)]
    return ".".join(names) or str(loc[0])


@asynccontextmanager
async def _demo_lifespan(app: FastAPI) -> AsyncIterator[None]:
    from bot.demo.runtime import running

    async with running(app):
        yield


def __getattr__(name: str) -> Any:
    # `bot.main:app` is built on first access, so importing this module has no side effects.
    if name == "app":
        globals()["app"] = create_app()
        return globals()["app"]
    raise AttributeError(name)
