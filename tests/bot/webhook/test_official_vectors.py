"""Tencent's published encryption test vectors go through the real webhook."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient
from wechatpy.crypto import PrpCrypto

from bot.main import create_app
from bot.sandbox.pusher import Pusher
from bot.wechat import signing
from bot.wechat.crypto import MessageCrypto
from config.settings import Settings
from store.inbound.models import InboundMessage
from tests.chat import DATA_KEY, SEALER

A = dict(
    token="spamtest",
    encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    appid="wx2c2769f8efd9abc2",
    timestamp="1409735669",
    nonce="1320562132",
    msg_signature="5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    body="<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>",
)
B_GET = dict(
    token="AAAAA",
    signature="f464b24fc39322e44b38aa78f5edd27bd1441696",
    timestamp="1714036504",
    nonce="1514711492",
    echostr="4375120948345356249",
)
B_PLAIN = dict(
    token="AAAAA",
    signature="899cf89e464efb63f54ddac96b0a0a235f53aa78",
    timestamp="1714037059",
    nonce="486452656",
)
B_SAFE = dict(
    token="AAAAA",
    encoding_aes_key="A" * 43,
    appid="wxba5fad812f8e6fb9",
    timestamp="1714112445",
    nonce="415670741",
    msg_signature="046e02f8204d34f8ba5fa3b1db94908f3df2e9b3",
    encrypt="+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=",
    expect_plain='{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}',
)
B_REPLY = dict(
    random16="707722b803182950",
    timestamp="1713424427",
    nonce="415670741",
    plain='{"demo_resp":"good luck"}',
    encrypt="ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==",
    msg_signature="1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1",
)


def _client(database: Engine, token: str, aes_key: str = "", app_id: str = "wx0") -> TestClient:
    # The vectors are years old: the freshness check is turned off, as the settings allow.
    settings = Settings(
        env="dev",
        wechat_token=token,
        wechat_aes_key=aes_key,
        wechat_app_id=app_id,
        wechat_max_clock_skew=0,
        data_key=DATA_KEY,
        database_url=database.url.render_as_string(hide_password=False),
    )
    return TestClient(create_app(settings, database=database))


def _stored(database: Engine) -> list[InboundMessage]:
    with Session(database) as session:
        return list(session.exec(select(InboundMessage)))


def test_tencent_sample_is_decrypted_stored_and_answered_encrypted(database: Engine) -> None:
    client = _client(database, A["token"], A["encoding_aes_key"], A["appid"])
    params = {
        "signature": signing.sign(A["token"], A["timestamp"], A["nonce"]),
        "timestamp": A["timestamp"],
        "nonce": A["nonce"],
        "encrypt_type": "aes",
        "msg_signature": A["msg_signature"],
        "openid": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
    }
    response = client.post("/wechat", params=params, content=A["body"].encode())
    assert response.status_code == 200
    reader = Pusher(token=A["token"], app_id=A["appid"], aes_key=A["encoding_aes_key"])
    assert "<Encrypt>" in response.text
    reply = reader.read_reply(response.text)
    assert reply["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert reply["FromUserName"] == "gh_10f6c3c3ac5a"
    assert "没有看懂" in reply["Content"]
    [message] = _stored(database)
    assert message.fields["Content"] == "abcdteT"
    assert message.msg_id == 6054768590064713728
    assert message.mode == "compatible"


def test_documentation_url_verification_vector(database: Engine) -> None:
    client = _client(database, B_GET["token"])
    params = {k: B_GET[k] for k in ("signature", "timestamp", "nonce", "echostr")}
    response = client.get("/wechat", params=params)
    assert (response.status_code, response.text) == (200, "4375120948345356249")


def test_documentation_plaintext_signature_vector(database: Engine) -> None:
    client = _client(database, B_PLAIN["token"])
    pusher = Pusher(token=B_PLAIN["token"], app_id="wx0")
    body = pusher.build(pusher.text("o_vector", "1")).body
    params = {k: B_PLAIN[k] for k in ("signature", "timestamp", "nonce")}
    assert client.post("/wechat", params=params, content=body).status_code == 200
    wrong = _client(database, "BBBBB")
    assert wrong.post("/wechat", params=params, content=body).status_code == 403


def test_documentation_safe_mode_json_vector(database: Engine) -> None:
    client = _client(database, B_SAFE["token"], B_SAFE["encoding_aes_key"], B_SAFE["appid"])
    params = {
        "signature": signing.sign(B_SAFE["token"], B_SAFE["timestamp"], B_SAFE["nonce"]),
        "timestamp": B_SAFE["timestamp"],
        "nonce": B_SAFE["nonce"],
        "encrypt_type": "aes",
        "msg_signature": B_SAFE["msg_signature"],
    }
    body = json.dumps({"ToUserName": "gh_97417a04a28d", "Encrypt": B_SAFE["encrypt"]})
    response = client.post("/wechat", params=params, content=body.encode())
    assert (response.status_code, response.text) == (200, "success")
    [message] = _stored(database)
    assert SEALER.open(message.raw) == B_SAFE["expect_plain"]  # kept sealed
    assert message.event == "debug_demo"
    assert message.fields["debug_str"] == "hello world"
    assert message.mode == "safe"


def test_documentation_reply_vector_is_reproduced() -> None:
    class DocumentPrefix(PrpCrypto):
        def get_random_string(self) -> str:
            return B_REPLY["random16"]

    crypto = MessageCrypto(B_SAFE["encoding_aes_key"], B_SAFE["appid"], prp=DocumentPrefix)
    encrypted = crypto.encrypt(B_REPLY["plain"])
    assert encrypted == B_REPLY["encrypt"]
    signature = signing.sign(B_SAFE["token"], B_REPLY["timestamp"], B_REPLY["nonce"], encrypted)
    assert signature == B_REPLY["msg_signature"]
    assert crypto.decrypt(encrypted) == B_REPLY["plain"]
