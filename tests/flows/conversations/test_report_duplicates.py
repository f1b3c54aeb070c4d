"""我要报事 without a map: an open report of the same kind at the same place, or nearby, is offered
as the same problem, and a yes follows it. Conversations through the real webhook."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from store.reports.models import Report, ReportEvent, ReportFollower
from tests.chat import Answers, DoesNotAnswer, Sends, SendsLocation, Stored, open_chat, run
from tests.report_helpers import Neighbourhood, reference_in


def test_a_duplicate_at_the_same_building_is_offered_and_a_yes_follows_it(
    database: Engine, place: Neighbourhood
) -> None:
    first = open_chat(database)
    run(first, [Sends("我要报事"), Sends("单车"), Sends("单车把楼道口堵死了"), Sends("3栋")])
    run(first, [Sends("没有"), Sends("1")])
    reference = reference_in(first)

    second = open_chat(database)
    second.openid = "o_neighbour_0002"
    run(
        second,
        [
            Sends("我要报事"),
            Sends("共享单车乱停"),
            Answers("您反映的是「共享单车乱停放」吗？"),
            Sends("对"),
            Answers("问题在哪里？"),
            Sends("3号楼"),
            Answers("附近已经有人反映了同类问题", reference, "单车把楼道口堵死了", "（已提交）"),
            Answers("这是不是同一个问题？", "1. 是同一个问题，我也关注"),
            Sends("1"),
            Answers(f"已为您关注 {reference}"),
            Stored(Report, count=1),
            Stored(ReportFollower, count=1, openid="o_neighbour_0002"),
            Sends("我的报事"),
            Answers(f"{reference} 共享单车乱停放（关注）：已提交"),
        ],
    )


def test_a_duplicate_nearby_by_location_can_be_declined(
    database: Engine, place: Neighbourhood
) -> None:
    market = (23.1400, 113.2800)  # far from every known place
    first = open_chat(database)
    run(
        first,
        [
            Sends("我要报事"),
            Sends("建筑垃圾"),
            Sends("路边一大堆装修垃圾"),
            SendsLocation(*market, label="菜市场门口"),
            Answers("大概有多少？"),
            Sends("一车"),
            Sends("没有"),
            Answers("地点：菜市场门口"),
            Sends("1"),
        ],
    )
    second = open_chat(database)
    second.openid = "o_neighbour_0003"
    run(
        second,
        [
            Sends("我要报事"),
            Sends("2"),
            Sends("又有人倒了装修垃圾"),
            SendsLocation(market[0] + 0.0004, market[1], label="菜市场"),  # about 45 m
            Answers("这是不是同一个问题？"),
            Sends("不是"),
            Answers("大概有多少？"),
            Sends("几袋"),
            Sends("没有"),
            Sends("1"),
            Answers("已提交"),
            Stored(Report, count=2),
            Stored(ReportFollower, count=0),
        ],
    )


def test_an_old_or_closed_report_is_not_offered_as_a_duplicate(
    database: Engine, place: Neighbourhood
) -> None:
    first = open_chat(database)
    run(first, [Sends("我要报事"), Sends("单车"), Sends("单车堵门"), Sends("3栋"), Sends("没有")])
    run(first, [Sends("1")])
    second = open_chat(database, clock=first.clock)
    second.openid = "o_neighbour_0004"
    first.clock.advance(hours=73)  # past the 72-hour window of reports.yaml
    run(second, [Sends("我要报事"), Sends("单车"), Sends("单车堵门"), Sends("3栋")])
    run(second, [DoesNotAnswer("同一个问题"), Answers("请发送现场照片")])


def test_cancel_at_the_duplicate_question_follows_nothing(
    database: Engine, place: Neighbourhood
) -> None:
    first = open_chat(database)
    run(first, [Sends("我要报事"), Sends("7"), Sends("灯不亮"), Sends("3栋"), Sends("没有")])
    run(first, [Sends("1")])
    second = open_chat(database)
    second.openid = "o_neighbour_0005"
    run(second, [Sends("我要报事"), Sends("7"), Sends("灯坏了"), Sends("3栋")])
    run(
        second,
        [
            Answers("这是不是同一个问题？"),
            Sends("取消"),
            Answers("已取消"),
            Stored(ReportFollower, count=0),
            Stored(Report, count=1),
        ],
    )


def test_reporting_ones_own_open_report_again_is_not_a_new_one_and_staff_see_it(
    database: Engine, place: Neighbourhood
) -> None:
    chat = open_chat(database)
    run(chat, [Sends("我要报事"), Sends("7"), Sends("灯不亮"), Sends("3栋"), Sends("没有")])
    run(chat, [Sends("1")])
    reference = reference_in(chat)
    run(
        chat,
        [
            Sends("我要报事"),
            Sends("7"),
            Sends("灯还是不亮"),
            Sends("3栋"),
            Answers("您已经反映过3栋的这个问题", reference, "（已提交）"),
            Sends("是"),
            Answers(f"已告诉工作人员您再次反映了 {reference}"),
            Stored(Report, count=1),
            Stored(ReportFollower, count=0),
            Stored(ReportEvent, kind="repeated"),
        ],
    )


def test_a_duplicate_shown_to_a_neighbour_hides_the_reporters_numbers(
    database: Engine, place: Neighbourhood
) -> None:
    first = open_chat(database)
    said = "灯坏了，我是502王芳，电话13812345678"
    run(
        first, [Sends("我要报事"), Sends("7"), Sends(said), Sends("3栋"), Sends("没有"), Sends("1")]
    )
    second = open_chat(database)
    second.openid = "o_neighbour_0006"
    run(
        second,
        [
            Sends("我要报事"),
            Sends("7"),
            Sends("灯坏了"),
            Sends("3栋"),
            Answers("这是不是同一个问题？", "138****5678"),
            DoesNotAnswer("13812345678"),
        ],
    )
