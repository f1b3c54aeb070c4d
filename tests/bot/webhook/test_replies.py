"""Replies survive any text: `]]>` cannot break out of CDATA; bad content stops start-up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.main import create_app
from bot.wechat.payload import parse_xml
from bot.wechat.replies import text_reply_xml
from config.content import ContentError
from tests.chat import Answers, Sends, open_chat, run, settings_for


def test_a_closing_cdata_marker_in_reply_text_stays_text() -> None:
    hostile = "价格]]><MsgType>news</MsgType><Content>被注入"
    xml = text_reply_xml(to_user="o1", from_user="gh_1", content=hostile)
    fields = parse_xml(xml)
    assert fields["Content"] == hostile
    assert fields["MsgType"] == "text"


def test_a_reply_with_a_cdata_marker_reaches_the_resident_intact(
    database: Engine, content_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "zh-CN"
    shutil.copytree(content_dir, copy)
    office = copy / "office.yaml"
    office.write_text(
        office.read_text(encoding="utf-8").replace(
            '    answer: ""   # committee must fill in', '    answer: "9:00]]>17:00"  #', 1
        ),
        encoding="utf-8",
    )
    for mode in ("plain", "safe"):
        chat = open_chat(database, mode, content_dir=copy)
        chat.openid = f"o_cdata_{mode}"
        run(chat, [Sends("办公时间"), Answers("9:00]]>17:00")])


def test_the_app_does_not_start_with_broken_content(
    database: Engine, content_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "zh-CN"
    shutil.copytree(content_dir, copy)
    (copy / "bot.yaml").write_text("greeting: [", encoding="utf-8")
    with pytest.raises(ContentError, match=r"bot\.yaml:1"):
        create_app(settings_for(database, content_dir=copy), database=database)
