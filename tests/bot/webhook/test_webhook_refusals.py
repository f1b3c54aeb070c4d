"""Every bad push gets the right 4xx, never a 500, and stores nothing (or exactly one message)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.main import create_app
from bot.sandbox.pusher import Pushed, Pusher, to_xml
from bot.wechat import signing
from bot.wechat.crypto import MessageCrypto
from store.inbound.models import InboundMessage
from tests.chat import AES_KEY, APP_ID, TOKEN, settings_for


@dataclass(frozen=True)
class Case:
    """A bad push: how to spoil a good one, the mode, and what must happen."""

    name: str
    spoil: Callable[[Pusher, Pushed], Pushed]
    status: int
    mode: str = "plain"
    stored: int = 0
    first_good: bool = False  # send the unspoiled push first (it is stored: stored counts it)


def _params(pushed: Pushed, **changes: str | None) -> Pushed:
    params = {k: v for k, v in {**pushed.params, **changes}.items() if v is not None}
    return Pushed(params, pushed.body)


def _safe_body(pushed: Pushed, plain: str, app_id: str = APP_ID) -> Pushed:
    encrypted = MessageCrypto(AES_KEY, app_id).encrypt(plain)
    params = dict(pushed.params)
    params["msg_signature"] = signing.sign(TOKEN, params["timestamp"], params["nonce"], encrypted)
    return Pushed(params, to_xml({"ToUserName": "gh_x", "Encrypt": encrypted}).encode())


def _old(pusher: Pusher, pushed: Pushed) -> Pushed:
    ts = str(int(time.time()) - 3600)
    return _params(pushed, timestamp=ts, signature=signing.sign(TOKEN, ts, pushed.params["nonce"]))


GOOD_TEXT = (
    "<xml><ToUserName>gh_x</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>hi</Content><MsgId>9</MsgId></xml>"
)

CASES = [
    Case("missing signature", lambda p, x: _params(x, signature=None), 403),
    Case("bad signature", lambda p, x: _params(x, signature="0" * 40), 403),
    Case("missing nonce", lambda p, x: _params(x, nonce=None), 403),
    Case("timestamp an hour old", _old, 403),
    Case(
        "body over 64 KiB", lambda p, x: Pushed(x.params, b"<xml>" + b"a" * 70000 + b"</xml>"), 413
    ),
    Case("malformed XML", lambda p, x: Pushed(x.params, b"<xml><MsgType>text</xml"), 400),
    Case("not XML at all", lambda p, x: Pushed(x.params, b"hello"), 400),
    Case(
        "a DTD with an entity",
        lambda p, x: Pushed(
            x.params,
            b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e "boom">]>'
            + GOOD_TEXT.replace("hi", "&e;").encode(),
        ),
        400,
    ),
    Case(
        "a bare DTD",
        lambda p, x: Pushed(x.params, b"<!DOCTYPE xml>" + GOOD_TEXT.encode()),
        400,
    ),
    Case(
        "an external entity",
        lambda p, x: Pushed(
            x.params,
            b'<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            + GOOD_TEXT.replace("hi", "&e;").encode(),
        ),
        400,
    ),
    Case(
        "missing FromUserName",
        lambda p, x: Pushed(
            x.params, GOOD_TEXT.replace("<FromUserName>o1</FromUserName>", "").encode()
        ),
        400,
    ),
    Case(
        "missing MsgType",
        lambda p, x: Pushed(x.params, GOOD_TEXT.replace("<MsgType>text</MsgType>", "").encode()),
        400,
    ),
    Case(
        "CreateTime not a number",
        lambda p, x: Pushed(x.params, GOOD_TEXT.replace(">1<", ">soon<").encode()),
        400,
    ),
    Case("a different root element", lambda p, x: Pushed(x.params, b"<msg><a>1</a></msg>"), 400),
    Case(
        "a replayed nonce with a forged body",
        lambda p, x: Pushed(x.params, x.body.replace(b"hello", b"forged")),
        403,
        stored=1,
        first_good=True,
    ),
    Case(
        "plaintext push to a safe-mode account",
        lambda p, x: _params(x, encrypt_type=None),
        403,
        "safe",
    ),
    Case("bad msg_signature", lambda p, x: _params(x, msg_signature="f" * 40), 403, "safe"),
    Case("missing msg_signature", lambda p, x: _params(x, msg_signature=None), 403, "safe"),
    Case(
        "Encrypt missing",
        lambda p, x: Pushed(x.params, b"<xml><ToUserName>gh_x</ToUserName></xml>"),
        400,
        "safe",
    ),
    Case(
        "another AppID",
        lambda p, x: _safe_body(x, GOOD_TEXT, app_id="wxsomeoneelse00"),
        400,
        "safe",
    ),
    Case(
        "undecryptable payload",
        lambda p, x: (
            lambda enc: Pushed(
                {
                    **x.params,
                    "msg_signature": signing.sign(
                        TOKEN, x.params["timestamp"], x.params["nonce"], enc
                    ),
                },
                to_xml({"ToUserName": "gh_x", "Encrypt": enc}).encode(),
            )
        )("bm90IHJlYWxseSBlbmNyeXB0ZWQ="),
        400,
        "safe",
    ),
    Case("decrypted payload is not XML", lambda p, x: _safe_body(x, "<xml><oops"), 400, "safe"),
    Case(
        "decrypted payload misses fields",
        lambda p, x: _safe_body(x, "<xml><MsgType>text</MsgType></xml>"),
        400,
        "safe",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_bad_push_is_refused_with_the_right_status(database: Engine, case: Case) -> None:
    settings = settings_for(database, case.mode)
    client = TestClient(create_app(settings, database=database), raise_server_exceptions=False)
    pusher = Pusher(token=TOKEN, app_id=APP_ID, aes_key=settings.wechat_aes_key)
    good = pusher.build(pusher.text("o_refusal", "hello"))
    if case.first_good:
        assert client.post("/wechat", params=good.params, content=good.body).status_code == 200
    bad = case.spoil(pusher, good)
    response = client.post("/wechat", params=bad.params, content=bad.body)
    assert response.status_code == case.status, response.text
    assert "Traceback" not in response.text
    from sqlmodel import Session, func, select

    with Session(database) as session:
        stored = session.exec(select(func.count()).select_from(InboundMessage)).one()
    assert stored == case.stored


def test_url_verification_echoes_echostr_as_plain_text(database: Engine) -> None:
    client = TestClient(create_app(settings_for(database), database=database))
    ts, nonce = str(int(time.time())), "12345"
    params = {
        "signature": signing.sign(TOKEN, ts, nonce),
        "timestamp": ts,
        "nonce": nonce,
        "echostr": "4375120948345356249",
    }
    response = client.get("/wechat", params=params)
    assert response.status_code == 200
    assert response.text == "4375120948345356249"
    assert response.headers["content-type"].startswith("text/plain")
    assert client.get("/wechat", params={**params, "signature": "x"}).status_code == 403


def test_a_wechat_retry_with_the_same_nonce_and_body_is_answered_again(database: Engine) -> None:
    client = TestClient(create_app(settings_for(database), database=database))
    pusher = Pusher(token=TOKEN, app_id=APP_ID)
    pushed = pusher.build(pusher.text("o_retry", "人工"))
    first = client.post("/wechat", params=pushed.params, content=pushed.body)
    again = client.post("/wechat", params=pushed.params, content=pushed.body)
    assert first.status_code == again.status_code == 200
    assert pusher.read_reply(first.text)["Content"] == pusher.read_reply(again.text)["Content"]
