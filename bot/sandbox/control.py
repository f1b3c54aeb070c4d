"""/_sandbox: set the scene (followers, windows, templates, faults, clock) and inspect results."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, model_validator

from bot.sandbox.faults import Fault
from bot.sandbox.guard import LoopLock
from bot.sandbox.state import Media, Sandbox

Rate = Field(default=None, ge=0.0, le=1.0)
RATES = ("rate_system_busy", "rate_rate_limited", "rate_timeout")


class FollowerIn(BaseModel):
    openid: str = Field(min_length=1)
    subscribed: bool = True


class InteractionIn(BaseModel):
    openid: str = Field(min_length=1)


class TemplateIn(BaseModel):
    template_id: str = Field(min_length=1)


class ConsentIn(BaseModel):
    openid: str = Field(min_length=1)
    template_id: str = Field(min_length=1)
    accepted: bool = True


class MediaIn(BaseModel):
    media_id: str = Field(min_length=1)
    content_type: str = Field(min_length=1)
    data_base64: str


class RobotIn(BaseModel):
    key: str = Field(min_length=1)


class ClockIn(BaseModel):
    advance_seconds: float = Field(ge=0)


class FaultIn(BaseModel):
    errcode: int | None = None
    errmsg: str | None = None
    timeout: bool = False
    delivered: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> FaultIn:
        if (self.errcode is None) == (not self.timeout):
            raise ValueError('give either "errcode" or "timeout": true')
        if self.delivered and not self.timeout:
            raise ValueError('"delivered" only goes with "timeout"')
        return self


class FaultsIn(BaseModel):
    rate_system_busy: float | None = Rate
    rate_rate_limited: float | None = Rate
    rate_timeout: float | None = Rate
    timeout_seconds: float | None = Field(default=None, ge=0)
    seed: int | None = None
    next: list[FaultIn] | None = None
    expire_tokens: bool = False


def control_router(sandbox: Sandbox, lock: LoopLock) -> APIRouter:
    """Routes under /_sandbox; every change is atomic with respect to the WeChat endpoints."""
    router = APIRouter(prefix="/_sandbox", tags=["sandbox"])

    @router.post("/followers")
    async def followers(body: FollowerIn) -> dict[str, Any]:
        async with lock():
            sandbox.follow(body.openid, body.subscribed)
        return {"ok": True}

    @router.post("/interactions")
    async def interactions(body: InteractionIn) -> dict[str, Any]:
        async with lock():
            sandbox.interact(body.openid)
        return {"ok": True}

    @router.post("/templates")
    async def templates(body: TemplateIn) -> dict[str, Any]:
        async with lock():
            sandbox.templates.add(body.template_id)
        return {"ok": True}

    @router.post("/consents")
    async def consents(body: ConsentIn) -> dict[str, Any]:
        async with lock():
            sandbox.consents[(body.openid, body.template_id)] = body.accepted
        return {"ok": True}

    @router.post("/media")
    async def media(body: MediaIn) -> dict[str, Any]:
        try:
            data = base64.b64decode(body.data_base64, validate=True)
        except binascii.Error as exc:
            raise HTTPException(422, "data_base64 is not valid base64") from exc
        async with lock():
            sandbox.media[body.media_id] = Media(body.content_type, data, sandbox.now())
        return {"ok": True}

    @router.post("/robots")
    async def robots(body: RobotIn) -> dict[str, Any]:
        async with lock():
            sandbox.add_robot(body.key)
        return {"ok": True}

    @router.post("/clock")
    async def clock(body: ClockIn) -> dict[str, Any]:
        async with lock():
            now = sandbox.advance(body.advance_seconds)
        return {"now": now}

    @router.get("/clock")
    async def read_clock() -> dict[str, Any]:
        return {"now": sandbox.now()}

    @router.post("/faults")
    async def faults(body: FaultsIn) -> dict[str, Any]:
        rates = body.model_dump(
            include={*RATES, "timeout_seconds"},
            exclude_none=True,
        )
        if "seed" in body.model_fields_set:
            rates["seed"] = body.seed
        async with lock():
            merged = {**sandbox.faults.describe(), **rates}
            total = sum(
                merged[k] for k in ("rate_system_busy", "rate_rate_limited", "rate_timeout")
            )
            if total > 1:
                raise HTTPException(422, "the fault rates add up to more than 1")
            sandbox.faults.configure(**rates)
            if body.next is not None:
                sandbox.faults.queue.clear()
                sandbox.faults.queue.extend(Fault(**f.model_dump()) for f in body.next)
            if body.expire_tokens:
                sandbox.expire_tokens()
            return sandbox.faults.describe()

    @router.get("/messages")
    async def messages(
        touser: str | None = None, channel: str | None = None, key: str | None = None
    ) -> list[dict[str, Any]]:
        async with lock():
            return sandbox.find_messages(touser, channel, key)

    @router.get("/calls")
    async def calls() -> dict[str, int]:
        async with lock():
            return dict(sandbox.calls)

    @router.get("/menu")
    async def menu() -> dict[str, Any]:
        return {"menu": sandbox.menu}

    @router.post("/reset")
    async def reset() -> dict[str, Any]:
        async with lock():
            sandbox.reset()
        return {"ok": True}

    return router
