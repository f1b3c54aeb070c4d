"""The issue's acceptance test for applying in chat: a resident asks what to bring for a 居住证明,
applies in the chat, a clerk accepts it and marks it ready through the API, and the resident
hears "可以来取了" in WeChat (through the outbox and the sandbox)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from config.service_checklist import checklist_replies
from tests.bot.reports.report_rig import open_desk
from tests.chat import WORDS, Answers, Sends
from tests.report_helpers import COMMITTEE, Neighbourhood, seed
from tests.staff_helpers import create_staff, token_for

RESIDENT = "o_applicant"
CATALOGUE = WORDS.services
CERTIFICATE = CATALOGUE.by_key["residence_certificate"]
PUSHES = WORDS.applications.pushes


@pytest.fixture
def place(database: Engine) -> Neighbourhood:
    return seed(database)


def test_an_application_made_in_chat_is_marked_ready_and_the_resident_told_to_come(
    database: Engine, tmp_path: Path, place: Neighbourhood
) -> None:
    clerk = token_for(database, create_staff(database, "li", committee=COMMITTEE))
    desk = open_desk(database, tmp_path)
    apply = CERTIFICATE.apply
    assert apply is not None
    # The resident starts from loose words, not the menu.
    first = desk.says(RESIDENT, "我要开个居住证明")
    assert CERTIFICATE.name in first
    steps = [Sends("广州户籍")]
    steps += [
        Sends(CATALOGUE.words.next)
        for _ in checklist_replies(CERTIFICATE, {"migrant": "local"}, CATALOGUE.words)[1:]
    ]
    steps += [
        Answers(apply.offer),
        Sends("在这里申请"),
        Sends("张三"),
        Sends("幸福小区3栋201"),
        Sends("孩子入学"),
        Sends("13812345678"),
        Sends("好的"),  # an everyday yes confirms
    ]
    desk.script(RESIDENT, steps)
    submitted = desk.chat.last_reply or ""
    reference = next(word for word in submitted.replace("。", " ").split() if "SQ-" in word)
    reference = reference[reference.index("SQ-") :][:16]

    # The clerk finds it in the queue and moves it on; the resident hears of each step.
    queue = desk.api("GET", "/api/v1/applications?status=submitted", clerk).json()
    assert [item["reference"] for item in queue["items"]] == [reference]
    for status in ("accepted", "ready"):
        answer = desk.api(
            "POST", f"/api/v1/applications/{reference}/status", clerk, {"status": status}
        )
        assert answer.status_code == 200, answer.text
    assert desk.deliver() >= 2
    told = [text for _, text in desk.texts_to(RESIDENT)]
    ready = PUSHES.ready.split("{reference}")[1].split("{bring}")[0].split("{service}")[1]
    assert any(reference in text and ready in text for text in told), told
    # Marking it ready twice is refused and tells nobody again.
    again = desk.api("POST", f"/api/v1/applications/{reference}/status", clerk, {"status": "ready"})
    assert again.status_code == 409
    assert desk.deliver() == 0
