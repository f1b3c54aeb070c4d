"""Access logs do not show residents' openids."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import Engine

from bot.web.logs import MaskOpenIds
from tests.chat import Sends, open_chat, run


def test_the_access_log_masks_the_openid_in_push_urls() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:5000", "POST", "/wechat?signature=ab&openid=o6_bmjrPTlm6_2sgVt7hMZOPfL2M&x=1",
         "1.1", 200), None,
    )  # fmt: skip
    MaskOpenIds().filter(record)
    line = record.getMessage()
    assert "o6_bmjrPTlm6" not in line
    assert "openid=***&x=1" in line
    record.args = (
        "POST",
        "https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=SECRET1",
    )
    MaskOpenIds().filter(record)
    assert "SECRET1" not in str(record.args)


def test_a_personal_number_in_a_logged_url_is_masked() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:5000", "GET", "/console/residents?q=13812345678&id=11010519491231002X",
         "1.1", 200), None,
    )  # fmt: skip
    MaskOpenIds().filter(record)
    line = record.getMessage()
    assert "13812345678" not in line and "11010519491231002X" not in line
    assert "/console/residents?q=" in line and "002X" in line


def test_nothing_the_webhook_logs_names_the_resident(
    database: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    chat = open_chat(database)
    chat.openid = "o_secret_resident_42"
    with caplog.at_level(logging.DEBUG):
        run(chat, [Sends("人工"), Sends("1")])
        chat.client.post("/wechat", params={"openid": chat.openid}, content=b"<xml/>")
    assert caplog.records  # the refused push above was logged
    assert "o_secret_resident_42" not in caplog.text
