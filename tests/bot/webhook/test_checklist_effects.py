"""A conversation that ends in a checklist and an application (GiveChecklist, SubmitApplication)
through the real webhook: the checklist is kept for the demand figures, the application is
stored sealed and numbered, and the reply names its number; the application belongs to the
resident's committee (their binding's, else the installation's only one)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from flows.effects import GiveChecklist, SubmitApplication
from flows.steps import MOBILE, Ask, Data, Done, Flow, Port
from store.binding import bindings
from store.db import unit_of_work
from store.services.models import ChecklistGiven, ServiceApplication
from tests.chat import MODES, SEALER, Answers, Sends, Stored, open_chat, run
from tests.resident_helpers import NOW, WOMAN_MOBILE, build_registry
from tests.staff_helpers import create_staff

# The test flow's own wording: the real one (办事清单) words it from the service's file.
SUBMITTED = "已提交，申请编号 {reference}，办好后会通知您。"
MOBILE_NUMBER = "13955556666"


def _finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
    checklist = GiveChecklist(
        openid, "residence_certificate", "2026-11-29.1", answers=(("who", "self"),),
        items=("id_card", "lease"), missing=("lease",),
    )  # fmt: skip
    fields = (("name", data["name"]), ("mobile", data["mobile"]))
    application = SubmitApplication(openid, "residence_certificate", "2026-11-29.1", fields)
    return Done(replies=(SUBMITTED,), effects=(checklist, application))


APPLY = Flow(
    name="apply_sample", title="申请样例", keywords=("申请样例",),
    steps=(Ask("name", prompt="您的姓名？"), Ask("mobile", prompt="联系电话？", accepts=MOBILE)),
    done=_finish,
)  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
def test_an_application_made_in_chat_gets_its_number_in_the_reply(
    database: Engine, mode: str
) -> None:
    clerk = create_staff(database, "clerk")  # the installation's only committee: 东风
    chat = open_chat(database, mode, flows=(APPLY,))
    run(chat, [
        Sends("申请样例"),
        Answers("您的姓名？"),
        Sends("李桂芳"),
        Answers("联系电话？"),
        Sends(MOBILE_NUMBER),
        Stored(ServiceApplication, status="submitted", committee_id=clerk.committee_id),
        Stored(ChecklistGiven, service="residence_certificate", committee_id=clerk.committee_id),
    ])  # fmt: skip
    with Session(database) as session:
        stored = session.exec(select(ServiceApplication)).one()
        given = session.exec(select(ChecklistGiven)).one()
    assert chat.last_reply == SUBMITTED.format(reference=stored.reference)
    assert stored.reference.startswith("SQ-") and stored.openid == chat.openid
    assert MOBILE_NUMBER not in stored.fields_sealed and "李桂芳" not in stored.fields_sealed
    assert SEALER.open_json(stored.fields_sealed) == [["name", "李桂芳"], ["mobile", MOBILE_NUMBER]]
    assert given.missing == ["lease"] and given.items == ["id_card", "lease"]
    assert given.answers == [["who", "self"]]


def test_a_bound_resident_applies_to_their_committee_and_a_stranger_to_none(
    database: Engine,
) -> None:
    registry = build_registry(database)  # 东风 and 西湖: no committee is the only one
    with unit_of_work(database) as session:
        bound = bindings.bind_self(
            session, SEALER, openid="o_zhang_xiuying_01", name="张秀英", proof=WOMAN_MOBILE,
            now=NOW, since=NOW - timedelta(days=1), limit=5,
        )  # fmt: skip
    assert bound.status == "bound"
    for openid in ("o_zhang_xiuying_01", "o_stranger_02"):
        chat = open_chat(database, flows=(APPLY,))
        chat.openid = openid
        run(chat, [Sends("申请样例"), Sends("张秀英"), Sends(MOBILE_NUMBER)])
    with Session(database) as session:
        rows = {a.openid: a for a in session.exec(select(ServiceApplication))}
    assert rows["o_zhang_xiuying_01"].committee_id == registry.committee_id
    assert rows["o_zhang_xiuying_01"].resident_id == registry.woman
    assert rows["o_stranger_02"].committee_id is None
    assert rows["o_stranger_02"].sub_district_id is not None  # its admins see it
