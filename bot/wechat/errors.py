"""WeChat API errors as exceptions, mapped from errcode in one place."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import httpx


class WeChatAPIError(Exception):
    """WeChat refused a call (errcode, errmsg); errcode is None when no answer came."""

    codes: ClassVar[tuple[int, ...]] = ()
    # Whether the same call may succeed later unchanged (the delivery worker backs off).
    retryable: ClassVar[bool] = False

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"{errcode}: {errmsg}" if errcode is not None else errmsg)


class SystemBusy(WeChatAPIError):
    """-1: WeChat is busy; retry with backoff."""

    codes = (-1,)
    retryable = True


class TokenInvalid(WeChatAPIError):
    """The access token is invalid, not the latest, or expired."""

    codes = (40001, 40014, 42001)


class InvalidCredentials(WeChatAPIError):
    """The appid or app secret is wrong (token endpoints)."""

    codes = (40013, 40125)


class InvalidOpenId(WeChatAPIError):
    """The openid is malformed or belongs to another account."""

    codes = (40003,)


class InvalidMedia(WeChatAPIError):
    """The media id is unknown or the temporary media has expired."""

    codes = (40007,)


class InvalidTemplate(WeChatAPIError):
    """The template id is not one of the account's templates."""

    codes = (40037,)


class InvalidMenu(WeChatAPIError):
    """The menu breaks WeChat's rules (button count, type, name, key or url size)."""

    codes = (40016, 40017, 40018, 40019, 40020, 40023, 40024, 40025, 40026, 40027)


class NotFollowing(WeChatAPIError):
    """The resident does not follow the account (or never did)."""

    codes = (43004,)


class ConsentMissing(WeChatAPIError):
    """The resident has not accepted this subscription-notification template."""

    codes = (43101,)


class ContentTooLong(WeChatAPIError):
    """The message content is over WeChat's size limit."""

    codes = (45002,)


class RateLimited(WeChatAPIError):
    """A frequency or daily quota is reached; retry later."""

    codes = (45009,)
    retryable = True


class WindowClosed(WeChatAPIError):
    """The 48-hour customer-service window is closed (or the resident unfollowed)."""

    codes = (45015,)


class QuotaUsed(WeChatAPIError):
    """The customer-service messages allowed in this window are used up."""

    codes = (45047,)


class NotAuthorised(WeChatAPIError):
    """The account may not call this API (unverified or personal account)."""

    codes = (48001,)


class RobotKeyInvalid(WeChatAPIError):
    """The WeCom group robot's webhook key is wrong or the robot was removed."""

    codes = (93000,)


class WeChatTimeout(WeChatAPIError):
    """No answer in time, or the connection failed: the call may or may not have taken effect."""

    retryable = True

    def __init__(self, errmsg: str) -> None:
        super().__init__(None, errmsg)


class BadAnswer(WeChatAPIError):
    """An answer that is not WeChat's JSON (an HTTP error page from a proxy, say)."""

    retryable = True

    def __init__(self, errmsg: str) -> None:
        super().__init__(None, errmsg)


_BY_CODE: dict[int, type[WeChatAPIError]] = {
    code: cls
    for cls in (
        SystemBusy,
        TokenInvalid,
        InvalidCredentials,
        InvalidOpenId,
        InvalidMedia,
        InvalidTemplate,
        InvalidMenu,
        NotFollowing,
        ConsentMissing,
        ContentTooLong,
        RateLimited,
        WindowClosed,
        QuotaUsed,
        NotAuthorised,
        RobotKeyInvalid,
    )
    for code in cls.codes
}


def error_for(errcode: int, errmsg: str) -> WeChatAPIError:
    """The exception for a WeChat errcode (the base class for codes without their own)."""
    return _BY_CODE.get(errcode, WeChatAPIError)(errcode, errmsg)


def checked(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a WeChat answer; raises its error when errcode is not 0."""
    if response.status_code != 200:
        raise BadAnswer(f"HTTP {response.status_code} from {response.request.url.path}")
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise BadAnswer(f"not JSON from {response.request.url.path}") from exc
    if not isinstance(body, dict):
        raise BadAnswer(f"not a JSON object from {response.request.url.path}")
    errcode = body.get("errcode", 0)
    if errcode != 0:
        raise error_for(int(errcode), str(body.get("errmsg", "")))
    return body


@contextmanager
def transport_errors(what: str) -> Iterator[None]:
    """Turn httpx timeouts and connection failures (and an expired deadline) into WeChatTimeout."""
    try:
        yield
    except TimeoutError as exc:
        raise WeChatTimeout(f"{what}: no answer in time") from exc
    except httpx.TimeoutException as exc:
        raise WeChatTimeout(f"{what}: {type(exc).__name__}") from exc
    except httpx.TransportError as exc:
        raise WeChatTimeout(f"{what}: {type(exc).__name__}") from exc
