"""Hostile pushes to /wechat get a 4xx, never a 5xx; a refused push stores and logs nothing.

Each payload is sent twice: as a plaintext push, and signed and encrypted correctly in safe
mode, so only its content is hostile. Bodies hostile outside the encryption, odd query strings
and odd URL verifications have tables of their own.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from bot.main import create_app
from bot.sandbox.pusher import Pushed, to_xml
from bot.wechat import signing
from bot.wechat.crypto import MessageCrypto
from bot.wechat.fields import MAX_TEXT
from bot.wechat.payload import is_json
from store.inbound.models import InboundMessage
from store.residents.models import Conversation, WeChatUser
from tests.chat import AES_KEY, APP_ID, TOKEN, settings_for

ACCOUNT = "gh_linli0000001"
OPENID = "o_hostile_0001"
SECRET = "身份证110101199003077777 电话13800138000"  # must never show up in a log line
GOOD: dict[str, Any] = {
    "ToUserName": ACCOUNT,
    "FromUserName": OPENID,
    "CreateTime": 1714112445,
    "MsgType": "text",
    "Content": SECRET,
    "MsgId": 7001,
}
JSON_NULL = object()  # js(Field=JSON_NULL) sends "Field": null


def xml(**changes: Any) -> str:
    """The good text push as XML, with fields changed (None drops one)."""
    fields = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    return to_xml(fields)


def js(**changes: Any) -> str:
    """The good text push as JSON, with fields changed (None drops one; JSON_NULL sends null)."""
    fields = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    return json.dumps({k: (None if v is JSON_NULL else v) for k, v in fields.items()})


def deep_xml(levels: int) -> str:
    """The good push with an extra field nested `levels` elements deep."""
    return xml().replace("</xml>", "<a>" * levels + "</a>" * levels + "</xml>")


def deep_json(levels: int, opener: str = "[", closer: str = "]") -> str:
    """The good push with an extra field nested `levels` arrays (or objects) deep."""
    if opener == "[":
        inner = opener * levels + closer * levels
    else:
        inner = '{"a":' * levels + "1" + closer * levels
    return js()[:-1] + f', "Deep": {inner}}}'


@dataclass(frozen=True)
class Hostile:
    """A payload and the answer it must get."""

    name: str
    payload: str | bytes
    status: int = 400


PAYLOADS = [
    # depth
    Hostile("XML 1,200 levels deep (8 KB)", deep_xml(1200)),
    Hostile("XML 5,000 levels deep", deep_xml(5000)),
    Hostile("XML one level deeper than any real push may go", deep_xml(8)),
    Hostile("JSON 2,000 arrays deep", deep_json(2000)),
    Hostile("JSON 2,000 objects deep", deep_json(2000, "{", "}")),
    Hostile("JSON one level too deep", deep_json(8)),
    # sizes
    Hostile("openid of 65 characters", xml(FromUserName="o" * 65)),
    Hostile("account id of 65 characters", xml(ToUserName="g" * 65)),
    Hostile("MsgType of 33 characters", xml(MsgType="t" * 33)),
    Hostile("Content one character over the limit", xml(Content="字" * (MAX_TEXT + 1))),
    Hostile("MsgId of 21 digits", xml(MsgId="1" * 21)),
    Hostile("MediaId of 129 characters", xml(MsgType="image", MediaId="m" * 129, PicUrl="x")),
    Hostile(
        "EventKey of 1,025 characters", xml(MsgType="event", Event="CLICK", EventKey="k" * 1025)
    ),
    Hostile("Event of 65 characters", xml(MsgType="event", Event="e" * 65)),
    # numbers
    Hostile("CreateTime 10^19", xml(CreateTime=10**19)),
    Hostile("CreateTime after 2100", xml(CreateTime=4_102_444_801)),
    Hostile("CreateTime negative", xml(CreateTime=-1)),
    Hostile("CreateTime in exponent form", xml(CreateTime="1e9")),
    Hostile("CreateTime in Arabic-Indic digits", xml(CreateTime="١٧١٤١١٢٤٤٥")),
    Hostile("CreateTime with spaces", xml(CreateTime=" 1714112445 ")),
    Hostile("MsgId not a number", xml(MsgId="abc")),
    Hostile("JSON CreateTime 10^19", js(CreateTime=10**19)),
    Hostile("JSON CreateTime a fraction", js(CreateTime=1714112445.5)),
    Hostile("JSON number 1e400 in a field Linli does not read", js()[:-1] + ', "Extra": 1e400}'),
    Hostile("JSON CreateTime NaN", js().replace("1714112445", "NaN")),
    Hostile("JSON CreateTime Infinity", js().replace("1714112445", "-Infinity")),
    Hostile("JSON CreateTime true", js(CreateTime=True)),
    Hostile("JSON CreateTime null", js(CreateTime=JSON_NULL)),
    Hostile("JSON MsgId negative", js(MsgId=-5)),
    Hostile("JSON integer of 5,000 digits", js().replace("7001", "7" * 5000)),
    # types
    Hostile("JSON openid a list", js(FromUserName=["o1", "o2"])),
    Hostile("JSON openid an object", js(FromUserName={"a": "o1"})),
    Hostile("JSON openid true", js(FromUserName=True)),
    Hostile("JSON openid a number", js(FromUserName=12345)),
    Hostile("JSON openid null", js(FromUserName=JSON_NULL)),
    Hostile("JSON Content a number", js(Content=3)),
    Hostile("JSON Content a list", js(Content=["a"])),
    Hostile("JSON MsgType an object", js(MsgType={"text": 1})),
    Hostile("JSON top level a list", json.dumps([GOOD])),
    Hostile("JSON top level a string", '"' + SECRET + '"'),
    # duplicated and nested fields
    Hostile("XML FromUserName repeated", xml(FromUserName=[OPENID, "o_other"])),
    Hostile("XML MsgType repeated", xml(MsgType=["text", "event"])),
    Hostile("XML CreateTime repeated", xml(CreateTime=[1, 2])),
    Hostile("XML Content repeated", xml(Content=[SECRET, SECRET])),
    Hostile("XML MsgId repeated", xml(MsgId=[1, 2])),
    Hostile("XML FromUserName nested", xml(FromUserName={"a": OPENID})),
    Hostile("XML Content nested", xml(Content={"b": SECRET})),
    Hostile(
        "XML text beside a nested element", xml().replace(OPENID, OPENID + "]]><x>1</x><![CDATA[")
    ),
    Hostile("JSON FromUserName twice", js()[:-1] + ', "FromUserName": "o_other"}'),
    Hostile(
        "consent TemplateId nested",
        xml(
            MsgType="event",
            Event="subscribe_msg_popup_event",
            SubscribeMsgPopupEvent={
                "List": {"TemplateId": {"x": "y"}, "SubscribeStatusString": "accept"}
            },
        ),
    ),
    Hostile(
        "consent List a plain string",
        xml(
            MsgType="event", Event="subscribe_msg_popup_event", SubscribeMsgPopupEvent={"List": "x"}
        ),
    ),
    # characters and encodings
    Hostile("openid with a space", xml(FromUserName="o 1")),
    Hostile("openid with markup", xml(FromUserName="<b>o1</b>")),
    Hostile("JSON NUL in Content", js(Content="a\u0000b")),
    Hostile("JSON NUL in a field Linli does not read", js(Extra="\u0000")),
    Hostile("JSON lone surrogate", js().replace("7001", '7001, "Extra": "\\ud800"')),
    Hostile("XML NUL character reference", xml(Content="x").replace("<![CDATA[x]]>", "&#0;")),
    Hostile("XML not UTF-8", xml(Content="居民").encode("gbk")),
    Hostile("JSON not UTF-8", js(Content="居民").replace("\\u5c45\\u6c11", "居民").encode("gbk")),
    Hostile("XML in UTF-16", xml().encode("utf-16")),
    Hostile("JSON in UTF-16", js().encode("utf-16-le")),
    Hostile("empty body", b""),
    Hostile("only whitespace", b" \r\n\t "),
    Hostile("a lone brace", b"{"),
    Hostile("unclosed XML", b"<xml><MsgType>text</MsgType>"),
    Hostile("missing FromUserName", xml(FromUserName=None)),
    Hostile("empty MsgType", xml(MsgType="")),
]


@dataclass(frozen=True)
class Accepted:
    """An unusual but valid payload: answered 200 and stored once."""

    name: str
    payload: str


ACCEPTED = [  # each its own MsgId (events: CreateTime), so none is a retry of another
    Accepted("an unknown MsgType", xml(MsgType="hologram", MsgId=7101)),
    Accepted("Content exactly at the limit", xml(Content="字" * MAX_TEXT, MsgId=7102)),
    Accepted(
        "JSON brackets inside a string",
        js(Content="[{" * 3000 + '\\"' + "]}" * 10, MsgId=7103),
    ),
    Accepted("MsgId beyond a 64-bit integer", xml(MsgId="9999999999999999999")),
    Accepted(
        "JSON null where a field is optional",
        js(MsgType="event", Event="CLICK", EventKey=JSON_NULL, MsgId=None, CreateTime=1714112500),
    ),
    Accepted(
        "a photo event four levels deep, as WeChat sends it",
        xml(
            MsgType="event",
            Event="pic_sysphoto",
            EventKey="rselfmenu_1_0",
            MsgId=None,
            CreateTime=1714112600,
            SendPicsInfo={
                "Count": 1,
                "PicList": {"item": {"PicMd5Sum": "1b5f7c23b5bf75682a53e7b6d163e185"}},
            },
        ),
    ),
]


def _query(ts: str | None = None, nonce: str | None = None) -> dict[str, str]:
    ts = ts or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**9))
    return {"signature": signing.sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}


def _encrypted(payload: str | bytes, envelope: dict[str, Any] | None = None) -> Pushed:
    crypto = MessageCrypto(AES_KEY, APP_ID)
    encrypted = crypto.prp(crypto.key).encrypt(payload, APP_ID).decode("ascii")
    params = _query()
    params["encrypt_type"] = "aes"
    params["msg_signature"] = signing.sign(TOKEN, params["timestamp"], params["nonce"], encrypted)
    outer = {**(envelope or {"ToUserName": ACCOUNT}), "Encrypt": encrypted}
    body = json.dumps(outer) if is_json(payload) else to_xml(outer)
    return Pushed(params, body.encode())


def _push(payload: str | bytes, where: str) -> Pushed:
    if where == "encrypted":
        return _encrypted(payload)
    return Pushed(_query(), payload if isinstance(payload, bytes) else payload.encode())


def _client(database: Engine, mode: str, **overrides: Any) -> TestClient:
    app = create_app(settings_for(database, mode, **overrides), database=database)
    return TestClient(app, raise_server_exceptions=False)


def _rows(database: Engine) -> dict[str, int]:
    with Session(database) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (InboundMessage, WeChatUser, Conversation)
        }


NOTHING = {"InboundMessage": 0, "WeChatUser": 0, "Conversation": 0}
MODE = {"plain": "plain", "encrypted": "safe"}


def _post(client: TestClient, pushed: Pushed) -> int:
    return client.post("/wechat", params=pushed.params, content=pushed.body).status_code


@pytest.mark.parametrize("where", ["plain", "encrypted"])
def test_every_hostile_payload_is_refused_and_leaves_no_trace(
    database: Engine, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    client = _client(database, MODE[where])
    wrong = []
    with caplog.at_level(logging.DEBUG):
        for case in PAYLOADS:
            status = _post(client, _push(case.payload, where))
            if status != case.status or _rows(database) != NOTHING:
                wrong.append(f"{case.name}: {status}, {_rows(database)}")
    assert wrong == []
    assert "13800138000" not in caplog.text


@pytest.mark.parametrize("where", ["plain", "encrypted"])
def test_every_unusual_but_valid_payload_is_answered_and_stored(
    database: Engine, where: str
) -> None:
    client = _client(database, MODE[where])
    wrong = []
    for stored, case in enumerate(ACCEPTED, start=1):
        status = _post(client, _push(case.payload, where))
        if status != 200 or _rows(database)["InboundMessage"] != stored:
            wrong.append(f"{case.name}: {status}, {_rows(database)}")
    assert wrong == []


def _sealed(envelope: dict[str, Any]) -> Pushed:
    return _encrypted(xml(), envelope)


OUTER = [
    # Hostile outside the encryption: parsed before msg_signature can be checked.
    Hostile("XML 1,200 levels deep", deep_xml(1200)),
    Hostile("XML 5,000 levels deep", deep_xml(5000)),
    Hostile("JSON 2,000 levels deep", deep_json(2000)),
    Hostile("Encrypt repeated", to_xml({"ToUserName": ACCOUNT, "Encrypt": ["YWJj", "ZGVm"]})),
    Hostile("Encrypt nested", to_xml({"ToUserName": ACCOUNT, "Encrypt": {"a": "YWJj"}})),
    Hostile("JSON Encrypt a list", json.dumps({"ToUserName": ACCOUNT, "Encrypt": ["YWJj"]})),
    Hostile("JSON Encrypt a number", json.dumps({"ToUserName": ACCOUNT, "Encrypt": 12}).encode()),
    Hostile("JSON Encrypt null", json.dumps({"ToUserName": ACCOUNT, "Encrypt": None})),
    Hostile("JSON Encrypt a lone surrogate", '{"ToUserName": "gh", "Encrypt": "\\udc00"}'),
    Hostile(
        "Encrypt 40 KB of junk", to_xml({"ToUserName": ACCOUNT, "Encrypt": "QUJD" * 10_000}), 403
    ),
]


def test_every_hostile_safe_mode_envelope_is_refused(database: Engine) -> None:
    client = _client(database, "safe")
    wrong = []
    for case in OUTER:
        params = {**_query(), "encrypt_type": "aes", "msg_signature": "0" * 40}
        body = case.payload if isinstance(case.payload, bytes) else case.payload.encode()
        status = _post(client, Pushed(params, body))
        if status != case.status or _rows(database) != NOTHING:
            wrong.append(f"{case.name}: {status}")
    assert wrong == []


def test_compatible_mode_uses_the_encrypted_copy_whatever_the_clear_one_says(
    database: Engine,
) -> None:
    client = _client(database, "safe")
    clear = {**GOOD, "FromUserName": ["o_spoofed", "o_spoofed_too"], "Content": "forged"}
    response = client.post("/wechat", **_as_request(_sealed(clear)))
    assert response.status_code == 200, response.text
    with Session(database) as session:
        assert session.exec(select(InboundMessage.openid)).all() == [OPENID]


def test_compatible_mode_with_a_deep_clear_part_is_refused(database: Engine) -> None:
    client = _client(database, "safe")
    pushed = _sealed({**GOOD, "Deep": {"a": {"a": {"a": {"a": {"a": {"a": {"a": "x"}}}}}}}})
    response = client.post("/wechat", **_as_request(pushed))
    assert response.status_code == 400, response.text
    assert _rows(database) == NOTHING


def _as_request(pushed: Pushed) -> dict[str, Any]:
    return {"params": pushed.params, "content": pushed.body}


QUERIES = [
    # (name, timestamp (None: now), nonce, other parameters, status); all signed correctly
    ("timestamp of 400 digits", "9" * 400, "1", {}, 403),
    ("timestamp with underscores", "1_714_112_445", "1", {}, 403),
    ("timestamp in full-width digits", "１７１４１１２４４５", "1", {}, 403),
    ("timestamp negative", "-1714112445", "1", {}, 403),
    ("nonce of 65 characters", None, "n" * 65, {}, 403),
    ("nonce in Chinese", None, "随机数", {}, 403),
    ("nonce with a space", None, "a b", {}, 403),
    ("signature of 10,000 characters", None, "1", {"signature": "a" * 10_000}, 403),
    ("encrypt_type AES to a plaintext account", None, "1", {"encrypt_type": "AES"}, 400),
]


def test_every_odd_query_string_is_refused(database: Engine) -> None:
    # No freshness check: a stale timestamp's 403 would hide what an odd one does.
    client = _client(database, "plain", wechat_max_clock_skew=0)
    wrong = []
    for name, ts, nonce, extra, expected in QUERIES:
        params = {**_query(ts or str(int(time.time())), nonce), **extra}
        status = _post(client, Pushed(params, xml().encode()))
        if status != expected or _rows(database) != NOTHING:
            wrong.append(f"{name}: {status}")
    assert wrong == []


ECHOSTRS = [
    ("empty", "", 400),
    ("129 characters", "1" * 129, 400),
    ("markup", "<script>alert(1)</script>", 400),
    ("Chinese", "回声", 400),
    ("a space", "12 34", 400),
    ("WeChat's own", "4375120948345356249", 200),
]


def test_url_verification_echoes_only_a_plain_token(database: Engine) -> None:
    client = _client(database, "plain")
    wrong = []
    for name, echostr, expected in ECHOSTRS:
        response = client.get("/wechat", params={**_query(), "echostr": echostr})
        answered = response.text if response.status_code == 200 else None
        if response.status_code != expected or (answered is not None and answered != echostr):
            wrong.append(f"{name}: {response.status_code}")
    assert wrong == []


def test_a_content_length_of_5000_digits_is_too_large_not_an_error(database: Engine) -> None:
    client = _client(database, "plain")
    headers = {"content-length": "9" * 5000}
    response = client.post("/wechat", params=_query(), content=xml().encode(), headers=headers)
    assert response.status_code == 413
    assert _rows(database) == NOTHING


def test_a_database_error_does_not_show_the_values_it_was_given(database: Engine) -> None:
    with pytest.raises(SQLAlchemyError) as error, database.connect() as connection:
        connection.execute(text("SELECT :message FROM no_such_table"), {"message": SECRET})
    assert "13800138000" not in str(error.value)
