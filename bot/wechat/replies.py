"""Passive replies: a text reply rendered by wechatpy, encrypted in the mode it came in."""

from __future__ import annotations

import json
import time

from wechatpy.replies import TextReply

from bot.wechat import signing
from bot.wechat.crypto import MessageCrypto

SUCCESS = "success"


def escape_cdata(text: str) -> str:
    """Make text safe inside CDATA (wechatpy does not escape a closing `]]>`)."""
    return text.replace("]]>", "]]]]><![CDATA[>")


def text_reply_xml(*, to_user: str, from_user: str, content: str, at: int | None = None) -> str:
    """The plaintext XML of a text reply."""
    reply = TextReply(
        target=to_user, source=from_user, content=escape_cdata(content), time=at or int(time.time())
    )
    return reply.render()


def text_reply_json(*, to_user: str, from_user: str, content: str, at: int | None = None) -> str:
    """The plaintext JSON of a text reply, for accounts that push JSON."""
    return json.dumps(
        {
            "ToUserName": to_user,
            "FromUserName": from_user,
            "CreateTime": at or int(time.time()),
            "MsgType": "text",
            "Content": content,
        },
        ensure_ascii=False,
    )


def encrypt_envelope(
    crypto: MessageCrypto, token: str, plain: str, *, nonce: str, timestamp: str, as_json: bool
) -> str:
    """Wrap a plaintext reply in WeChat's signed, encrypted envelope."""
    encrypted = crypto.encrypt(plain)
    signature = signing.sign(token, timestamp, nonce, encrypted)
    if as_json:
        return json.dumps(
            {
                "Encrypt": encrypted,
                "MsgSignature": signature,
                "TimeStamp": int(timestamp),
                "Nonce": nonce,
            }
        )
    return (
        f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
        f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{escape_cdata(nonce)}]]></Nonce></xml>"
    )
