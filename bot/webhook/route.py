"""/wechat: URL verification and pushes. Thin: check, hand over, answer in the push's mode."""

from __future__ import annotations

import time

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from bot.web.context import AppContext, context_of
from bot.webhook.handler import Unavailable
from bot.wechat import replies
from bot.wechat.gate import Push, Refused

router = APIRouter()


@router.get("/wechat", response_class=PlainTextResponse, include_in_schema=False)
async def verify(request: Request) -> PlainTextResponse:
    """Answer WeChat's server-configuration check with the echostr, as plain text."""
    return PlainTextResponse(context_of(request).gate.verify_url(request.query_params))


@router.post("/wechat", include_in_schema=False)
async def receive(request: Request) -> Response:
    """Accept one push from WeChat and answer it passively."""
    services = context_of(request)
    limit = services.settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 12 or int(declared) > limit):
        raise Refused(413, "body is too large")
    query = dict(request.query_params)
    services.gate.check_query(query, time.time())
    body = await _read_limited(request, limit)
    push = services.gate.open(query, body)
    try:
        handled = await to_thread.run_sync(
            services.handler.handle, push, services.clock(), limiter=services.db_slots
        )
    except Unavailable:
        return PlainTextResponse("temporarily unavailable", status_code=503)
    return _answer(services, push, handled.reply)


async def _read_limited(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, "body is too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(services: AppContext, push: Push, reply: str | None) -> Response:
    if not reply:
        return PlainTextResponse(replies.SUCCESS)
    fields = push.fields
    to_user, from_user = str(fields["FromUserName"]), str(fields["ToUserName"])
    render = replies.text_reply_json if push.as_json else replies.text_reply_xml
    plain = render(to_user=to_user, from_user=from_user, content=reply)
    media = "application/json" if push.as_json else "application/xml"
    if not push.encrypted or services.gate.crypto is None:
        return Response(plain, media_type=media)
    envelope = replies.encrypt_envelope(
        services.gate.crypto,
        services.settings.wechat_token,
        plain,
        nonce=push.nonce,
        timestamp=str(int(time.time())),
        as_json=push.as_json,
    )
    return Response(envelope, media_type=media)
