"""The custom-menu rules WeChat checks on /cgi-bin/menu/create."""

from __future__ import annotations

from typing import Any

from bot.sandbox.errors import SandboxError

TOP_BUTTONS = (1, 3)
SUB_BUTTONS = (1, 5)
TOP_NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024
# Types that need a key, and types that need a url; the rest of WeChat's types need neither here.
KEYED = {"click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album"}
KEYED |= {"pic_weixin", "location_select"}
LINKED = {"view"}
OTHER = {"media_id", "view_limited", "article_id", "article_view_limited", "miniprogram"}

# Error codes from WeChat's global return-code list: top-level and sub-menu buttons each have
# their own code for a bad count, type, name, key and url.
TOP = {"type": 40017, "name": 40018, "key": 40019, "url": 40020}
SUB = {"type": 40024, "name": 40025, "key": 40026, "url": 40027}


def _size(value: Any) -> int:
    return len(value.encode()) if isinstance(value, str) else -1


def _check_button(button: Any, codes: dict[str, int], name_limit: int) -> None:
    if not isinstance(button, dict):
        raise SandboxError(47001)
    if not 0 < _size(button.get("name")) <= name_limit:
        raise SandboxError(codes["name"])
    kind = button.get("type")
    if kind in KEYED and not 0 < _size(button.get("key")) <= KEY_BYTES:
        raise SandboxError(codes["key"])
    if kind in LINKED and not 0 < _size(button.get("url")) <= URL_BYTES:
        raise SandboxError(codes["url"])
    if kind not in KEYED | LINKED | OTHER:
        raise SandboxError(codes["type"])


def validate_menu(menu: dict[str, Any]) -> None:
    """Raise the error WeChat gives for a menu it would refuse."""
    buttons = menu.get("button")
    if not isinstance(buttons, list) or not TOP_BUTTONS[0] <= len(buttons) <= TOP_BUTTONS[1]:
        raise SandboxError(40016)
    for button in buttons:
        subs = button.get("sub_button") if isinstance(button, dict) else None
        if subs is None:
            _check_button(button, TOP, TOP_NAME_BYTES)
            continue
        if not 0 < _size(button.get("name")) <= TOP_NAME_BYTES:
            raise SandboxError(TOP["name"])
        if not isinstance(subs, list) or not SUB_BUTTONS[0] <= len(subs) <= SUB_BUTTONS[1]:
            raise SandboxError(40023)
        for sub in subs:
            _check_button(sub, SUB, SUB_NAME_BYTES)
