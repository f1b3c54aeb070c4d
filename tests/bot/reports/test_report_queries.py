"""GET /api/v1/reports looks up what its rows show in batches: a page of 50 reports costs the
same number of database queries as a page of 5."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.main import create_app
from bot.reports import service as reporting
from store.db import unit_of_work
from store.places.models import Place
from store.reports import service as reports
from store.staff.models import StaffUser
from tests.chat import settings_for
from tests.staff_helpers import create_staff, token_for

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
EAST = "东风社区居委会"


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The statements the engine runs while the block runs."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _file(database: Engine, app: Any, numbers: range, worker: StaffUser) -> None:
    """Reports each at its own building (handled by the grid worker), with a follower."""
    services = app.state.services
    for number in numbers:
        with unit_of_work(database) as session:
            place = Place(committee_id=worker.committee_id or 0, kind="building",
                          name=f"{number}栋", handler_id=worker.id)  # fmt: skip
            session.add(place)
            session.flush()
            new = reports.NewReport(
                category="shared_bike", description="楼道口停满了共享单车", source="wechat",
                reporter_openid=f"o_reporter_{number:04d}", committee_id=worker.committee_id,
                place_id=place.id, place_text=place.name,
            )  # fmt: skip
            report = reporting.submit(
                session, services.content, new, now=NOW - timedelta(minutes=number),
                tz=services.settings.tz, sealer=services.sealer, place=place,
            )  # fmt: skip
            reporting.follow(session, services.content, report, f"o_neighbour_{number}", NOW)


def test_a_page_of_fifty_reports_costs_as_many_queries_as_a_page_of_five(
    database: Engine,
) -> None:
    app = create_app(settings_for(database), database=database)
    app.state.services.clock = lambda: NOW
    client = TestClient(app)
    clerk = token_for(database, create_staff(database, "clerk", committee=EAST))
    worker = create_staff(database, "wang", role="grid_worker", committee=EAST)

    def queries_for_a_page() -> tuple[int, list[str]]:
        with counting(database) as seen:
            answer = client.get("/api/v1/reports", headers=clerk, params={"per_page": 50})
        assert answer.status_code == 200, answer.text
        places = [item["place"] for item in answer.json()["items"]]
        return len(seen), places

    queries_for_a_page()  # the token's first use is written down; later ones are not
    _file(database, app, range(1, 6), worker)
    five, places = queries_for_a_page()
    assert places == [f"{n}栋" for n in range(1, 6)]
    _file(database, app, range(6, 51), worker)
    fifty, places = queries_for_a_page()
    assert places == [f"{n}栋" for n in range(1, 51)]
    assert fifty == five
