"""Fuzzing push parsing: any body is either a push that fits the database, or a 4xx refusal.

Bodies are generated (random trees of fields as XML or JSON, near-valid pushes with fields
changed, random bytes, good bodies with bytes flipped), in clear and correctly encrypted.
Derandomized and bounded, so CI runs the same examples every time in a few seconds.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from bot.main import create_app
from bot.sandbox.pusher import to_xml
from bot.wechat import signing
from bot.wechat.crypto import MessageCrypto
from bot.wechat.fields import LATEST_CREATE_TIME, SHAPES
from bot.wechat.gate import Gate, Push, Refused
from bot.wechat.messages import dedup_key, msg_id, to_inbound, to_message
from config.settings import Settings
from flows.inbound import Inbound
from store.inbound.models import InboundMessage
from store.residents.models import WeChatUser
from tests.chat import AES_KEY, APP_ID, TOKEN, settings_for

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
GOOD = {
    "ToUserName": "gh_linli0000001",
    "FromUserName": "o_fuzz_0001",
    "CreateTime": 1714112445,
    "MsgType": "text",
    "Content": "你好",
    "MsgId": 7001,
}
_EVENT = {k: v for k, v in GOOD.items() if k not in ("Content", "MsgId")}
BASES = [  # real push shapes the generated ones start from
    GOOD,
    {**GOOD, "MsgType": "image", "PicUrl": "http://mmbiz.qpic.cn/x", "MediaId": "media_1"},
    {**GOOD, "MsgType": "location", "Location_X": "23.13", "Location_Y": "113.26", "Label": "3栋"},
    {**GOOD, "MsgType": "voice", "MediaId": "voice_1", "Format": "amr", "Recognition": "人工"},
    {**_EVENT, "MsgType": "event", "Event": "subscribe", "EventKey": "qrscene_123"},
    {**_EVENT, "MsgType": "event", "Event": "CLICK", "EventKey": "menu"},
    {
        **_EVENT,
        "MsgType": "event",
        "Event": "subscribe_msg_popup_event",
        "SubscribeMsgPopupEvent": {
            "List": [
                {"TemplateId": "tpl_1", "SubscribeStatusString": "accept"},
                {"TemplateId": "tpl_2", "SubscribeStatusString": "reject"},
            ]
        },
    },
]

# -- strategies ---------------------------------------------------------------------------------

names = st.one_of(
    st.sampled_from([*SHAPES, "Encrypt", "SendPicsInfo", "SubscribeMsgPopupEvent", "List"]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True),
)
text = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40)  # XML can hold it
scalars = st.one_of(
    text,
    text,
    st.sampled_from(["", "text", "event", "subscribe", "o_x", "0", "-1", "1e9", "１２", "9" * 19]),
    st.sampled_from(["\x00", "\x01", "\ud800", "a\udfffb"]),  # no database (or XML) takes these
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(alphabet="字a<&]", min_size=60, max_size=9000),
)
trees = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3),
        st.dictionaries(names, children, min_size=1, max_size=3),
    ),
    max_leaves=12,
)


def _nest(value: Any, levels: int) -> Any:
    for _ in range(levels):
        value = {"a": value}
    return value


deep = st.builds(_nest, scalars, st.integers(min_value=1, max_value=12))  # around MAX_DEPTH
near_valid = st.builds(  # a real shape with a few fields replaced, added or dropped
    lambda base, changes, dropped: {
        k: v for k, v in {**base, **changes}.items() if k not in dropped
    },
    st.sampled_from(BASES),
    st.dictionaries(names, st.one_of(scalars, trees, deep), max_size=2),
    st.sets(st.sampled_from(list(GOOD)), max_size=1),
)
pushes = st.one_of(near_valid, near_valid, near_valid, st.dictionaries(names, trees, max_size=6))


def _xml_text(value: Any) -> str:
    return escape(value if isinstance(value, str) else json.dumps(value))


def _to_xml(fields: dict[str, Any], root: str = "xml") -> str:
    """Any tree as XML: dicts nest, lists repeat, other values become text."""
    parts = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                parts.append(_to_xml(item, name))
            else:
                parts.append(f"<{name}>{_xml_text(item)}</{name}>")
    return f"<{root}>" + "".join(parts) + f"</{root}>"


def _to_json(fields: dict[str, Any], ascii_only: bool = False) -> str:
    return json.dumps(fields, ensure_ascii=ascii_only)


def _flip(body: bytes, edits: list[tuple[int, int]]) -> bytes:
    data = bytearray(body)
    for position, byte in edits:
        if data:
            data[position % len(data)] = byte
    return bytes(data)


good_bodies = st.sampled_from([to_xml(GOOD).encode(), _to_json(GOOD).encode()])


def _deep_body(levels: int, as_json: bool, opener: str) -> bytes:
    """A good push with one more field nested `levels` deep, written out as text."""
    if as_json:
        inner = (opener if opener == "[" else '{"a":') * levels
        inner += "1" if opener == "{" else ""
        inner += ("]" if opener == "[" else "}") * levels
        return (_to_json(GOOD)[:-1] + f', "Deep": {inner}}}').encode()
    return to_xml(GOOD).replace("</xml>", "<a>" * levels + "</a>" * levels + "</xml>").encode()


as_xml = st.builds(lambda f: _to_xml(f).encode("utf-8", "surrogatepass"), pushes)
as_json = st.builds(lambda f: _to_json(f).encode("utf-8", "surrogatepass"), pushes)
bodies = st.one_of(
    as_xml,
    as_json,
    as_xml,
    as_json,
    st.builds(lambda f: _to_json(f, ascii_only=True).encode(), pushes),
    st.binary(max_size=300),
    st.builds(_deep_body, st.integers(1, 6000), st.booleans(), st.sampled_from("[{")),
    st.builds(
        _flip,
        good_bodies,
        st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=3),
    ),
)

# -- the property -------------------------------------------------------------------------------


def _query() -> dict[str, str]:
    ts, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
    return {"signature": signing.sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}


def _encrypted(body: bytes) -> tuple[dict[str, str], bytes]:
    crypto = MessageCrypto(AES_KEY, APP_ID)
    encrypted = crypto.prp(crypto.key).encrypt(body, APP_ID).decode("ascii")
    query = {**_query(), "encrypt_type": "aes"}
    query["msg_signature"] = signing.sign(TOKEN, query["timestamp"], query["nonce"], encrypted)
    return query, to_xml({"ToUserName": GOOD["ToUserName"], "Encrypt": encrypted}).encode()


def _assert_fits_the_database(push: Push, inbound: Inbound) -> None:
    fields = push.fields
    assert OPENID.fullmatch(inbound.openid)
    assert 0 <= inbound.at.timestamp() <= LATEST_CREATE_TIME
    assert len(dedup_key(fields)) <= 160
    number = msg_id(fields)
    assert number is None or 0 <= number < 2**63
    assert len(str(fields["MsgType"]).lower()) <= 32
    assert len(inbound.event) <= 64 and len(inbound.media_id) <= 128
    stored = json.dumps(fields, allow_nan=False)
    assert "\\u0000" not in stored


def _open(gate: Gate, query: dict[str, str], body: bytes) -> None:
    """Gate.open, then the handler's conversion: a push that fits, or a 4xx Refused."""
    try:
        push = gate.open(query, body)
    except Refused as refused:
        assert 400 <= refused.status < 500, refused.reason
        return
    _assert_fits_the_database(push, to_inbound(to_message(push.fields), push.fields))


def _gate(aes_key: str) -> Gate:
    return Gate(
        Settings(env="dev", wechat_token=TOKEN, wechat_app_id=APP_ID, wechat_aes_key=aes_key)
    )


PLAIN, SAFE = _gate(""), _gate(AES_KEY)


@FUZZ
@given(bodies)
def test_any_plain_body_opens_to_a_push_that_fits_or_is_refused(body: bytes) -> None:
    _open(PLAIN, _query(), body)


@FUZZ
@given(bodies)
def test_any_encrypted_payload_opens_to_a_push_that_fits_or_is_refused(body: bytes) -> None:
    _open(SAFE, *_encrypted(body))


def _counts(database: Engine) -> tuple[int, int]:
    with Session(database) as session:
        return (
            session.exec(select(func.count()).select_from(InboundMessage)).one(),
            session.exec(select(func.count()).select_from(WeChatUser)).one(),
        )


def test_the_webhook_answers_any_body_with_200_or_a_4xx(database: Engine) -> None:
    client = TestClient(
        create_app(settings_for(database), database=database), raise_server_exceptions=False
    )

    @settings(FUZZ, max_examples=120)
    @given(bodies)
    def post(body: bytes) -> None:
        before = _counts(database)
        response = client.post("/wechat", params=_query(), content=body)
        assert response.status_code == 200 or 400 <= response.status_code < 500, response.text
        if response.status_code != 200:
            assert _counts(database) == before  # a refused push leaves nothing behind

    post()
