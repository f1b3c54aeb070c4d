"""我要报事 and 我的报事 as conversations: what the resident sends, what Linli answers, what is
stored. Every script runs through the real webhook (signed XML) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.outbox.models import OutboxMessage
from store.reports.models import Report, ReportEvent, ReportPhoto
from tests.chat import (
    SEALER,
    Answers,
    Sends,
    SendsImage,
    SendsLocation,
    SendsVoice,
    Step,
    Stored,
    open_chat,
    run,
)
from tests.report_helpers import (
    BUILDING_5,
    REFERENCE,
    Neighbourhood,
    only_report,
    reference_in,
)


def test_a_resident_reports_a_parked_bike_with_a_sentence_a_typed_building_and_two_photos(
    database: Engine, place: Neighbourhood
) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("我要报事"),
            Answers("请说说遇到了什么问题", "1. 共享单车乱停放", "11. 其他"),
            Sends("楼道口堆了好多共享单车，老人进出不方便"),
            Answers("您反映的是「共享单车乱停放」吗？", "1. 是"),
            Sends("是"),
            # The first sentence was the description: it is not asked again.
            Answers("问题在哪里？"),
            Sends("三栋"),
            Answers("请发送现场照片（最多3张）"),
            SendsImage(),
            Answers("已收到第1张照片", "还可以再发2张"),
            SendsImage(),
            Answers("已收到第2张照片"),
            Sends("好了"),
            Answers(
                "请核对",
                "类别：共享单车乱停放",
                "地点：3栋",
                "描述：楼道口堆了好多共享单车，老人进出不方便",
                "照片：2张",
                "1. 确认提交",
            ),
            Sends("1"),
            Answers("已提交，编号 BS-", "我的报事"),
            Stored(ReportPhoto, count=2, status="pending"),
            Stored(Report, status="submitted", place_id=place.building_3),
        ],
    )
    report = only_report(database)
    assert report.reference == reference_in(chat)
    # Routed to the grid worker who looks after 3栋, who hears of it in the WeCom group.
    assert report.assignee_id == place.grid_worker.id
    assert report.committee_id == place.committee_id
    with Session(database) as session:
        [notice] = session.exec(select(OutboxMessage).where(OutboxMessage.audience == "staff"))
        [created] = session.exec(select(ReportEvent).where(ReportEvent.report_id == report.id))
    assert report.reference in notice.payload["text"] and "wang" in notice.payload["text"]
    assert not notice.urgent
    assert created.kind == "created"


def test_a_fire_lane_is_reported_by_number_by_voice_and_by_location_and_is_urgent(
    database: Engine, place: Neighbourhood
) -> None:
    chat = open_chat(database)
    near_5 = (BUILDING_5[0] + 0.0005, BUILDING_5[1])  # about 55 m away
    run(
        chat,
        [
            Sends("2"),  # 我要报事 is the second item of the main menu
            Answers("请说说遇到了什么问题"),
            Sends("4"),
            Answers("请简单描述一下问题"),
            SendsVoice("消防通道被私家车堵住了"),
            Answers("问题在哪里？"),
            SendsLocation(*near_5, label="东风路12号"),
            # The category's own question, beyond the basics.
            Answers("是否堵塞消防通道？"),
            Sends("是的"),
            Answers("请发送现场照片"),
            Sends("没有"),
            Answers("类别：消防隐患/消防通道堵塞", "地点：5栋", "是否堵塞消防通道：是"),
            Answers("照片：0张"),
            Sends("确认提交"),
            Answers("已提交，编号"),
        ],
    )
    report = only_report(database)
    assert report.place_id == place.building_5
    assert (report.lat, report.lng) == pytest.approx(near_5)
    assert report.place_text == "东风路12号"
    assert report.urgent and report.category == "fire_safety"
    assert report.description == "消防通道被私家车堵住了"
    assert report.answers == [
        {"key": "blocking", "question": "是否堵塞消防通道？请回复「是」或「否」。", "answer": "是"}
    ]
    # Nobody is named for fire safety: the committee's staff as a whole, told at once.
    assert report.assignee_id is None
    with Session(database) as session:
        [notice] = session.exec(select(OutboxMessage).where(OutboxMessage.audience == "staff"))
    assert notice.urgent and "【紧急】" in notice.payload["text"]


@pytest.mark.parametrize("typed", ["3栋", "三栋", "3号楼", "3栋2单元门口"])
def test_a_typed_building_matches_however_it_is_written(
    database: Engine, place: Neighbourhood, typed: str
) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("报事"),
            Sends("漏水"),
            Answers("请简单描述一下问题"),
            Sends("楼上一直往下渗水"),
            Sends(typed),
            Answers("现在还在漏水吗？"),
            Sends("否"),
            Sends("没有"),
            Answers("地点：3栋", "现在还在漏水吗：否"),
            Sends("1"),
        ],
    )
    assert only_report(database).place_id == place.building_3


def test_an_unknown_building_is_asked_again_or_kept_as_typed(
    database: Engine, place: Neighbourhood
) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("我要报事"),
            Sends("路灯"),
            Sends("门口的路灯晚上不亮"),
            Sends("8栋"),
            Answers("没有找到「8栋」这个楼栋或地点", "1. 就按我说的地址记录", "2. 重新输入"),
            Sends("2"),
            Answers("问题在哪里？"),
            Sends("东门"),  # part of a public place's name is enough
            Answers("请发送现场照片"),
            Sends("没有"),
            Answers("地点：小区东门"),
            Sends("1"),
        ],
    )
    assert only_report(database).place_id == place.east_gate

    other = open_chat(database)
    other.openid = "o_resident_0002"
    run(
        other,
        [
            Sends("我要报事"),
            Sends("路灯"),
            Sends("新楼那边的路灯坏了"),
            Sends("12栋"),
            Answers("没有找到「12栋」"),
            Sends("1"),
            Sends("没有"),
            Answers("地点：12栋"),
            Sends("1"),
            Answers("已提交"),
        ],
    )
    with Session(database) as session:
        kept = session.exec(select(Report).where(Report.reporter_openid == other.openid)).one()
    assert kept.place_id is None and kept.place_text == "12栋"
    # Unplaced, it still belongs to the installation's only committee.
    assert kept.committee_id == place.committee_id


def test_a_sentence_no_category_fits_offers_the_list_and_keeps_the_sentence(
    database: Engine, place: Neighbourhood
) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("我要报事"),
            Sends("楼下便利店每天占道摆摊"),
            Answers("请选择问题类别", "11. 其他"),
            Sends("其他"),
            Answers("问题在哪里？"),
            Sends("小区东门"),
            Sends("没有"),
            Answers("类别：其他", "描述：楼下便利店每天占道摆摊"),
            Sends("2"),
            Answers("这次没有提交"),
            Stored(Report, count=0, reporter_openid=chat.openid),
        ],
    )


def test_a_wrong_guess_is_corrected_by_choosing(database: Engine, place: Neighbourhood) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("我要报事"),
            Sends("楼道里有狗屎和建筑垃圾"),
            Answers("您反映的是「建筑垃圾」吗？"),
            Sends("不是"),
            Answers("请选择问题类别"),
            Sends("10"),
            Answers("问题在哪里？"),
        ],
    )


def test_answers_linli_cannot_use_get_a_hint_and_the_same_question(
    database: Engine, place: Neighbourhood
) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("我要报事"),
            Sends("99"),
            Answers("请回复类别前面的数字", "请说说遇到了什么问题"),
            SendsImage(),
            Answers("请回复类别前面的数字"),
            Sends("噪音"),
            Sends("晚上十一点还在装修"),
            SendsImage(),  # a photo is not a place
            Answers("请回复楼栋或地点", "问题在哪里？"),
            Sends("5栋"),
            Answers("一般是什么时间段吵？"),
            Sends("晚上十点以后"),
            Sends("这是照片"),  # words are not a photo
            Answers("请发送一张照片", "请发送现场照片"),
            SendsImage(),
            SendsImage(),
            SendsImage(),
            # The third photo is the last one allowed: straight on to the summary.
            Answers("照片：3张", "一般是什么时间段吵：晚上十点以后"),
            Sends("1"),
            Stored(ReportPhoto, count=3),
        ],
    )


# -- 取消 at every step ------------------------------------------------------------------------

TO_STEP: dict[str, list[Step]] = {
    "category": [Sends("我要报事")],
    "confirm_category": [Sends("我要报事"), Sends("楼下的路灯坏了好几天")],
    "pick_category": [Sends("我要报事"), Sends("楼下便利店每天占道摆摊")],
    "description": [Sends("我要报事"), Sends("6")],
    "place": [Sends("我要报事"), Sends("6"), Sends("楼上装修太吵了")],
    "place_unknown": [Sends("我要报事"), Sends("6"), Sends("楼上装修太吵"), Sends("9栋")],
    "question": [Sends("我要报事"), Sends("6"), Sends("楼上装修太吵"), Sends("3栋")],
    "photos": [Sends("我要报事"), Sends("7"), Sends("灯不亮了"), Sends("3栋"), SendsImage()],
    "confirm": [Sends("我要报事"), Sends("7"), Sends("灯不亮了"), Sends("3栋"), Sends("没有")],
}


@pytest.mark.parametrize("step", list(TO_STEP))
def test_cancel_at_any_step_files_nothing(
    database: Engine, place: Neighbourhood, step: str
) -> None:
    chat = open_chat(database)
    run(chat, TO_STEP[step])
    run(
        chat,
        [
            Sends("取消"),
            Answers("好的，已取消", "请回复数字或文字选择"),
            Stored(Report, count=0),
            Stored(ReportPhoto, count=0),
            Sends("我要报事"),  # and a new report starts from the beginning
            Answers("请说说遇到了什么问题"),
        ],
    )


def test_back_returns_to_the_previous_question(database: Engine, place: Neighbourhood) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("我要报事"),
            Sends("7"),
            Sends("灯不亮了"),
            Answers("问题在哪里？"),
            Sends("返回"),
            Answers("请简单描述一下问题"),
            Sends("楼道灯全坏了"),
            Sends("3栋"),
            Sends("没有"),
            Answers("描述：楼道灯全坏了"),
        ],
    )


# -- 我的报事 ---------------------------------------------------------------------------------


def test_my_reports_lists_own_reports_newest_first_with_status(
    database: Engine, place: Neighbourhood
) -> None:
    chat = open_chat(database)
    run(chat, [Sends("我的报事"), Answers("您还没有报过事")])
    for building in ("3栋", "5栋"):
        run(chat, [Sends("我要报事"), Sends("7"), Sends("灯不亮"), Sends(building), Sends("没有")])
        run(chat, [Sends("1")])
    run(chat, [Sends("3"), Answers("您的报事（最近2条）", "路灯/照明：已提交")])
    reply = chat.last_reply or ""
    first, second = REFERENCE.findall(reply)
    assert first > second  # newest first


def test_a_phone_number_in_the_description_rests_masked_and_sealed(
    database: Engine, place: Neighbourhood
) -> None:
    chat = open_chat(database)
    said = "楼道灯坏了，有事打13812345678"
    run(chat, [Sends("我要报事"), Sends("7"), Sends(said), Sends("3栋"), Sends("没有")])
    run(chat, [Sends("1")])
    report = only_report(database)
    assert report.description == "楼道灯坏了，有事打138****5678"  # what lists and exports show
    assert SEALER.open(report.description_sealed or "") == said  # what a reveal shows
    with Session(database) as session:
        [notice] = session.exec(select(OutboxMessage).where(OutboxMessage.audience == "staff"))
    assert "138****5678" in notice.payload["text"]
    assert "13812345678" not in notice.payload["text"]


def test_back_after_typing_a_place_again_walks_back_the_way_it_came(
    database: Engine, place: Neighbourhood
) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("我要报事"),
            Sends("7"),
            Sends("灯不亮了"),
            Sends("火星基地"),
            Answers("没有找到「火星基地」"),
            Sends("重新输入"),
            Sends("3栋"),
            Answers("请发送现场照片"),
            SendsImage(),
            Sends("返回"),  # the photo sent so far is forgotten with the step
            Answers("问题在哪里？"),
            Sends("返回"),
            Answers("请简单描述一下问题"),
            Sends("楼道灯不亮了"),
            Sends("3栋"),
            Sends("没有"),
            Answers("描述：楼道灯不亮了", "照片：0张"),
        ],
    )
