"""年审's visit through the real webhook: a day (by number, "12月8日", "下周一"), a time ("10点"),
confirm, booked; days that are not offered (closed, past, not in the calendar, fully booked) get
a hint and the list again; the last place taken by someone else meanwhile; every day full; the
booking seen, moved and cancelled; 返回 and 取消 midway — with the records, visits and places
each left in the store."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.binding.notices import mask_name
from store.reviews.models import Appointment, ReviewTransition
from tests.chat import WORDS, Answers, Chat, DoesNotAnswer, Sends, Step, Stored, menu_item, run
from tests.flows.conversations.binding_helpers import WOMAN_NAME, Exactly, bound, chat_as
from tests.flows.conversations.review_helpers import (
    CLOSED,
    FAMILY,
    FRI,
    LABELS,
    MON,
    NEXT_TUE,
    OFFERED,
    REVIEWS,
    TUE,
    WED,
    InState,
    Taken,
    add_record,
    fill,
    filled_content,
    say,
    states_of,
    visit_day,
    visit_time,
    when,
)
from tests.resident_helpers import WOMAN, Registry, build_registry

SHOWN = mask_name(WOMAN_NAME)
FAMILY_NAME = REVIEWS.by_key[FAMILY].name


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filled_content(tmp_path_factory.mktemp("visits"))


@pytest.fixture
def registry(database: Engine) -> Registry:
    return build_registry(database)


@pytest.fixture
def record(database: Engine, registry: Registry) -> int:
    """张秀英 bound to herself, reminded of the family-planning review."""
    bound(registry, "o_resident_0001", name=WOMAN_NAME, proof=WOMAN[-6:])
    return add_record(database, registry.woman, registry.committee_id, FAMILY)


def days_list() -> list[str]:
    return [menu_item(n, visit_day(day)) for n, day in enumerate(OFFERED, 1)]


def book_wednesday_at_ten(chat: Chat) -> None:
    run(chat, [Sends("年审"), Sends("预约"), Sends("2"), Sends("10点"), Sends("确认预约")])


def test_a_visit_is_booked_by_day_time_and_confirmation(
    database: Engine, registry: Registry, record: int, filled: Path
) -> None:
    chat = chat_as(database, content_dir=filled)
    run(
        chat,
        [
            Sends("年审"),
            Sends("2"),
            Answers(say("days"), *days_list()),
            DoesNotAnswer(LABELS.of_day(CLOSED)),  # the office is closed that day
            Sends("2"),
            Exactly(
                "\n".join(
                    [
                        say("times", day=LABELS.of_day(WED)),
                        menu_item(1, visit_time(WED, 9)),
                        menu_item(2, visit_time(WED, 10)),
                    ]
                )
            ),
            Sends("10点"),
            Answers(
                say("confirm", when=when(WED, 10), programme=FAMILY_NAME, name=SHOWN),
                menu_item(1, say("confirm_yes")),
                menu_item(2, say("confirm_other")),
                menu_item(3, say("confirm_no")),
            ),
            Sends("好的"),
            Exactly(say("booked", when=when(WED, 10), programme=FAMILY_NAME, name=SHOWN)),
            InState(record, "booked"),
            Stored(Appointment, state="booked", record_id=record),
            Taken(registry.committee_id, WED, 10, 1),
            Sends("我的预约"),  # seeing it
            Answers(
                say("state_booked", when=when(WED, 10)),
                menu_item(2, say("way_move")),
                menu_item(3, say("way_cancel")),
            ),
            DoesNotAnswer(say("way_book")),
        ],
    )
    assert states_of(database, record)[-1] == ("reminded", "booked", "resident")


def test_days_typed_in_words_and_those_not_offered(
    database: Engine, registry: Registry, record: int, filled: Path
) -> None:
    chat = chat_as(database, content_dir=filled)

    def refused(said: str, day: date) -> list[Step]:
        hint = say("day_not_offered", day=LABELS.of_day(day))
        return [Sends(said), Answers(hint, say("days"), *days_list())]

    script = [
        Sends("年审"),
        Sends("预约到居委会办"),
        *refused("12月3号", CLOSED),  # the office is closed
        *refused("昨天", date(2026, 11, 29)),  # past
        Sends("后天"),  # Wednesday
        Answers(say("times", day=LABELS.of_day(WED))),
        Sends("返回"),
        Answers(say("days"), *days_list()),
        *refused("5号", date(2026, 12, 5)),  # a Saturday
        *refused("今天", date(2026, 11, 30)),  # the morning's times have gone
        Sends("下周一"),
        Answers(say("times", day=LABELS.of_day(MON))),
        Sends("下午3点"),  # not a time offered
        Answers(say("time_hint"), menu_item(1, visit_time(MON, 9))),
        Sends("返回"),
        Sends("2月30号"),  # no such day
        Answers(say("day_hint"), say("days")),
        Sends("12月8日"),
        Answers(say("times", day=LABELS.of_day(NEXT_TUE))),
        Sends("第一个"),
        Answers(say("confirm", when=when(NEXT_TUE, 9), programme=FAMILY_NAME, name=SHOWN)),
        Sends("换个时间"),
        Answers(say("days"), *days_list()),
        Sends("3"),
        Answers(say("times", day=LABELS.of_day(FRI))),
        Sends("取消"),
        Answers(WORDS.bot.cancelled),
        InState(record, "reminded"),
        Stored(Appointment, 0),
    ]
    run(chat, script)


def test_tomorrow_counts_from_the_committees_day_before_dawn(
    database: Engine, registry: Registry, record: int, filled: Path
) -> None:
    chat = chat_as(database, content_dir=filled)
    chat.clock.advance(hours=17)  # 04:00 on Tuesday in Guangzhou, still Monday in UTC
    run(
        chat,
        [
            Sends("年审"),
            Sends("预约"),
            Answers(menu_item(1, visit_day(TUE))),  # today: the office opens at 9
            Sends("明天"),
            Answers(say("times", day=LABELS.of_day(WED))),
        ],
    )


def test_a_fully_booked_day_is_not_offered_and_says_so_when_typed(
    database: Engine, registry: Registry, record: int, filled: Path
) -> None:
    fill(database, registry.committee_id, TUE)
    chat = chat_as(database, content_dir=filled)
    run(
        chat,
        [
            Sends("年审"),
            Sends("预约"),
            Answers(menu_item(1, visit_day(WED))),
            DoesNotAnswer(LABELS.of_day(TUE)),
            Sends("12月1号"),
            Answers(say("day_not_offered", day=LABELS.of_day(TUE))),
        ],
    )


def test_a_day_filled_while_choosing_says_so_and_lists_the_days_again(
    database: Engine, registry: Registry, record: int, filled: Path
) -> None:
    chat = chat_as(database, content_dir=filled)
    run(chat, [Sends("年审"), Sends("预约"), Answers(menu_item(1, visit_day(TUE)))])
    fill(database, registry.committee_id, TUE)
    run(
        chat,
        [
            Sends("1"),
            Answers(say("day_full", day=LABELS.of_day(TUE)), say("days")),
            Sends("2"),
            Answers(say("times", day=LABELS.of_day(WED))),
        ],
    )


def test_the_last_place_taken_meanwhile_books_nothing(
    database: Engine, registry: Registry, record: int, filled: Path
) -> None:
    fill(database, registry.committee_id, WED, 9)
    chat = chat_as(database, content_dir=filled)
    run(
        chat,
        [
            Sends("年审"),
            Sends("预约"),
            Answers(menu_item(2, say("day_item", label=LABELS.of_day(WED), left=2))),
            Sends("2"),
            Answers(menu_item(1, visit_time(WED, 10))),
            DoesNotAnswer(visit_time(WED, 9)),
            Sends("1"),
        ],
    )
    fill(database, registry.committee_id, WED, 10)  # two neighbours were quicker
    run(
        chat,
        [
            Sends("确认预约"),
            Exactly(say("booking_full")),
            InState(record, "reminded"),
            Stored(Appointment, 0),
            Taken(registry.committee_id, WED, 10, 2),
        ],
    )


def test_every_day_full_says_so_and_offers_a_person(
    database: Engine, registry: Registry, record: int, filled: Path
) -> None:
    for offset in range(1, 15):
        day = date(2026, 11, 30) + timedelta(days=offset)
        if day.isoweekday() <= 5 and day != CLOSED:
            fill(database, registry.committee_id, day)
    chat = chat_as(database, content_dir=filled)
    run(
        chat,
        [
            Sends("年审"),
            Sends("预约"),
            Exactly(say("all_full")),
            Sends("人工"),
            Answers(WORDS.bot.human_requested),
        ],
    )


def test_a_booking_is_moved_to_another_day(
    database: Engine, registry: Registry, record: int, filled: Path
) -> None:
    chat = chat_as(database, content_dir=filled)
    book_wednesday_at_ten(chat)
    run(
        chat,
        [
            InState(record, "booked"),
            Sends("年审"),
            Sends("改约"),
            Answers(say("days")),
            Sends("下周一"),
            Sends("9点"),
            Answers(say("confirm_move", old=when(WED, 10), when=when(MON, 9))),
            Sends("1"),
            Exactly(say("moved", when=when(MON, 9), programme=FAMILY_NAME)),
            InState(record, "booked"),
            Stored(Appointment, 1, state="booked", record_id=record),
            Stored(Appointment, 1, state="cancelled", record_id=record),
            Taken(registry.committee_id, WED, 10, 0),
            Taken(registry.committee_id, MON, 9, 1),
            Sends("年审"),
            Answers(say("state_booked", when=when(MON, 9))),
        ],
    )
    assert [s for s in states_of(database, record) if s[1] == "booked"] == [
        ("reminded", "booked", "resident")
    ]


def test_a_booking_is_cancelled_after_confirming(
    database: Engine, registry: Registry, record: int, filled: Path
) -> None:
    chat = chat_as(database, content_dir=filled)
    book_wednesday_at_ten(chat)
    run(
        chat,
        [
            Sends("年审"),
            Sends("取消预约"),
            Answers(say("cancel_ask", when=when(WED, 10))),
            Sends("不取消"),
            Exactly(f"{say('cancel_kept', when=when(WED, 10))}\n\n{WORDS.bot.menu_footer}"),
            InState(record, "booked"),
            Sends("年审"),
            Sends("3"),
            Sends("确定"),
            Exactly(say("visit_cancelled", programme=FAMILY_NAME)),
            InState(record, "reminded"),
            Stored(Appointment, 1, state="cancelled", record_id=record),
            Stored(Appointment, 0, state="booked"),
            Taken(registry.committee_id, WED, 10, 0),
            Sends("年审"),
            Answers(say("state_open"), menu_item(2, say("way_book"))),
        ],
    )
    assert states_of(database, record)[1:] == [
        ("reminded", "booked", "resident"), ("booked", "reminded", "resident"),
    ]  # fmt: skip


def test_done_online_after_booking_gives_the_place_back(
    database: Engine, registry: Registry, record: int, filled: Path
) -> None:
    chat = chat_as(database, content_dir=filled)
    book_wednesday_at_ten(chat)
    run(
        chat,
        [
            Sends("已完成"),
            Sends("是的，已经办好了"),
            Exactly(say("self_reported", programme=FAMILY_NAME, name=SHOWN)),
            InState(record, "self_reported"),
            Stored(Appointment, 0, state="booked"),
            Taken(registry.committee_id, WED, 10, 0),
            Stored(ReviewTransition, record_id=record, to_state="self_reported"),
        ],
    )
