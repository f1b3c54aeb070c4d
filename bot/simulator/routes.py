"""/simulator: chat with Linli as a resident, through the real /wechat path (demo and dev only)."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any, Literal

import httpx
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from bot.demo import runtime as demo
from bot.sandbox.pusher import Pusher
from bot.simulator.photo import sample_png
from bot.web.context import AppContext, context_of
from store.inbound.models import InboundMessage
from store.residents import history as simulator_queries

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_FILES = {"simulator.js": "text/javascript", "simulator.css": "text/css"}
OPENID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
HISTORY_LIMIT = 50

DEMO_NAMES = {"demo-zhang": "张阿姨", "demo-li": "李伯伯", "demo-wang": "小王"}
LABELS = {
    "image": "[图片]",
    "location": "[位置]",
    "voice": "[语音]",
    "subscribe": "[关注]",
    "subscribe_scan": "[扫码关注]",
    "unsubscribe": "[取消关注]",
    "event": "[事件]",
}

# Everything the page loads comes from this app: government intranets have no internet.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

router = APIRouter(prefix="/simulator", include_in_schema=False)
templates = Jinja2Templates(directory=HERE / "templates")


class Send(BaseModel):
    """One thing a resident does in the simulator."""

    model_config = ConfigDict(extra="forbid")

    openid: str = Field(pattern=OPENID_PATTERN)
    kind: Literal["text", "voice", "image", "location", "subscribe", "unsubscribe"]
    text: str = Field(default="", max_length=2000, validate_default=True)
    lat: float | None = Field(
        default=None, ge=-90, le=90, allow_inf_nan=False, strict=True, validate_default=True
    )
    lng: float | None = Field(
        default=None, ge=-180, le=180, allow_inf_nan=False, strict=True, validate_default=True
    )
    label: str = Field(default="", max_length=200)

    @field_validator("text", "label")
    @classmethod
    def _fits_in_xml(cls, value: str) -> str:
        if any(_xml_unsafe(ch) for ch in value):
            raise ValueError("contains control characters")
        return value

    @field_validator("text")
    @classmethod
    def _text_needed(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("kind") == "text" and not value.strip():
            raise ValueError("a text message needs text")
        return value

    @field_validator("lat", "lng")
    @classmethod
    def _place_needed(cls, value: float | None, info: ValidationInfo) -> float | None:
        if info.data.get("kind") == "location" and value is None:
            raise ValueError("a location needs lat and lng")
        return value


def _xml_unsafe(ch: str) -> bool:
    code = ord(ch)
    return (
        (code < 0x20 and ch not in "\t\n\r") or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF)
    )


def _base(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/") + router.prefix


@router.get("", response_class=HTMLResponse)
def page(request: Request) -> HTMLResponse:
    """The chat page."""
    response = templates.TemplateResponse(request, "simulator.html", {"base": _base(request)})
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    """The page's script and style sheet (only these, never other files)."""
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        raise HTTPException(404, "not found")
    return FileResponse(
        STATIC / name,
        media_type=media_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
    )


@router.get("/api/residents")
def residents(request: Request) -> list[dict[str, Any]]:
    """Known residents, most recently seen first."""
    with Session(context_of(request).database) as session:
        rows = simulator_queries.residents(session)
    return [
        {"openid": openid, "name": display_name(openid), "subscribed": subscribed}
        for openid, subscribed in rows
    ]


@router.get("/api/history")
def history(request: Request, openid: str = Query(pattern=OPENID_PATTERN)) -> list[dict[str, Any]]:
    """The last messages of one resident, oldest first, with Linli's replies."""
    with Session(context_of(request).database) as session:
        rows = simulator_queries.recent_messages(session, openid, HISTORY_LIMIT)
    return [
        {
            "at": row.received_at.isoformat(),
            "kind": _kind(row),
            "text": _summary(row),
            "reply": row.reply,
        }
        for row in rows
    ]


@router.get("/api/outbound")
async def outbound(
    request: Request,
    openid: str = Query(pattern=OPENID_PATTERN),
    after: int = Query(default=0, ge=0),
) -> list[dict[str, Any]]:
    """Messages Linli sent the resident outside replies (demo: as the sandbox received them)."""
    received = await demo.sent_to(request.app, openid)
    return [
        {"id": item["id"], "at": item["at"], "channel": item["channel"],
         "text": _outbound_text(item)}
        for item in received
        if item["id"] > after
    ]  # fmt: skip


def _outbound_text(item: dict[str, Any]) -> str:
    payload = item.get("payload") or {}
    if item.get("channel") == "custom":
        return str((payload.get("text") or {}).get("content", ""))
    data = payload.get("data") or {}
    return "\n".join(str(v.get("value", "")) for v in data.values() if isinstance(v, dict))


@router.post("/api/send")
async def send(request: Request, body: Send) -> dict[str, Any]:
    """Push one message or event to /wechat exactly as WeChat would, and return the reply."""
    settings = context_of(request).settings
    pusher = Pusher(
        token=settings.wechat_token, app_id=settings.wechat_app_id, aes_key=settings.wechat_aes_key
    )
    fields = await _fields(request, pusher, body)
    await demo.tell_sandbox(request.app, body.kind, body.openid)
    pushed = pusher.build(fields)
    transport = httpx.ASGITransport(app=request.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://linli.local") as client:
        response = await client.post(
            "/wechat",
            params=pushed.params,
            content=pushed.body,
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
    if response.status_code != 200:
        return {"status": response.status_code, "reply": None, "error": response.text[:500]}
    try:
        reply = pusher.read_reply(response.text)
    except ValueError as exc:
        return {"status": response.status_code, "reply": None, "error": f"bad reply: {exc}"}
    content = reply.get("Content") if reply else None
    return {"status": response.status_code, "reply": content, "error": None}


async def _fields(request: Request, pusher: Pusher, body: Send) -> dict[str, Any]:
    openid = body.openid
    if body.kind == "text":
        return pusher.text(openid, body.text)
    if body.kind == "voice":
        return pusher.voice(openid, body.text)
    if body.kind == "image":
        # As WeChat does, the sandbox holds the photo the message's media id points at.
        media_id = "sim_" + secrets.token_hex(8)
        await demo.hold_media(request.app, media_id, sample_png(seed=len(media_id) * 7))
        return pusher.image(openid, media_id=media_id)
    if body.kind == "location":
        assert body.lat is not None and body.lng is not None
        return pusher.location(openid, body.lat, body.lng, body.label)
    # WeChat dedups events on FromUserName + CreateTime, so a quick unsubscribe and
    # re-subscribe in one second would look like a retry; give each event its own second.
    at = int(time.time())
    last = await run_in_threadpool(_last_event_at, context_of(request), openid)
    if last is not None and at <= last:
        at = last + 1
    return pusher.event(openid, body.kind, at=at)


def _last_event_at(services: AppContext, openid: str) -> int | None:
    with Session(services.database) as session:
        last = simulator_queries.last_event_at(session, openid)
    return int(last.timestamp()) if last is not None else None


def display_name(openid: str) -> str:
    """A demo resident's name, or the last six characters of the openid."""
    return DEMO_NAMES.get(openid, openid[-6:])


def _kind(row: InboundMessage) -> str:
    return (row.event or "event") if row.msg_type == "event" else row.msg_type


def _summary(row: InboundMessage) -> str:
    fields = row.fields or {}
    kind = _kind(row)
    if kind == "text":
        return str(fields.get("Content") or "")
    if kind == "voice":
        return str(fields.get("Recognition") or LABELS["voice"])
    if kind == "location":
        label = str(fields.get("Label") or "")
        place = label or f"{fields.get('Location_X', '')},{fields.get('Location_Y', '')}"
        return f"{LABELS['location']} {place}"
    if kind in LABELS:
        return LABELS[kind]
    if row.msg_type == "event":
        return f"{LABELS['event']} {kind}"
    return f"[{kind}]"
