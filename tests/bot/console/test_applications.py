"""Staff work applications residents made in chat (办事申请): the queue shows the unanswered
first with names, addresses and mobiles masked; an application's page offers only the steps its
status allows; each step is audited and tells the resident; a rejection needs a reason; a reveal
shows the fields whole and is logged; 办事统计 counts demand and what people lack most."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.services.catalogue import document_name, service_name
from store.db import unit_of_work
from store.outbox.models import OutboxMessage
from store.services import checklists
from store.services.models import ServiceApplication
from store.staff.models import AuditEntry
from tests.chat import WORDS
from tests.resident_helpers import NOW, Registry, build_registry, csrf
from tests.store.services.conftest import MOBILE, submit

T = WORDS.console
STATUS = WORDS.applications.status
QUEUE = "/console/applications"


@pytest.fixture
def registry(database: Engine) -> Registry:
    """东风's clerk, grid worker, and 西湖's clerk."""
    return build_registry(database)


def _status(database: Engine, reference: str) -> str:
    with Session(database) as session:
        query = select(ServiceApplication).where(ServiceApplication.reference == reference)
        return session.exec(query).one().status


def _pushes(database: Engine) -> list[OutboxMessage]:
    with Session(database) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def _buttons(page: str) -> list[str]:
    """The steps an application's page offers."""
    return re.findall(r'<button type="submit">([^<]+)</button>', page.split(T.ap_actions)[-1])


def _card(page: str, reference: str) -> str:
    found = re.search(rf'<li id="application-{reference}">(.*?)</li>', page, re.S)
    assert found, reference
    return found.group(1)


def test_the_queue_shows_the_unanswered_first_and_masks_the_resident(registry: Registry) -> None:
    older = submit(registry.database, registry.committee_id)
    newer = submit(registry.database, registry.committee_id)
    clerk = registry.client("clerk")
    page = clerk.get(f"{QUEUE}/{older}")
    clerk.post(f"{QUEUE}/{older}/status", data={"csrf_token": csrf(page.text), "to": "accepted"})
    queue = clerk.get(QUEUE)
    assert queue.status_code == 200
    assert queue.text.index(f"application-{newer}") < queue.text.index(f"application-{older}")
    card = _card(queue.text, newer)
    assert service_name(WORDS, "residence_certificate") in card and STATUS("submitted") in card
    assert "李*芳" in card and "138****3333" in card and "3栋2单***" in card
    assert MOBILE not in queue.text and "李桂芳" not in queue.text
    assert "submitted" not in queue.text and "residence_certificate" not in queue.text
    assert f'<a href="{QUEUE}">{T.nav_applications}</a>' in queue.text


def test_another_committee_sees_nothing_and_cannot_act(registry: Registry) -> None:
    reference = submit(registry.database, registry.committee_id)
    west = registry.client("west")
    queue = west.get(QUEUE)
    assert T.ap_none in queue.text and reference not in queue.text
    assert west.get(f"{QUEUE}/{reference}").status_code == 404
    answer = west.post(f"{QUEUE}/{reference}/status",
                       data={"csrf_token": csrf(queue.text), "to": "accepted"})  # fmt: skip
    assert answer.status_code == 404 and _status(registry.database, reference) == "submitted"


def test_a_clerk_marks_it_ready_and_the_resident_is_told_to_come(registry: Registry) -> None:
    reference = submit(registry.database, registry.committee_id)
    clerk = registry.client("clerk")
    page = clerk.get(f"{QUEUE}/{reference}")
    assert _buttons(page.text) == [T.ap_to_accepted, T.ap_to_rejected]
    token = csrf(page.text)
    accepted = clerk.post(f"{QUEUE}/{reference}/status", data={"csrf_token": token,
                                                              "to": "accepted"})  # fmt: skip
    assert T.ap_done_told.format(status=STATUS("accepted")) in accepted.text
    assert _buttons(accepted.text) == [T.ap_to_ready, T.ap_to_rejected]
    ready = clerk.post(f"{QUEUE}/{reference}/status",
                       data={"csrf_token": token, "to": "ready", "note": "周三上午来"})  # fmt: skip
    assert T.ap_done_told.format(status=STATUS("ready")) in ready.text
    assert "周三上午来" in ready.text and "clerk" in ready.text  # on the timeline
    assert _status(registry.database, reference) == "ready"
    told = [p for p in _pushes(registry.database) if p.idempotency_key.endswith(":ready")]
    assert [p.recipient for p in told] == ["o_li_guifang_01"]
    assert "可以来取了" in told[0].payload["text"] and "周三上午来" in told[0].payload["text"]
    with Session(registry.database) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.object_id == reference)).all()
    assert [e.action for e in entries] == ["application.accepted", "application.ready"]


def test_a_rejection_without_a_reason_is_explained_and_changes_nothing(
    registry: Registry,
) -> None:
    reference = submit(registry.database, registry.committee_id)
    clerk = registry.client("clerk")
    token = csrf(clerk.get(f"{QUEUE}/{reference}").text)
    answer = clerk.post(f"{QUEUE}/{reference}/status",
                        data={"csrf_token": token, "to": "rejected", "note": " "})  # fmt: skip
    assert answer.status_code == 200 and T.ap_need_reason in answer.text
    stale = clerk.post(f"{QUEUE}/{reference}/status",
                       data={"csrf_token": token, "to": "collected"})  # fmt: skip
    assert T.ap_refused_status.format(status=STATUS("submitted"),
                                      to=STATUS("collected")) in stale.text  # fmt: skip
    assert _status(registry.database, reference) == "submitted"
    assert _pushes(registry.database) == []


def test_a_reveal_shows_the_fields_whole_and_is_logged(registry: Registry) -> None:
    reference = submit(registry.database, registry.committee_id)
    grid = registry.client("grid")
    page = grid.get(f"{QUEUE}/{reference}")
    assert T.ap_reveal not in page.text
    refused = grid.post(f"{QUEUE}/{reference}/reveal", data={"csrf_token": csrf(page.text)})
    assert refused.status_code == 403 and MOBILE not in refused.text
    clerk = registry.client("clerk")
    page = clerk.get(f"{QUEUE}/{reference}")
    shown = clerk.post(f"{QUEUE}/{reference}/reveal", data={"csrf_token": csrf(page.text)})
    assert shown.status_code == 200 and MOBILE in shown.text and "李桂芳" in shown.text
    assert T.ap_reveal_logged in shown.text
    with Session(registry.database) as session:
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.object_id == reference)).all()
    assert entry.action == "application.reveal" and entry.actor == "clerk"


def test_demand_per_service_and_what_people_lack_most(registry: Registry) -> None:
    with unit_of_work(registry.database) as session:
        for missing in (("hukou_book",), ("hukou_book", "photo"), (), None):
            given = checklists.GivenChecklist(
                openid="o_asker_01", service="dibao", version="2026-11-29.1",
                items=("id_card", "hukou_book", "photo"), missing=missing,
                committee_id=registry.committee_id,
            )  # fmt: skip
            checklists.record(session, given, now=NOW)
    submit(registry.database, registry.committee_id)
    page = registry.client("clerk").get(f"{QUEUE}/demand?days=7")
    assert page.status_code == 200 and T.sd_title in page.text
    rows = re.findall(r"<tr>(.*?)</tr>", page.text, re.S)
    dibao = next(r for r in rows if service_name(WORDS, "dibao") in r and ">4<" in r)
    assert re.findall(r'data-label="[^"]+">(\d+)</td>', dibao) == ["4", "3", "1", "0"]
    lacked = document_name(WORDS, "dibao", "hukou_book")
    assert T.sd_missing_item.format(name=lacked, count=2) in dibao
    assert registry.client("west").get(f"{QUEUE}/demand").text.count(T.sd_none) == 1
