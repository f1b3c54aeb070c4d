"""The WeChat sandbox answers like WeChat: tokens, windows, quotas, limits, faults, its clock."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi import FastAPI

from bot.sandbox import create_sandbox
from tests.bot.sandbox.sandbox_box import (
    APP_ID,
    CUSTOM,
    HOUR,
    ROBOT,
    SECRET,
    SUBSCRIBE,
    TEMPLATE,
    Box,
    valid,
)

# -- tokens ------------------------------------------------------------------------------------


def test_token_checks_grant_appid_and_secret(box: Box) -> None:
    q = {"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET}
    assert box.get("/cgi-bin/token", **{**q, "appid": "wxother"})["errcode"] == 40013
    assert box.get("/cgi-bin/token", **{**q, "secret": "wrong"})["errcode"] == 40125
    assert box.get("/cgi-bin/token", **{**q, "grant_type": "x"})["errcode"] == 40002
    answer = box.get("/cgi-bin/token", **q)
    assert answer["expires_in"] == 7200 and len(answer["access_token"]) >= 100
    assert box.get("/_sandbox/calls")["token"] == 4


def test_a_new_token_leaves_the_old_one_five_minutes(box: Box) -> None:
    q = {"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET}
    first = box.get("/cgi-bin/token", **q)["access_token"]
    second = box.get("/cgi-bin/token", **q)["access_token"]
    assert first != second
    box.advance(299)
    assert valid(box, first) == 0
    box.advance(2)
    assert valid(box, first) == 40001
    assert valid(box, second) == 0


def test_stable_token_is_the_same_until_five_minutes_before_expiry(box: Box) -> None:
    first = box.token()
    assert box.token() == first
    box.advance(7200 - 301)
    assert box.token() == first
    box.advance(2)
    renewed = box.token()
    assert renewed != first
    assert valid(box, first) == 0  # still valid until its own expiry
    box.advance(300)
    assert valid(box, first) == 42001
    assert valid(box, renewed) == 0


def test_forced_refresh_replaces_the_token_and_is_rationed(box: Box) -> None:
    first = box.token()
    forced = box.token(force=True)
    assert forced != first
    assert valid(box, first) == 40001
    body = {"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET}
    again = box.post("/cgi-bin/stable_token", {**body, "force_refresh": True})
    assert again["errcode"] == 45009
    box.advance(30)
    assert box.token(force=True) != forced


def test_stable_token_checks_credentials(box: Box) -> None:
    body = {"grant_type": "client_credential", "appid": APP_ID, "secret": "wrong"}
    assert box.post("/cgi-bin/stable_token", body)["errcode"] == 40125
    assert box.post("/cgi-bin/stable_token", {**body, "appid": "wx1"})["errcode"] == 40013
    assert box.get("/_sandbox/calls")["stable_token"] == 2


def test_expired_missing_and_unknown_tokens(box: Box) -> None:
    token = box.token()
    box.post("/_sandbox/faults", {"expire_tokens": True})
    assert valid(box, token) == 42001
    assert box.get("/cgi-bin/user/info", openid="o1")["errcode"] == 41001
    assert valid(box, "not-a-token") == 40001
    fresh = box.token()
    assert fresh != token and valid(box, fresh) == 0


def test_token_expires_on_the_sandbox_clock() -> None:
    box = Box(create_sandbox(app_id=APP_ID, app_secret=SECRET, token_ttl=600))
    token = box.token()
    box.advance(599)
    assert valid(box, token) == 0
    box.advance(1)
    assert valid(box, token) == 42001


# -- customer-service messages -----------------------------------------------------------------


def test_customer_service_needs_a_follower(box: Box) -> None:
    token = box.token()
    assert box.text(token, "o-stranger")["errcode"] == 43004
    box.post("/_sandbox/interactions", {"openid": "o-gone"})
    box.post("/_sandbox/followers", {"openid": "o-gone", "subscribed": False})
    assert box.text(token, "o-gone")["errcode"] == 43004
    assert box.text(token, "")["errcode"] == 40003


def test_window_opens_with_the_residents_message_and_closes_after_48_hours(box: Box) -> None:
    token = box.token()
    box.post("/_sandbox/followers", {"openid": "o1", "subscribed": True})
    assert box.text(token, "o1")["errcode"] == 45015
    box.post("/_sandbox/interactions", {"openid": "o1"})
    box.advance(48 * HOUR - 1)
    token = box.token()
    assert box.text(token, "o1") == {"errcode": 0, "errmsg": "ok"}
    box.advance(2)
    assert box.text(token, "o1")["errcode"] == 45015


def test_five_messages_per_window_and_a_new_message_resets_the_quota(box: Box) -> None:
    token = box.token()
    box.post("/_sandbox/interactions", {"openid": "o1"})
    assert [box.text(token, "o1", f"第{i}条")["errcode"] for i in range(6)] == [0] * 5 + [45047]
    box.post("/_sandbox/interactions", {"openid": "o1"})
    assert box.text(token, "o1")["errcode"] == 0
    sent = box.get("/_sandbox/messages", touser="o1")
    assert [m["payload"]["text"]["content"] for m in sent[:5]] == [f"第{i}条" for i in range(5)]
    assert len(sent) == 6 and {m["channel"] for m in sent} == {"custom"}


def test_content_limit_is_2048_utf8_bytes(box: Box) -> None:
    token = box.token()
    box.post("/_sandbox/interactions", {"openid": "o1"})
    assert box.text(token, "o1", "字" * 682 + "ab")["errcode"] == 0  # 2048 bytes
    assert box.text(token, "o1", "字" * 683)["errcode"] == 45002  # 2049 bytes


def test_news_and_bad_message_types(box: Box) -> None:
    token = box.token()
    box.post("/_sandbox/interactions", {"openid": "o1"})
    article = {"title": "通知", "description": "d", "url": "https://x", "picurl": ""}
    news = {"touser": "o1", "msgtype": "news", "news": {"articles": [article]}}
    assert box.post(CUSTOM, news, access_token=token)["errcode"] == 0
    nine = {**news, "news": {"articles": [article] * 9}}
    assert box.post(CUSTOM, nine, access_token=token)["errcode"] == 45008
    voice = {"touser": "o1", "msgtype": "voice", "voice": {"media_id": "m"}}
    assert box.post(CUSTOM, voice, access_token=token)["errcode"] == 40008
    assert box.get("/_sandbox/messages", channel="custom")[0]["msgtype"] == "news"


# -- templates and subscription notifications --------------------------------------------------


def test_template_ids_must_be_registered(box: Box) -> None:
    token = box.token()
    box.post("/_sandbox/followers", {"openid": "o1", "subscribed": True})
    body = {"touser": "o1", "template_id": "T1", "data": {"thing1": {"value": "年审"}}}
    assert box.post(TEMPLATE, body, access_token=token)["errcode"] == 40037
    box.post("/_sandbox/templates", {"template_id": "T1"})
    first = box.post(TEMPLATE, body, access_token=token)
    second = box.post(TEMPLATE, {**body, "url": "https://linli.example"}, access_token=token)
    assert first["errcode"] == 0 and isinstance(first["msgid"], int)
    assert second["msgid"] > first["msgid"]
    assert box.post(TEMPLATE, {**body, "touser": "o2"}, access_token=token)["errcode"] == 43004
    sent = box.get("/_sandbox/messages", channel="template")
    assert [m["payload"].get("url") for m in sent] == [None, "https://linli.example"]


def test_subscription_needs_the_residents_consent(box: Box) -> None:
    token = box.token()
    box.post("/_sandbox/followers", {"openid": "o1", "subscribed": True})
    body = {"touser": "o1", "template_id": "S1", "data": {"thing1": {"value": "x"}}}
    assert box.post(SUBSCRIBE, body, access_token=token)["errcode"] == 43101
    box.post("/_sandbox/consents", {"openid": "o1", "template_id": "S1", "accepted": True})
    assert box.post(SUBSCRIBE, body, access_token=token)["errcode"] == 0
    assert box.post(SUBSCRIBE, body, access_token=token)["errcode"] == 0  # long-term consent
    box.post("/_sandbox/consents", {"openid": "o1", "template_id": "S1", "accepted": False})
    assert box.post(SUBSCRIBE, body, access_token=token)["errcode"] == 43101
    assert len(box.get("/_sandbox/messages", channel="subscribe")) == 2


# -- media, user info, menu --------------------------------------------------------------------


def test_media_is_served_for_three_days(box: Box) -> None:
    token = box.token()
    photo = b"\x89PNG\r\n\x1a\nfake"
    box.post(
        "/_sandbox/media",
        {
            "media_id": "m1",
            "content_type": "image/png",
            "data_base64": base64.b64encode(photo).decode(),
        },
    )
    response = box.request(
        "GET", "/cgi-bin/media/get", params={"access_token": token, "media_id": "m1"}
    )
    assert response.content == photo and response.headers["content-type"] == "image/png"
    assert box.get("/cgi-bin/media/get", access_token=token, media_id="m2")["errcode"] == 40007
    box.advance(3 * 24 * HOUR + 1)
    token = box.token()
    assert box.get("/cgi-bin/media/get", access_token=token, media_id="m1")["errcode"] == 40007


def test_user_info(box: Box) -> None:
    token = box.token()
    box.post("/_sandbox/followers", {"openid": "o1", "subscribed": True})
    info = box.get("/cgi-bin/user/info", access_token=token, openid="o1", lang="zh_CN")
    assert info["subscribe"] == 1 and info["openid"] == "o1"
    assert box.get("/cgi-bin/user/info", access_token=token, openid="o2") == {
        "subscribe": 0,
        "openid": "o2",
    }


MENU_CASES = [
    ({"button": []}, 40016),
    ({"button": [{"type": "click", "name": "a", "key": "k"}] * 4}, 40016),
    ({"button": [{"type": "click", "name": "办事指南一二三", "key": "k"}]}, 40018),  # 21 bytes
    ({"button": [{"type": "click", "name": "菜单"}]}, 40019),
    ({"button": [{"type": "view", "name": "菜单", "url": ""}]}, 40020),
    ({"button": [{"type": "nope", "name": "菜单"}]}, 40017),
    ({"button": [{"name": "更多", "sub_button": []}]}, 40023),
    (
        {
            "button": [
                {"name": "更多", "sub_button": [{"type": "view", "name": "x", "url": "u"}] * 6}
            ]
        },
        40023,
    ),
    (
        {
            "button": [
                {"name": "更多", "sub_button": [{"type": "click", "name": "字" * 21, "key": "k"}]}
            ]
        },
        40025,
    ),
    ({"button": [{"name": "更多", "sub_button": [{"type": "bad", "name": "x"}]}]}, 40024),
]


@pytest.mark.parametrize(("menu", "errcode"), MENU_CASES)
def test_menu_rules(box: Box, menu: dict[str, Any], errcode: int) -> None:
    assert box.post("/cgi-bin/menu/create", menu, access_token=box.token())["errcode"] == errcode


def test_a_valid_menu_is_kept(box: Box) -> None:
    menu = {
        "button": [
            {"type": "click", "name": "办事指南", "key": "GUIDE"},
            {
                "name": "更多",
                "sub_button": [{"type": "view", "name": "字" * 20, "url": "https://x"}],
            },
        ]
    }
    assert box.post("/cgi-bin/menu/create", menu, access_token=box.token())["errcode"] == 0
    assert box.get("/_sandbox/menu") == {"menu": menu}


# -- WeCom group robot -------------------------------------------------------------------------


def test_robot_keys_and_limits(box: Box) -> None:
    text = {"msgtype": "text", "text": {"content": "新工单"}}
    assert box.post(ROBOT, text, key="k1")["errcode"] == 93000
    box.post("/_sandbox/robots", {"key": "k1"})
    assert box.post(ROBOT, text, key="k1") == {"errcode": 0, "errmsg": "ok"}
    long_text = {"msgtype": "text", "text": {"content": "x" * 2049}}
    assert box.post(ROBOT, long_text, key="k1")["errcode"] == 45002
    markdown = {"msgtype": "markdown", "markdown": {"content": "字" * 1365 + "a"}}  # 4096 bytes
    assert box.post(ROBOT, markdown, key="k1")["errcode"] == 0
    markdown["markdown"]["content"] += "b"
    assert box.post(ROBOT, markdown, key="k1")["errcode"] == 45002
    image = {"msgtype": "voice", "voice": {}}
    assert box.post(ROBOT, image, key="k1")["errcode"] == 40008
    sent = box.get("/_sandbox/messages", channel="robot")
    assert [(m["key"], m["msgtype"]) for m in sent] == [("k1", "text"), ("k1", "markdown")]


def test_robot_allows_20_messages_a_minute(box: Box) -> None:
    box.post("/_sandbox/robots", {"key": "k1"})
    box.post("/_sandbox/robots", {"key": "k2"})
    text = {"msgtype": "text", "text": {"content": "x"}}
    codes = [box.post(ROBOT, text, key="k1")["errcode"] for _ in range(21)]
    assert codes == [0] * 20 + [45009]
    assert box.post(ROBOT, text, key="k2")["errcode"] == 0  # per key
    box.advance(60)
    assert box.post(ROBOT, text, key="k1")["errcode"] == 0
    assert box.get("/_sandbox/calls")["robot"] == 23


# -- bad input, inspection, reset, mounting ----------------------------------------------------


@pytest.mark.parametrize("path", [CUSTOM, TEMPLATE, SUBSCRIBE, "/cgi-bin/menu/create"])
def test_bad_bodies_get_wechat_errors_never_500(box: Box, path: str) -> None:
    token = box.token()
    for content, errcode in [(b"", 44002), (b"{not json", 47001), (b"[1, 2]", 47001)]:
        response = box.request("POST", path, content=content, params={"access_token": token})
        assert response.status_code == 200
        assert response.json()["errcode"] == errcode
    odd = {"touser": ["o1"], "msgtype": "text", "text": "x", "data": 1, "button": "b"}
    response = box.request("POST", path, json=odd, params={"access_token": token})
    assert response.status_code == 200 and response.json()["errcode"] != 0


def test_bad_robot_bodies_get_wechat_errors(box: Box) -> None:
    box.post("/_sandbox/robots", {"key": "k1"})
    for body in [{"msgtype": "text", "text": "x"}, {"msgtype": "text", "text": {"content": 1}}]:
        assert box.post(ROBOT, body, key="k1")["errcode"] == 47001
    response = box.request("POST", ROBOT, content=b"\xff\xfe", params={"key": "k1"})
    assert response.status_code == 200 and response.json()["errcode"] == 47001


def test_messages_are_listed_in_order_with_filters(box: Box) -> None:
    token = box.token()
    for openid in ("o1", "o2"):
        box.post("/_sandbox/interactions", {"openid": openid})
    box.post("/_sandbox/robots", {"key": "k1"})
    box.text(token, "o1", "一")
    box.post(ROBOT, {"msgtype": "text", "text": {"content": "二"}}, key="k1")
    box.advance(10)
    box.text(token, "o2", "三")
    every = box.get("/_sandbox/messages")
    assert [m["id"] for m in every] == [1, 2, 3]
    assert every[2]["at"] - every[0]["at"] >= 10
    assert [m["touser"] for m in box.get("/_sandbox/messages", touser="o2")] == ["o2"]
    assert [m["key"] for m in box.get("/_sandbox/messages", key="k1")] == ["k1"]
    assert "三" in every[2]["raw"]


def test_reset_forgets_everything(box: Box) -> None:
    token = box.token()
    box.post("/_sandbox/interactions", {"openid": "o1"})
    box.text(token, "o1")
    box.post("/_sandbox/faults", {"rate_timeout": 0.5, "next": [{"errcode": -1}]})
    box.post("/_sandbox/reset")
    assert box.get("/_sandbox/messages") == []
    assert set(box.get("/_sandbox/calls").values()) == {0}
    assert valid(box, token) == 40001
    faults = box.post("/_sandbox/faults", {})
    assert faults["rate_timeout"] == 0 and faults["next"] == []


def test_the_sandbox_works_mounted_in_another_app() -> None:
    host = FastAPI()
    host.mount("/wechat-sandbox", create_sandbox(app_id=APP_ID, app_secret=SECRET))
    box = Box(host, prefix="/wechat-sandbox")
    token = box.token()
    box.post("/_sandbox/interactions", {"openid": "o1"})
    assert box.text(token, "o1")["errcode"] == 0
    assert len(box.get("/_sandbox/messages")) == 1
