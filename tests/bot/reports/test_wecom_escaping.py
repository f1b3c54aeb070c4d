"""Staff notices are WeCom markdown: what residents (or anyone but Linli) typed reaches the
group as plain words — no link, tag, emphasis or heading renders — and the only link is
Linli's own, to the report in the console."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.delivery.wecom import inert, notice
from store.outbox.models import OutboxMessage
from tests.bot.delivery.delivery_rig import CONTENT
from tests.bot.reports.report_rig import POLICY, open_desk
from tests.chat import Sends, open_chat, run
from tests.report_helpers import Neighbourhood

PHISH = "[紧急：请点此登录处理](http://evil.example/phish)"
HOSTILE = (
    PHISH,
    '<font color="warning">系统通知</font>',
    "![图](https://evil.example/a.png)",
    "<@all> 请尽快处理",
    "<a href='http://evil.example'>点这里</a>",
    "**加粗** __下划线__ _斜体_ `代码` ~~删除~~",
    "# 大标题\n> 引用\n- 列表",
    "访问 www.evil.example 或 HTTPS://evil.example/x 或 evil.example/login",
    "&lt;font color=&quot;warning&quot;&gt;警告&lt;/font&gt;",
    "\\[转义\\](http://evil.example)",
    "[链接]\n(http://evil.example)",
    "[引用式链接][1]\n\n[1]: http://evil.example",
)
# What WeCom markdown (or a chat client's auto-linking) would render as more than words.
ACTIVE = re.compile(
    r"\]\s*[(\[]|<\s*[A-Za-z/@!]|&[A-Za-z#]|(?i:[a-z]+://|www\.|\.example)|\*\*|__|`|~~"
    r"|(?m:^\s*[#>])|(?<![0-9-])\*|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"
)


def active_markup(text: str) -> list[str]:
    """The pieces of a notice that would render as markup (links, tags, emphasis …)."""
    return [m.group(0) for m in ACTIVE.finditer(text)]


@pytest.mark.parametrize("typed", HOSTILE)
def test_whatever_a_resident_types_renders_as_words_in_every_staff_notice(typed: str) -> None:
    staff = CONTENT.reports.staff
    wordings = [staff.new_report, staff.urgent_report, staff.reminder, staff.escalated,
                staff.reopened, staff.reopened_by_staff,
                CONTENT.notifications.staff_texts.human_request]  # fmt: skip
    for wording in wordings:
        filled = notice(
            wording, reference="BS-20261128-0042", category="路灯/照明", place=typed,
            description=typed, handler=typed, minutes=30, resident="…a_b*", text=typed,
        )  # fmt: skip
        assert active_markup(filled) == [], (wording, filled)
        assert "\n" not in filled
    # The words themselves survive, in look-alike characters staff read the same way.
    assert inert(PHISH) == "［紧急：请点此登录处理］（http：//evil．example/phish）"


def test_linli_own_masking_of_numbers_reads_as_before() -> None:
    assert inert("有事打138****5678，身份证110105********1234") == (
        "有事打138****5678，身份证110105********1234"
    )
    assert inert("3.5米 3号楼2单元") == "3.5米 3号楼2单元"


def test_a_phishing_link_in_a_report_reaches_the_staff_group_as_words_and_only_linli_links(
    database: Engine, tmp_path: Path, place: Neighbourhood
) -> None:
    desk = open_desk(database, tmp_path, public_url="https://linli.example.gov.cn/")
    typed_place = '<font color="warning">8栋</font>'
    desk.script("o_resident_0001", [Sends("我要报事"), Sends("7"), Sends(PHISH),
                                    Sends(typed_place), Sends("1"), Sends("没有"),
                                    Sends("确认提交")])  # fmt: skip
    assert "已提交，编号" in (desk.chat.last_reply or "")
    desk.deliver()
    desk.later(minutes=POLICY.escalate_minutes)
    assert desk.plan() == 2  # the reminder and the escalation
    desk.deliver()
    texts = desk.robot_texts()
    assert len(texts) >= 2
    own_link = re.compile(r"详情：https://linli\.example\.gov\.cn/console/reports/[A-Z0-9-]+\n?")
    for text in texts:
        assert own_link.search(text), text
        assert active_markup(own_link.sub("", text)) == [], text
        assert "8栋" in text
    assert "紧急：请点此登录处理" in texts[0]


def test_a_request_for_a_person_reaches_staff_as_words(database: Engine) -> None:
    chat = open_chat(database)
    chat.openid = "o_needs_help__7_"  # its masked tail …_7_ would read as emphasis
    run(chat, [Sends("人工")])
    with Session(database) as session:
        [sent] = session.exec(select(OutboxMessage).where(OutboxMessage.audience == "staff"))
    text = str(sent.payload["text"])
    assert "请求人工服务" in text and "7" in text
    assert active_markup(text) == [], text
