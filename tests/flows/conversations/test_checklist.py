"""办事清单 through the real webhook: a service found, its conditions asked, the personal checklist
in short replies, the item-by-item check, and applying in chat."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from config.service_checklist import (
    checklist_replies,
    document_label,
    documents_for,
    missing_reply,
)
from store.residents.models import Conversation
from store.services.models import ChecklistGiven, ServiceApplication
from tests.chat import WORDS, Answers, DoesNotAnswer, Sends, Stored, menu_item, open_chat, run

CATALOGUE = WORDS.services
SAID = CATALOGUE.words
SENIOR = CATALOGUE.by_key["senior_card"]
CERTIFICATE = CATALOGUE.by_key["residence_certificate"]
NEW_PROXY_ELSEWHERE = {"kind": "new", "hukou": "elsewhere", "agent": "proxy"}
NEW_SELF_GUANGZHOU = {"kind": "new", "hukou": "guangzhou", "agent": "self"}


def number_of(key: str) -> str:
    """The number the checklist's list gives a service."""
    return str([s.key for s in CATALOGUE.services].index(key) + 1)


def item(number: int, answers: dict[str, str]) -> str:
    """The question about one document of the senior card's checklist."""
    documents = documents_for(SENIOR, answers)
    name = document_label(documents[number - 1], SAID)
    return SAID.walk.item.format(number=number, total=len(documents), name=name)


def test_the_checklist_is_the_seventh_item_of_the_menu(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("菜单"),
            Answers(menu_item(7, SAID.title)),
            Sends("7"),
            Answers(SAID.prompt, menu_item(6, SENIOR.name)),
        ],
    )


def test_each_answer_to_a_condition_gives_its_own_list(database: Engine) -> None:
    proxy = documents_for(SENIOR, NEW_PROXY_ELSEWHERE)
    alone = documents_for(SENIOR, NEW_SELF_GUANGZHOU)
    only_proxy = [d for d in proxy if d not in alone]
    only_alone = [d for d in alone if d not in proxy]
    assert only_proxy and only_alone  # the two branches differ both ways
    first, second = open_chat(database), open_chat(database)
    second.openid = "o_resident_0002"
    run(first, [Sends("办事清单"), Sends(number_of("senior_card")), Sends("第一次办")])
    run(first, [Sends("非广州户籍"), Sends("家人代办")])
    run(
        first,
        [
            Answers(checklist_replies(SENIOR, NEW_PROXY_ELSEWHERE, SAID)[0]),
            Answers(*(d.name for d in only_proxy)),
            DoesNotAnswer(*(d.name for d in only_alone)),
        ],
    )
    run(second, [Sends("办事清单"), Sends(number_of("senior_card")), Sends("1")])
    run(second, [Sends("1"), Sends("本人")])
    run(
        second,
        [
            Answers(checklist_replies(SENIOR, NEW_SELF_GUANGZHOU, SAID)[0]),
            Answers(*(d.name for d in only_alone)),
            DoesNotAnswer(*(d.name for d in only_proxy)),
        ],
    )


def _to_the_walk(chat_steps: list, answers: dict[str, str]) -> list:
    replies = checklist_replies(SENIOR, answers, SAID)
    steps = [Sends("办事清单"), Sends("优待卡"), *chat_steps]
    for reply in replies[1:]:
        steps += [Sends(SAID.next), Answers(reply)]
    return [*steps, Answers(SAID.walk.offer)]


def test_the_item_by_item_check_ends_ready_when_nothing_is_missing(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, _to_the_walk([Sends("1"), Sends("1"), Sends("1")], NEW_SELF_GUANGZHOU))
    count = len(documents_for(SENIOR, NEW_SELF_GUANGZHOU))
    run(chat, [Sends("要"), Answers(item(1, NEW_SELF_GUANGZHOU))])
    for number in range(2, count + 1):
        run(chat, [Sends("有"), Answers(item(number, NEW_SELF_GUANGZHOU))])
    run(
        chat,
        [
            Sends("有的"),
            Answers(SAID.walk.ready, SAID.closing),
            Stored(ChecklistGiven, service="senior_card", version=SENIOR.version),
            Stored(Conversation, flow=None),
        ],
    )


def test_the_item_by_item_check_lists_what_is_missing_and_where_to_get_it(
    database: Engine,
) -> None:
    chat = open_chat(database)
    run(chat, _to_the_walk([Sends("1"), Sends("2"), Sends("2")], NEW_PROXY_ELSEWHERE))
    documents = documents_for(SENIOR, NEW_PROXY_ELSEWHERE)
    permit = next(d for d in documents if d.key == "residence_permit")
    run(chat, [Sends("1")])
    for number, document in enumerate(documents, 1):
        run(chat, [Answers(item(number, NEW_PROXY_ELSEWHERE))])
        run(chat, [Sends("没有" if document is permit else "有")])
    run(
        chat,
        [
            Answers(missing_reply(SENIOR, (permit,), SAID), permit.get_it.text),
            DoesNotAnswer(SAID.walk.ready),
            Stored(ChecklistGiven, service="senior_card"),
        ],
    )


def test_skipping_the_check_ends_the_checklist(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, _to_the_walk([Sends("1"), Sends("1"), Sends("1")], NEW_SELF_GUANGZHOU))
    run(chat, [Sends("不用"), Answers(SAID.closing), Stored(ChecklistGiven, count=1)])


def test_a_service_is_found_by_loose_wording(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("办事清单"),
            Sends("我妈想办个老人优待卡"),
            Answers(SENIOR.conditions[0].question),
            Stored(Conversation, flow="checklist"),
        ],
    )


def test_an_unknown_service_is_said_and_the_list_shown_again(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("办事清单"),
            Sends("办护照"),
            Answers(SAID.not_found, SAID.prompt),
            Stored(Conversation, flow="checklist", step="service"),
        ],
    )


def test_an_application_is_submitted_in_chat_with_its_fields(database: Engine) -> None:
    chat = open_chat(database)
    replies = checklist_replies(CERTIFICATE, {"migrant": "local"}, SAID)
    fields = {f.key: f for f in CERTIFICATE.apply.fields}  # type: ignore[union-attr]
    run(chat, [Sends("办事清单"), Sends(number_of("residence_certificate")), Sends("广州户籍")])
    for reply in replies[1:]:
        run(chat, [Sends(SAID.next), Answers(reply)])
    run(
        chat,
        [
            Answers(CERTIFICATE.apply.offer),  # type: ignore[union-attr]
            Stored(ChecklistGiven, service="residence_certificate"),
            Sends("在这里申请"),
            Answers(fields["name"].prompt),
            Sends("张三"),
            Sends("幸福小区3栋201"),
            Sends("孩子入学"),
            Answers(fields["mobile"].prompt),
            Sends("12345"),
            Answers(WORDS.bot.hints.mobile),
            Sends("13812345678"),
            Answers(SAID.application.summary.format(service=CERTIFICATE.name), "孩子入学"),
            Sends("确认"),
            Answers(SAID.application.submitted.split("{reference}")[0]),
            DoesNotAnswer("{reference}"),
            Stored(ServiceApplication, service="residence_certificate"),
            Stored(Conversation, flow=None),
        ],
    )


def test_declining_to_apply_stores_only_the_checklist(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, [Sends("办事清单"), Sends(number_of("residence_certificate")), Sends("1")])
    for _ in checklist_replies(CERTIFICATE, {"migrant": "local"}, SAID)[1:]:
        run(chat, [Sends(SAID.next)])
    run(
        chat,
        [
            Sends("不用了"),
            Answers(SAID.application.declined),
            Stored(ChecklistGiven, count=1),
            Stored(ServiceApplication, count=0),
        ],
    )
