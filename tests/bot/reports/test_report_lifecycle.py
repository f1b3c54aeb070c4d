"""The issue's acceptance test: a report goes round the whole loop through the webhook, the staff
API and the WeChat sandbox — reported, followed, accepted, resolved, asked about, reopened,
resolved again and closed with a rating — and the planner's reminders, escalations and closings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.outbox.models import OutboxMessage
from store.reports.models import ReportFollower
from store.staff.models import AuditEntry
from tests.bot.reports.report_rig import POLICY, Desk, open_desk
from tests.chat import Answers, Sends
from tests.report_helpers import COMMITTEE, Neighbourhood, seed
from tests.staff_helpers import create_staff, token_for

A, B = "o_resident_a", "o_resident_b"


@pytest.fixture
def place(database: Engine) -> Neighbourhood:
    return seed(database)


@pytest.fixture
def clerk(database: Engine, place: Neighbourhood) -> dict[str, str]:
    return token_for(database, create_staff(database, "li", committee=COMMITTEE))


def news_for(desk: Desk, openid: str, since: int = 0) -> list[tuple[str, str]]:
    return desk.texts_to(openid)[since:]


def test_a_report_goes_round_the_whole_loop(
    database: Engine, tmp_path: Path, place: Neighbourhood, clerk: dict[str, str]
) -> None:
    desk = open_desk(database, tmp_path)

    # Resident A reports; the grid worker of 3栋 hears of it in the WeCom group.
    ref = desk.report(A, description="3栋楼道口停满了共享单车")
    assert desk.deliver() == 1
    [notice] = desk.robot_texts()
    assert f"新报事 {ref}【共享单车乱停放】3栋" in notice and "处理人：wang" in notice

    # Resident B reports the same problem at the same building and follows A's report instead.
    desk.script(B, [
        Sends("我要报事"), Sends("1"), Sends("单车把楼道堵了"), Sends("3栋"),
        Answers(ref, "这是不是同一个问题"),
        Sends("是同一个问题"),
        Answers(f"已为您关注 {ref}"),
    ])  # fmt: skip
    assert followers_of(database, desk.stored(ref).id or 0) == [B]

    # Staff accept and resolve through the API; A and B hear of each step.
    desk.act(ref, "accept", clerk, "已安排网格员处理")
    desk.act(ref, "resolve", clerk, "单车已清走")
    desk.deliver()
    for resident in (A, B):
        assert news_for(desk, resident) == [
            ("custom", f"您反映的 {ref}（共享单车乱停放）已受理。已安排网格员处理"),
            ("custom", f"{ref}（共享单车乱停放）已处理：单车已清走"),
        ]

    # follow_up_days later the planner asks A (the window is closed: a template message).
    desk.later(days=POLICY.follow_up_days)
    assert desk.plan() == 1
    assert desk.plan() == 0
    desk.deliver()
    [(channel, asked)] = news_for(desk, A, since=2)
    assert channel == "template" and ref in asked and "问题解决了吗" in asked
    assert news_for(desk, B, since=2) == []  # only the reporter is asked

    # A says it is not solved: the report is reopened and its handler told.
    assert "已重新交给工作人员处理" in desk.says(A, "2")
    report = desk.stored(ref)
    assert (report.status, report.reopened, report.follow_up_solved) == ("in_progress", 1, False)
    desk.deliver()
    assert any("居民回访表示没有解决" in t and ref in t for t in desk.robot_texts())
    assert news_for(desk, A, since=3) == [("custom", f"{ref}（共享单车乱停放）已重新处理。")]

    # Resolved again; the planner asks again, A is satisfied and rates it 5: closed.
    desk.act(ref, "resolve", clerk, "已加装隔离桩")
    desk.later(days=POLICY.follow_up_days)
    assert desk.plan() == 1
    desk.deliver()
    assert "问题解决了吗" in news_for(desk, A)[-1][1]
    assert "请给这次处理打个分" in desk.says(A, "1")
    assert f"谢谢您的评价！{ref} 已办结" in desk.says(A, "5")
    report = desk.stored(ref)
    assert (report.status, report.follow_up_solved, report.follow_up_rating) == ("closed", True, 5)
    desk.deliver()
    assert news_for(desk, A)[-1] == ("custom", f"{ref}（共享单车乱停放）已办结。")
    assert ref in news_for(desk, B)[-1][1]

    detail = desk.api("GET", f"/api/v1/reports/{ref}", clerk).json()
    assert detail["status"] == "closed" and detail["followers"] == 1
    assert detail["follow_up"]["rating"] == 5 and detail["reopened"] == 1
    assert [e["kind"] for e in detail["timeline"]] == [
        "created", "followed", "accepted", "resolved", "follow_up_asked", "follow_up_answered",
        "reopened", "resolved", "follow_up_asked", "follow_up_answered", "closed",
    ]  # fmt: skip
    with Session(database) as session:
        audited = session.exec(
            select(AuditEntry.action, AuditEntry.object_id).where(AuditEntry.actor == "li")
        ).all()
    assert [tuple(row) for row in audited if row[1] == ref] == [
        ("report.accept", ref), ("report.resolve", ref), ("report.resolve", ref)]  # fmt: skip


def test_an_unaccepted_report_reminds_its_handler_then_tells_the_admins_once_each(
    database: Engine, tmp_path: Path, place: Neighbourhood, clerk: dict[str, str]
) -> None:
    desk = open_desk(database, tmp_path)
    waiting = desk.report(A)
    taken = desk.report(B, category="7", description="5栋门口路灯不亮", place="5栋")
    desk.act(taken, "accept", clerk)
    desk.deliver()

    desk.later(minutes=POLICY.accept_minutes - 1)
    assert desk.plan() == 0
    desk.later(minutes=1)
    assert desk.plan() == 1
    queued = desk.outbox_size()
    assert desk.plan() == 0 and desk.outbox_size() == queued  # planning twice adds nothing
    desk.deliver()
    reminder = desk.robot_texts()[-1]
    assert f"提醒：{waiting}" in reminder and f"已等待受理{POLICY.accept_minutes}分钟" in reminder
    assert taken not in reminder

    desk.later(minutes=POLICY.escalate_minutes - POLICY.accept_minutes)
    assert desk.plan() == 1
    assert desk.plan() == 0 and desk.outbox_size() == queued + 1
    desk.deliver()
    escalated = desk.robot_texts()[-1]
    assert f"【请管理员关注】{waiting}" in escalated
    assert f"超过{POLICY.escalate_minutes}分钟无人受理" in escalated
    report = desk.stored(waiting)
    assert report.reminded_at is not None and report.escalated_at is not None
    assert desk.stored(taken).reminded_at is None


def test_at_night_an_urgent_report_reaches_staff_at_once_and_a_normal_one_waits_for_morning(
    database: Engine, tmp_path: Path, place: Neighbourhood
) -> None:
    # 23:00 in Guangzhou, inside the quiet period (21:00-08:00).
    desk = open_desk(database, tmp_path, at=datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
    normal = desk.report(A)
    urgent = desk.report(B, category="4", description="消防通道被私家车堵住了", place="5栋",
                         answers=("是",))  # fmt: skip
    desk.deliver()
    [notice] = desk.robot_texts()
    assert f"【紧急】新报事 {urgent}" in notice and normal not in notice
    with Session(database) as session:
        held = session.exec(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == f"report-new:{normal}")
        ).one()
    assert held.status == "pending"
    assert held.next_attempt_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 local

    desk.later(hours=9)  # 08:00
    desk.deliver()
    assert f"新报事 {normal}" in desk.robot_texts()[-1]


def test_an_unanswered_follow_up_closes_the_report_and_a_late_answer_is_still_kept(
    database: Engine, tmp_path: Path, place: Neighbourhood, clerk: dict[str, str]
) -> None:
    desk = open_desk(database, tmp_path)
    ref = desk.report(A)
    desk.act(ref, "accept", clerk)
    desk.act(ref, "resolve", clerk, "单车已清走")
    desk.later(days=POLICY.follow_up_days)
    assert desk.plan() == 1

    desk.later(days=POLICY.follow_up_close_days, seconds=-1)
    assert desk.plan() == 0
    desk.later(seconds=1)
    assert desk.plan() == 1
    assert desk.plan() == 0
    report = desk.stored(ref)
    assert (report.status, report.follow_up_answered_at) == ("closed", None)

    # Weeks later, still within follow_up_late_days of the question, A answers after all. By
    # now a bare 1 is the main menu's first item; the answer counts when said in words.
    desk.later(days=POLICY.follow_up_late_days - POLICY.follow_up_close_days - 1)
    assert "您想了解哪一项" in desk.says(A, "1")
    assert desk.stored(ref).follow_up_answered_at is None
    desk.says(A, "菜单")
    assert "请给这次处理打个分" in desk.says(A, "已经解决了")
    assert "谢谢您的评价" in desk.says(A, "4")
    report = desk.stored(ref)
    assert (report.status, report.follow_up_solved, report.follow_up_rating) == ("closed", True, 4)
    assert report.follow_up_answered_at == desk.clock.now


def test_past_the_late_days_a_reply_is_no_longer_taken_as_the_follow_up_answer(
    database: Engine, tmp_path: Path, place: Neighbourhood, clerk: dict[str, str]
) -> None:
    desk = open_desk(database, tmp_path)
    ref = desk.report(A)
    desk.act(ref, "resolve", clerk, "已清理")
    desk.later(days=POLICY.follow_up_days)
    desk.plan()
    desk.later(days=POLICY.follow_up_late_days, seconds=1)
    desk.plan()
    assert "请给这次处理打个分" not in desk.says(A, "已解决")
    assert desk.stored(ref).follow_up_answered_at is None


def followers_of(database: Engine, report_id: int) -> list[str]:
    with Session(database) as session:
        query = select(ReportFollower.openid).where(ReportFollower.report_id == report_id)
        return list(session.exec(query))


def test_with_a_public_url_the_wecom_notice_links_to_the_report_in_the_console(
    database: Engine, tmp_path: Path, place: Neighbourhood
) -> None:
    desk = open_desk(database, tmp_path, public_url="https://linli.example.gov.cn/")
    ref = desk.report(A)
    desk.deliver()
    [notice] = desk.robot_texts()
    assert f"详情：https://linli.example.gov.cn/console/reports/{ref}" in notice


def test_a_reply_counts_as_the_follow_up_answer_only_once_the_question_reached_the_resident(
    database: Engine, tmp_path: Path, place: Neighbourhood, clerk: dict[str, str]
) -> None:
    desk = open_desk(database, tmp_path)
    ref = desk.report(A)
    desk.act(ref, "resolve", clerk, "单车已清走")
    desk.later(days=POLICY.follow_up_days)
    assert desk.plan() == 1
    # Asked but not yet delivered: a bare 2 is still the main menu's 我要报事.
    assert "请说说遇到了什么问题" in desk.says(A, "2")
    desk.says(A, "取消")
    assert desk.stored(ref).status == "resolved"
    desk.deliver()
    # Delivered: a sentence about something else is not taken as the answer: it is a new
    # report, whose category is asked about …
    said = desk.says(A, "3栋的水管还没修好，又漏了")
    assert "已重新交给工作人员" not in said and "「漏水/下水道」" in said
    assert desk.stored(ref).follow_up_answered_at is None
    desk.says(A, "取消")
    # … while the plain answer is.
    assert "已重新交给工作人员处理" in desk.says(A, "没有解决")
    assert desk.stored(ref).status == "in_progress"


def test_staff_reopening_and_long_notes_read_right_to_staff_and_residents(
    database: Engine, tmp_path: Path, place: Neighbourhood, clerk: dict[str, str]
) -> None:
    desk = open_desk(database, tmp_path)
    ref = desk.report(A)
    desk.act(ref, "resolve", clerk, "已清理")
    desk.act(ref, "reopen", clerk, "复查发现还有")
    long_note = "处理经过：" + "详细情况" * 300
    answer = desk.api(
        "POST", f"/api/v1/reports/{ref}/notes", clerk, {"text": long_note, "public": True}
    )
    assert answer.status_code == 200, answer.text[:200]
    desk.deliver()
    reopened = [t for t in desk.robot_texts() if "已重新打开" in t]
    assert reopened and "居民回访" not in reopened[0]
    pushed = news_for(desk, A)[-1][1]
    assert pushed.startswith(f"{ref}（共享单车乱停放）进展：处理经过") and pushed.endswith("…")
    assert len(pushed.encode()) < 2048  # WeChat's limit for a customer-service text
    detail = desk.api("GET", f"/api/v1/reports/{ref}", clerk).json()
    assert detail["timeline"][-1]["note"] == long_note  # the timeline keeps every word
