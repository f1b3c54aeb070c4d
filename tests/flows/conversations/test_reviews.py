"""年审 through the real webhook: not bound, nothing due, one record shown straight away or one
chosen among a family's, done online and reported (已完成), the one-visit check of the documents,
where to go when no visit can be booked, a programme named that nobody owes, and stopping and
resuming reminders (退订 / 恢复提醒) — with what each left in the store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from string import Formatter

import pytest
from sqlalchemy.engine import Engine

from bot.binding.notices import mask_name
from config.service_checklist import document_label, documents_for, missing_reply
from store.binding import bindings
from store.db import unit_of_work
from store.reviews.models import ReviewOptOut, ReviewTransition
from store.services.models import ChecklistGiven
from tests.chat import WORDS, Answers, DoesNotAnswer, Sends, Stored, menu_item, run
from tests.flows.conversations.binding_helpers import MAN_NAME, WOMAN_NAME, Exactly, bound, chat_as
from tests.flows.conversations.review_helpers import (
    FAMILY,
    LONGEVITY,
    PERMIT,
    REVIEWS,
    InState,
    add_record,
    filled_content,
    rows,
    say,
    states_of,
)
from tests.resident_helpers import MAN, NOW, WOMAN, Registry, build_registry

OPENID, SON = "o_resident_0001", "o_son_0002"
WOMAN_SHOWN, MAN_SHOWN = mask_name(WOMAN_NAME), mask_name(MAN_NAME)
PROGRAMMES = REVIEWS.by_key
SERVICES = WORDS.services
WALK = SERVICES.words.walk
OPT_OUT = REVIEWS.words.opt_out


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filled_content(tmp_path_factory.mktemp("reviews"))


@pytest.fixture
def registry(database: Engine) -> Registry:
    return build_registry(database)


def woman_bound(registry: Registry) -> None:
    bound(registry, OPENID, name=WOMAN_NAME, proof=WOMAN[-6:])


def heading(programme: str, shown: str = WOMAN_SHOWN) -> str:
    return say("heading", programme=PROGRAMMES[programme].name, name=shown)


# The placeholders each sentence is filled with; any other would fail as the resident waits.
FILLED = {
    "nothing_due": {"names"}, "pick_item": {"programme", "name"}, "heading": {"programme", "name"},
    "deadline": {"date"}, "state_booked": {"when"}, "where_service": {"where"},
    "online_step": {"number", "text"}, "online_link": {"link"}, "guide": {"programme"},
    "guide_unbound": {"programme"}, "day_item": {"label", "left"}, "day_not_offered": {"day"},
    "day_full": {"day"}, "times": {"day"}, "time_item": {"label", "left"},
    "confirm": {"when", "programme", "name"}, "confirm_move": {"old", "when"},
    "booked": {"when", "programme", "name"}, "moved": {"when", "programme"},
    "cancel_ask": {"when"}, "cancel_kept": {"when"}, "visit_cancelled": {"programme"},
    "done_ask": {"programme", "name"}, "self_reported": {"programme", "name"},
    "already_reported": {"programme", "name"},
}  # fmt: skip


def test_every_sentence_takes_only_the_placeholders_it_is_filled_with() -> None:
    for key, text in REVIEWS.words.texts.items():
        found = {name for _, name, _, _ in Formatter().parse(text) if name}
        assert found <= FILLED.get(key, set()), f"texts.{key}: {found}"


def test_a_resident_not_bound_is_told_to_bind_first(
    database: Engine, registry: Registry, filled: Path
) -> None:
    chat = chat_as(database, content_dir=filled)
    run(chat, [Sends("年审"), Exactly(f"{say('not_bound')}\n\n{WORDS.bot.menu_footer}")])


def test_the_menu_lists_it_eighth_and_keeps_the_other_numbers(
    database: Engine, registry: Registry, filled: Path
) -> None:
    chat = chat_as(database, content_dir=filled)
    run(
        chat,
        [
            Sends("菜单"),
            Answers(menu_item(7, SERVICES.words.title), menu_item(8, REVIEWS.words.title)),
            Sends("8"),
            Answers(say("not_bound")),
        ],
    )


def test_nothing_due_says_so_and_for_whom(
    database: Engine, registry: Registry, filled: Path
) -> None:
    woman_bound(registry)
    chat = chat_as(database, content_dir=filled)
    run(chat, [Sends("我的年审"), Exactly(f"{say('nothing_due', names=WOMAN_SHOWN)}\n\n"
                                         f"{WORDS.bot.menu_footer}")])  # fmt: skip


def test_one_record_is_shown_straight_away_with_its_deadline_and_ways(
    database: Engine, registry: Registry, filled: Path
) -> None:
    woman_bound(registry)
    add_record(database, registry.woman, registry.committee_id, FAMILY)
    chat = chat_as(database, content_dir=filled)
    run(
        chat,
        [
            Sends("年审"),  # what a reminder says to reply
            Answers(
                heading(FAMILY),
                say("deadline", date="2026年12月31日"),
                say("state_open"),
                say("ways"),
                menu_item(1, say("way_online")),
                menu_item(2, say("way_book")),
                menu_item(3, say("way_documents")),
            ),
            Sends("网上办"),
            Answers(say("online_not_filled"), say("online_ask")),  # the committee's blank
            Sends("返回"),
            Answers(heading(FAMILY), say("ways")),
            Sends("返回"),
            Answers(WORDS.bot.back_at_start),
        ],
    )


def test_a_proxy_chooses_among_the_familys_records(
    database: Engine, registry: Registry, filled: Path
) -> None:
    bound(registry, SON, name=MAN_NAME, proof=MAN[-6:],
          proxy_for=(WOMAN_NAME, WOMAN[-6:], "spouse"))  # fmt: skip
    add_record(database, registry.man, registry.committee_id, LONGEVITY, closes_on=None)
    add_record(database, registry.woman, registry.committee_id, FAMILY)
    chat = chat_as(database, SON, content_dir=filled)
    family, longevity = PROGRAMMES[FAMILY].name, PROGRAMMES[LONGEVITY].name
    run(
        chat,
        [
            Sends("年审"),
            Answers(
                say("pick"),  # soonest deadline first; no closing day comes last
                menu_item(1, say("pick_item", programme=family, name=WOMAN_SHOWN)),
                menu_item(2, say("pick_item", programme=longevity, name=MAN_SHOWN)),
            ),
            Sends("哪个都行"),
            Answers(say("pick_hint"), say("pick")),
            Sends("2"),
            Answers(heading(LONGEVITY, MAN_SHOWN), say("no_deadline"), say("state_open")),
            DoesNotAnswer(WOMAN_SHOWN),
            Sends("返回"),
            Answers(say("pick")),
            Sends("独生子女年审"),
            Answers(heading(FAMILY), say("deadline", date="2026年12月31日")),
        ],
    )


def test_done_online_is_self_reported_for_staff_to_confirm(
    database: Engine, registry: Registry, filled: Path
) -> None:
    woman_bound(registry)
    record = add_record(database, registry.woman, registry.committee_id, LONGEVITY,
                        closes_on=None)  # fmt: skip
    chat = chat_as(database, content_dir=filled)
    longevity = PROGRAMMES[LONGEVITY]
    steps = longevity.online.steps
    run(
        chat,
        [
            Sends("长寿金"),  # the programme's words lead straight to its record
            Answers(heading(LONGEVITY), say("no_deadline")),
            Sends("已经办好了"),  # said to the ways: the online way, to confirm it
            Answers(
                say("online_heading"),
                *(say("online_step", number=n, text=s) for n, s in enumerate(steps, 1)),
                say("online_ask"),
                menu_item(1, say("online_done")),
                menu_item(2, say("online_later")),
            ),
            Sends("已完成"),
            Exactly(say("self_reported", programme=longevity.name, name=WOMAN_SHOWN)),
            InState(record, "self_reported"),
            Stored(ReviewTransition, record_id=record, to_state="self_reported"),
            Sends("年审"),
            Answers(heading(LONGEVITY), say("state_self_reported"), say("self_reported_end")),
            DoesNotAnswer(say("ways")),
        ],
    )
    assert states_of(database, record) == [
        (None, "reminded", "planner"), ("reminded", "self_reported", "resident"),
    ]  # fmt: skip


def test_not_done_yet_online_keeps_the_record_open(
    database: Engine, registry: Registry, filled: Path
) -> None:
    woman_bound(registry)
    record = add_record(database, registry.woman, registry.committee_id, LONGEVITY,
                        closes_on=None)  # fmt: skip
    chat = chat_as(database, content_dir=filled)
    run(
        chat,
        [
            Sends("年审"),
            Sends("网上"),
            Sends("还没有"),
            Exactly(f"{say('online_later_reply')}\n\n{WORDS.bot.menu_footer}"),
            InState(record, "reminded"),
            Stored(ReviewTransition, 0, record_id=record, to_state="self_reported"),
        ],
    )


def test_done_said_on_its_own_is_confirmed_first(
    database: Engine, registry: Registry, filled: Path
) -> None:
    woman_bound(registry)
    record = add_record(database, registry.woman, registry.committee_id, FAMILY)
    chat = chat_as(database, content_dir=filled)
    family = PROGRAMMES[FAMILY].name
    run(
        chat,
        [
            Sends("已完成"),
            Answers(
                say("done_ask", programme=family, name=WOMAN_SHOWN),
                menu_item(1, say("done_yes")),
                menu_item(2, say("done_no")),
            ),
            Sends("还没有"),
            Exactly(f"{say('done_not_yet')}\n\n{WORDS.bot.menu_footer}"),
            InState(record, "reminded"),
            Sends("已完成"),
            Sends("是的"),
            Exactly(say("self_reported", programme=family, name=WOMAN_SHOWN)),
            InState(record, "self_reported"),
            Sends("已完成"),  # nothing open is left
            Answers(say("done_nothing")),
        ],
    )


def test_done_among_two_records_asks_which(
    database: Engine, registry: Registry, filled: Path
) -> None:
    bound(registry, SON, name=MAN_NAME, proof=MAN[-6:],
          proxy_for=(WOMAN_NAME, WOMAN[-6:], "spouse"))  # fmt: skip
    mine = add_record(database, registry.man, registry.committee_id, LONGEVITY, closes_on=None)
    hers = add_record(database, registry.woman, registry.committee_id, FAMILY)
    chat = chat_as(database, SON, content_dir=filled)
    run(
        chat,
        [
            Sends("已完成"),
            Answers(say("pick")),
            Sends("1"),
            Answers(say("done_ask", programme=PROGRAMMES[FAMILY].name, name=WOMAN_SHOWN)),
            Sends("1"),
            InState(hers, "self_reported"),
            InState(mine, "reminded"),
        ],
    )


def test_the_one_visit_check_with_everything_there(
    database: Engine, registry: Registry, filled: Path
) -> None:
    woman_bound(registry)
    record = add_record(database, registry.woman, registry.committee_id, PERMIT)
    permit = SERVICES.by_key["residence_permit"]
    documents = documents_for(permit, {})
    first = WALK.item.format(number=1, total=3, name=document_label(documents[0], SERVICES.words))
    chat = chat_as(database, content_dir=filled)
    run(
        chat,
        [
            Sends("年审"),
            Answers(menu_item(3, say("way_documents"))),
            Sends("要带什么"),
            Answers(say("documents_start"), first),
            Sends("有"),
            Sends("有的"),
            Sends("1"),
            Exactly(WALK.ready),  # no booking: the residence permit is not done here
            InState(record, "reminded"),
        ],
    )
    given = rows(database, ChecklistGiven, openid=OPENID)
    assert [(g.service, g.items, g.missing, g.resident_id) for g in given] == [
        ("residence_permit", [d.key for d in documents], [], registry.woman)
    ]


def test_the_one_visit_check_lists_what_is_missing_and_where_to_get_it(
    database: Engine, registry: Registry, filled: Path
) -> None:
    woman_bound(registry)
    add_record(database, registry.woman, registry.committee_id, PERMIT)
    permit = SERVICES.by_key["residence_permit"]
    documents = documents_for(permit, {})
    chat = chat_as(database, content_dir=filled)
    run(
        chat,
        [
            Sends("年审"),
            Sends("3"),
            Sends("有"),
            Sends("没有"),
            Sends("不知道"),  # unsure: asked again
            Answers(WORDS.bot.hints.yes_no),
            Sends("2"),
            Exactly(missing_reply(permit, documents[1:], SERVICES.words)),
        ],
    )
    given = rows(database, ChecklistGiven, openid=OPENID)
    assert [g.missing for g in given] == [[d.key for d in documents[1:]]]


def test_a_programme_without_a_document_list_says_why(
    database: Engine, registry: Registry, filled: Path
) -> None:
    woman_bound(registry)
    add_record(database, registry.woman, registry.committee_id, FAMILY)
    chat = chat_as(database, content_dir=filled)
    run(chat, [Sends("年审"), Sends("3"), Exactly(say("documents_not_filled"))])
    longevity = SERVICES.by_key["longevity"]
    other = chat_as(database, SON, content_dir=filled)
    bound(registry, SON, name=MAN_NAME, proof=MAN[-6:])
    add_record(database, registry.man, registry.committee_id, LONGEVITY, closes_on=None)
    run(
        other,
        [
            Sends("年审"),
            Sends("材料"),
            Exactly(f"{longevity.documents_note.text.strip()}\n\n{WORDS.bot.menu_footer}"),
        ],
    )
    assert rows(database, ChecklistGiven) == []


def test_a_programme_done_elsewhere_says_where_to_go(
    database: Engine, registry: Registry, filled: Path
) -> None:
    woman_bound(registry)
    add_record(database, registry.woman, registry.committee_id, PERMIT)
    chat = chat_as(database, content_dir=filled)
    where = SERVICES.by_key["residence_permit"].where.text.strip()
    run(
        chat,
        [
            Sends("年审"),
            Answers(menu_item(2, say("way_in_person"))),
            DoesNotAnswer(say("way_book")),
            Sends("2"),
            Exactly(f"{say('where_service', where=where)}\n\n{say('check_later')}"),
        ],
    )


def test_booking_not_open_yet_says_to_come_in_office_hours(
    database: Engine, registry: Registry, tmp_path: Path
) -> None:
    woman_bound(registry)
    add_record(database, registry.woman, registry.committee_id, FAMILY)
    chat = chat_as(database, content_dir=filled_content(tmp_path, hours=False))
    run(
        chat,
        [
            Sends("年审"),
            Answers(menu_item(2, say("way_in_person"))),
            DoesNotAnswer(say("way_book")),
            Sends("到现场办"),
            Answers(say("where_committee")),
        ],
    )


def test_a_programme_nobody_owes_offers_its_checklist(
    database: Engine, registry: Registry, filled: Path
) -> None:
    woman_bound(registry)
    chat = chat_as(database, content_dir=filled)
    longevity = PROGRAMMES[LONGEVITY]
    service = SERVICES.by_key[longevity.service]
    run(
        chat,
        [
            Sends("长寿金"),
            Answers(say("guide", programme=longevity.name)),
            Sends("看看"),
            Answers(SERVICES.words.heading.format(name=service.name)),
        ],
    )
    stranger = chat_as(database, "o_stranger_0003", content_dir=filled)
    run(
        stranger,
        [
            Sends("签注"),
            Answers(say("guide_unbound", programme=PROGRAMMES[PERMIT].name)),
            Sends("不用了"),
            Exactly(say("guide_declined")),
        ],
    )


def test_a_binding_ended_midway_reports_nothing(
    database: Engine, registry: Registry, filled: Path
) -> None:
    woman_bound(registry)
    record = add_record(database, registry.woman, registry.committee_id, FAMILY)
    chat = chat_as(database, content_dir=filled)
    run(chat, [Sends("年审"), Sends("网上办")])
    with unit_of_work(database) as session:
        ended = bindings.bindings_of(session, OPENID)[0]
        bindings.unbind(session, openid=OPENID, binding_id=ended.id or 0,
                        now=NOW + timedelta(minutes=1))  # fmt: skip
    run(chat, [Sends("已完成"), Exactly(say("record_gone")), InState(record, "reminded")])


def test_reminders_stopped_for_one_programme_then_all_then_resumed(
    database: Engine, registry: Registry, filled: Path
) -> None:
    chat = chat_as(database, content_dir=filled)
    longevity = PROGRAMMES[LONGEVITY].name
    run(
        chat,
        [
            Sends("恢复提醒"),
            Exactly(OPT_OUT.nothing_to_resume),
            Sends("退订"),
            Answers(
                OPT_OUT.which,
                *(menu_item(n, p.name) for n, p in enumerate(REVIEWS.programmes, 1)),
                menu_item(len(REVIEWS.programmes) + 1, OPT_OUT.all_title),
            ),
            Sends("2"),
            Exactly(OPT_OUT.stopped.format(name=longevity)),
            Stored(ReviewOptOut, programme=LONGEVITY, resumed_at=None),
            Sends("不要再提醒"),
            Sends("全部"),
            Exactly(OPT_OUT.stopped_all),
            Stored(ReviewOptOut, programme="*", resumed_at=None),
            Sends("恢复提醒"),
            Exactly(OPT_OUT.resumed),
            Stored(ReviewOptOut, 0, resumed_at=None),
            Stored(ReviewOptOut, 2),
            Sends("恢复提醒"),
            Exactly(OPT_OUT.nothing_to_resume),
        ],
    )


def test_stop_words_that_name_a_programme_stop_it_at_once(
    database: Engine, registry: Registry, filled: Path
) -> None:
    chat = chat_as(database, content_dir=filled)
    run(
        chat,
        [
            Sends("不要再提醒我签注了"),
            Exactly(OPT_OUT.stopped.format(name=PROGRAMMES[PERMIT].name)),
            Stored(ReviewOptOut, programme=PERMIT, resumed_at=None),
            Stored(ReviewOptOut, 1),
        ],
    )
