"""Checklists given are kept, and staff see the demand per service over a period: how many
asked, walked through their documents, were ready, applied in chat — and what they lacked most."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from store.db import unit_of_work
from store.services import checklists
from store.staff.models import StaffUser
from tests.resident_helpers import NOW, Registry
from tests.store.services.conftest import as_staff, submit

DAY = timedelta(days=1)


def _given(
    database: Engine, service: str, missing: tuple[str, ...] | None, committee_id: int | None,
    days_ago: int = 0,
) -> None:  # fmt: skip
    given = checklists.GivenChecklist(
        openid="o_asker_01", service=service, version="2026-11-29.1",
        answers=(("who", "self"),), items=("id_card", "hukou_book", "photo"), missing=missing,
        committee_id=committee_id,
    )  # fmt: skip
    with unit_of_work(database) as session:
        checklists.record(session, given, now=NOW - days_ago * DAY)


def test_demand_counts_per_service_and_what_people_lack_most(
    registry: Registry, admin: StaffUser
) -> None:
    east = registry.committee_id
    _given(registry.database, "dibao", ("hukou_book", "photo"), east)
    _given(registry.database, "dibao", ("hukou_book",), east)
    _given(registry.database, "dibao", (), east)
    _given(registry.database, "dibao", None, east)
    _given(registry.database, "dibao", ("photo",), east, days_ago=40)  # before the period
    _given(registry.database, "senior_card", None, east)
    _given(registry.database, "senior_card", ("id_card",), None)  # of no committee
    submit(registry.database, east)
    with as_staff(registry.database, registry.clerk) as (session, scope, _actor):
        figures = checklists.demand(session, scope, since=NOW - 30 * DAY, until=NOW + DAY)
    assert figures[0].service == "dibao"  # the most asked-about first
    dibao, certificate, senior = figures  # then equal counts by key
    assert (dibao.service, dibao.checklists, dibao.walked, dibao.ready) == ("dibao", 4, 3, 1)
    assert dibao.most_missing == [("hukou_book", 2), ("photo", 1)]
    assert (senior.service, senior.checklists, senior.walked, senior.most_missing) == (
        "senior_card", 1, 0, [])  # fmt: skip
    assert (certificate.service, certificate.applications) == ("residence_certificate", 1)
    with as_staff(registry.database, admin) as (session, scope, _actor):
        figures = checklists.demand(session, scope, since=NOW - 30 * DAY, until=NOW + DAY)
    senior = next(f for f in figures if f.service == "senior_card")
    assert senior.checklists == 2 and senior.most_missing == [("id_card", 1)]
    with as_staff(registry.database, registry.stranger) as (session, scope, _actor):
        assert checklists.demand(session, scope, since=NOW - 30 * DAY, until=NOW + DAY) == []
