"""The WeChat API endpoints of the sandbox, answering the way WeChat does (errors are HTTP 200)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.sandbox.errors import SandboxError
from bot.sandbox.guard import LoopLock
from bot.sandbox.state import Sandbox

log = logging.getLogger("linli.sandbox")

Work = Callable[[], dict[str, Any] | Response]


def _json_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise SandboxError(44002)
    try:
        body = json.loads(raw.decode())
    except (UnicodeDecodeError, ValueError) as exc:
        raise SandboxError(47001) from exc
    if not isinstance(body, dict):
        raise SandboxError(47001)
    return body


def _run(work: Work) -> dict[str, Any] | Response:
    try:
        return work()
    except SandboxError as exc:
        return exc.body()
    except Exception:
        # WeChat answers its own failures with errcode -1, never an HTTP 500.
        log.exception("sandbox endpoint failed")
        return SandboxError(-1).body()


def wechat_router(sandbox: Sandbox, lock: LoopLock) -> APIRouter:
    """Routes for the WeChat and WeCom endpoints Linli calls."""
    router = APIRouter(include_in_schema=False)

    async def answer(name: str, work: Work, *, faulty: bool = False) -> Response:
        async with lock():
            sandbox.calls[name] += 1
            fault = sandbox.faults.draw() if faulty else None
            delay = sandbox.faults.timeout_seconds
            outcome = _run(work) if fault is None or fault.delivered else None
        if fault is not None and fault.timeout:
            # Outside the lock, so the sandbox keeps answering other calls meanwhile.
            await asyncio.sleep(delay)
        if outcome is None:
            assert fault is not None
            code = -1 if fault.timeout or fault.errcode is None else fault.errcode
            outcome = SandboxError(code, fault.errmsg).body()
        return outcome if isinstance(outcome, Response) else JSONResponse(outcome)

    def with_token(request: Request, then: Callable[[], Any]) -> Work:
        def work() -> Any:
            sandbox.check_token(request.query_params.get("access_token"))
            return then()

        return work

    @router.get("/cgi-bin/token")
    async def token(request: Request) -> Response:
        q = request.query_params

        def work() -> dict[str, Any]:
            sandbox.check_credentials(q.get("appid"), q.get("secret"), q.get("grant_type"))
            return sandbox.plain_token()

        return await answer("token", work)

    @router.post("/cgi-bin/stable_token")
    async def stable_token(request: Request) -> Response:
        raw = await request.body()

        def work() -> dict[str, Any]:
            body = _json_body(raw)
            sandbox.check_credentials(body.get("appid"), body.get("secret"), body.get("grant_type"))
            return sandbox.stable_token(body.get("force_refresh") is True)

        return await answer("stable_token", work)

    def sender(path: str, name: str, send: Callable[[dict[str, Any], str], dict[str, Any]]):
        @router.post(path, name=name)
        async def endpoint(request: Request) -> Response:
            raw = await request.body()

            def then() -> dict[str, Any]:
                return send(_json_body(raw), raw.decode(errors="replace"))

            return await answer(name, with_token(request, then), faulty=True)

    sender("/cgi-bin/message/custom/send", "custom", sandbox.send_custom)
    sender("/cgi-bin/message/template/send", "template", sandbox.send_template)
    sender("/cgi-bin/message/subscribe/bizsend", "subscribe", sandbox.send_subscription)

    @router.get("/cgi-bin/media/get")
    async def media(request: Request) -> Response:
        def then() -> Response:
            found = sandbox.get_media(request.query_params.get("media_id"))
            return Response(found.data, media_type=found.content_type)

        return await answer("media", with_token(request, then))

    @router.get("/cgi-bin/user/info")
    async def user_info(request: Request) -> Response:
        work = with_token(request, lambda: sandbox.user_info(request.query_params.get("openid")))
        return await answer("user_info", work)

    @router.post("/cgi-bin/menu/create")
    async def menu(request: Request) -> Response:
        raw = await request.body()
        work = with_token(request, lambda: sandbox.create_menu(_json_body(raw)))
        return await answer("menu", work)

    @router.post("/cgi-bin/webhook/send")
    async def robot(request: Request) -> Response:
        raw = await request.body()
        key = request.query_params.get("key")

        def work() -> dict[str, Any]:
            return sandbox.send_robot(key, _json_body(raw), raw.decode(errors="replace"))

        return await answer("robot", work, faulty=True)

    return router
