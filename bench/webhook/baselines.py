"""The two baselines Linli is measured against: `bare` and a wechatpy `echo`, both on /wechat."""

from __future__ import annotations

import os

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

bare = FastAPI()


@bare.post("/wechat")
async def bare_receive() -> PlainTextResponse:
    """Answer every push with `success`, without reading it."""
    return PlainTextResponse("success")


@bare.get("/healthz")
async def bare_health() -> dict[str, str]:
    """Readiness probe for the runner."""
    return {"status": "ok"}


echo = FastAPI()
_TOKEN = os.environ.get("LINLI_WECHAT_TOKEN", "")
_CRYPTO = WeChatCrypto(
    _TOKEN,
    os.environ.get("LINLI_WECHAT_AES_KEY", "a" * 43),
    os.environ.get("LINLI_WECHAT_APP_ID", ""),
)


@echo.post("/wechat")
async def echo_receive(request: Request) -> Response:
    """Check both signatures, decrypt, parse, reply with the same text, encrypt; store nothing."""
    query = request.query_params
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    try:
        check_signature(_TOKEN, query.get("signature", ""), timestamp, nonce)
        plain = _CRYPTO.decrypt_message(
            await request.body(), query.get("msg_signature", ""), timestamp, nonce
        )
    except InvalidSignatureException:
        return PlainTextResponse("signature does not match", status_code=403)
    message = parse_message(plain)
    reply = create_reply(getattr(message, "content", "") or "success", message)
    return Response(
        _CRYPTO.encrypt_message(reply.render(), nonce, timestamp), media_type="application/xml"
    )


@echo.get("/healthz")
async def echo_health() -> dict[str, str]:
    """Readiness probe for the runner."""
    return {"status": "ok"}
