"""The front door as conversations with the real engine: what the resident says first, what
Linli answers, and what it wants written."""

from __future__ import annotations

from flows.effects import FileReport, NotUnderstood, RequestHuman
from flows.understanding.acts import CHECKLIST_FLOW, FRONT_DOOR
from tests.chat import WORDS
from tests.flows.understanding.talk import Resident

BOT, REPORTS, TALK = WORDS.bot, WORDS.reports, WORDS.understanding
CATEGORY = {c.key: c for c in REPORTS.categories}
SMALL_TALK = {s.key: s for s in TALK.small_talk}
FAQ = {q.key: q for q in WORDS.faq.questions}


def asked_about(key: str) -> str:
    """The question 我要报事 asks when it guessed a category."""
    return REPORTS.flow.confirm_category.format(name=CATEGORY[key].name)


def test_a_report_said_in_passing_is_confirmed_with_its_category_and_kept_as_described() -> None:
    resident = Resident()
    reply = resident.says("消防通道被车堵了")
    assert asked_about("fire_safety") in reply
    assert resident.state.flow == "report"
    assert resident.state.data["category"]["said"] == "消防通道被车堵了"


def test_a_photo_sent_first_becomes_a_report_with_that_photo() -> None:
    resident = Resident()
    said = resident.send("image", media_id="m1", pic_url="http://p")
    assert said.startswith(BOT.photo_kept) and REPORTS.flow.category_prompt in said
    assert resident.state.flow == "report"
    assert asked_about("fire_safety") in resident.says("楼道里有人拉电线给电动车充电")
    assert REPORTS.flow.place_prompt in resident.says("是")
    resident.says("3栋")  # not a known place here
    resident.says(REPORTS.flow.place_keep)
    resident.says("是")  # the fire lane is blocked
    resident.says(REPORTS.flow.photos_done_words[0])
    assert REPORTS.flow.submitted.split("{")[0] in resident.says(REPORTS.flow.submit)
    filed = [e for e in resident.effects if isinstance(e, FileReport)]
    assert len(filed) == 1 and filed[0].category == "fire_safety"
    assert filed[0].photos == (("m1", "http://p"),)


def test_a_location_sent_first_is_the_place_and_is_not_asked_again() -> None:
    resident = Resident()
    shared = resident.send("location", lat="23.13", lng="113.26", label="小区东门")
    assert shared.startswith(BOT.location_kept) and REPORTS.flow.category_prompt in shared
    assert asked_about("street_light") in resident.says("路灯不亮")
    assert REPORTS.flow.description_prompt in resident.says("是")
    reply = resident.says("东门那盏灯坏了好几天")
    assert REPORTS.flow.place_prompt not in reply
    place = resident.state.data["place"]
    assert (place["text"], place["lat"], place["lng"]) == ("小区东门", 23.13, 113.26)
    assert "kept_message" not in resident.state.data


def test_hello_and_thanks_are_answered_with_the_menu() -> None:
    resident = Resident()
    hello = resident.says("你好")
    assert SMALL_TALK["greeting"].answer in hello and BOT.menu_footer in hello
    thanks = resident.says("谢谢你们")
    assert SMALL_TALK["thanks"].answer in thanks and BOT.menu_footer in thanks
    assert resident.effects == []


def test_a_near_miss_offers_numbered_choices_picked_by_number() -> None:
    resident = Resident()
    # The amount (a common question) or how to apply (the service): close, so both offered.
    offered = resident.says("低保一个月有多少钱")
    assert TALK.choice.prompt in offered and TALK.choice.footer in offered
    candidates = resident.state.data["candidates"]
    assert 2 <= len(candidates) <= TALK.thresholds.most_candidates
    assert resident.state.flow == FRONT_DOOR
    number, service = next((n, c) for n, c in enumerate(candidates, 1) if c["kind"] == "service")
    assert TALK.choice.item.format(number=number, title=service["title"]) in offered
    resident.says(str(number))
    assert resident.state.flow == CHECKLIST_FLOW
    assert resident.state.data["service"] == service["key"] == "dibao"


def test_a_near_miss_offers_numbered_choices_picked_by_words() -> None:
    resident = Resident()
    resident.says("低保一个月有多少钱")
    second = resident.state.data["candidates"][1]
    resident.says(second["title"])
    assert resident.state.flow != FRONT_DOOR
    assert "candidates" not in resident.state.data


def test_something_else_instead_of_a_choice_is_read_afresh() -> None:
    resident = Resident()
    resident.says("低保一个月有多少钱")
    assert asked_about("water_leak") in resident.says("楼上漏水 天花板一直滴水")
    assert BOT.hints.choice not in (resident.last.replies if resident.last else ())


def test_how_my_report_is_going_opens_my_reports() -> None:
    resident = Resident()
    assert REPORTS.mine.none in resident.says("我上次反映的问题处理了没有")


def test_a_common_question_is_answered_with_its_source() -> None:
    resident = Resident()
    reply = resident.says("低保标准多少钱")
    assert FAQ["dibao_standard"].answer.strip() in reply
    assert WORDS.faq.after_answer in reply


def test_a_service_said_with_a_miswriting_opens_its_checklist() -> None:
    resident = Resident()
    resident.says("低包怎么申请")
    assert resident.state.flow == CHECKLIST_FLOW or any(
        getattr(e, "service", None) == "dibao" for e in resident.effects
    )


def test_asking_for_a_real_person_in_everyday_words_requests_staff() -> None:
    resident = Resident()
    assert BOT.human_requested in resident.says("找真人")
    assert [type(e) for e in resident.effects] == [RequestHuman]
    resident.port.waiting.add("o_front")
    assert BOT.human_already_waiting in resident.says("有没有真人")


def test_nothing_understood_offers_the_menu_and_is_kept_for_staff() -> None:
    resident = Resident()
    reply = resident.says("今天天气怎么样")
    assert BOT.not_understood in reply and BOT.menu_footer in reply
    assert resident.effects == [NotUnderstood("o_front", "今天天气怎么样")]
    assert resident.state.flow is None


def test_a_number_not_on_the_list_of_choices_asks_again_rather_than_opening_the_menu() -> None:
    resident = Resident()
    resident.says("低保一个月有多少钱")
    offered = len(resident.state.data["candidates"])
    again = resident.says(str(offered + 1))  # on the main menu, but not on screen
    assert TALK.choice.hint in again and TALK.choice.prompt in again
    assert resident.state.flow == FRONT_DOOR
