"""The review-planner job as the scheduler runs it — off the event loop, in its own units of
work, at the clock's time, hourly and harmless when repeated — and `linli reviews plan`, the
one-off run operators start by hand."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.reviews.jobs import review_planner
from config.content import Content, load_content
from tests.chat import DATA_KEY
from tests.store.reviews.conftest import (
    FAMILY,
    LONGEVITY,
    TZ,
    Town,
    bound,
    build_town,
    filled_content,
    local,
    records,
    reminders,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the content with the committee's blanks filled."""
    folder = tmp_path_factory.mktemp("content")
    filled_content(folder)
    return folder / "zh-CN"


@pytest.fixture(scope="module")
def content(folder: Path) -> Content:
    return load_content(folder)


@pytest.fixture
def town(database: Engine) -> Town:
    town = build_town(database)
    man = town.person("王建国", gender="male", born=date(1960, 5, 1), tags={"only_child": None})
    bound(database, "o_wang", man)
    return town


def test_the_hourly_job_plans_once_a_day_and_repeats_nothing(town: Town, content: Content) -> None:
    now = [local(date(2026, 2, 28), 23)]
    job = review_planner(town.database, content, TZ, clock=lambda: now[0])
    assert asyncio.run(job()) == 0
    now[0] = local(date(2026, 3, 1), 0, 5)  # the first run of the day the window opens
    assert asyncio.run(job()) == 3  # created, reminded, and its reminder queued
    for hour in (1, 2, 9, 23):
        now[0] = local(date(2026, 3, 1), hour)
        assert asyncio.run(job()) == 0
    (record,) = records(town.database, FAMILY)
    assert record.state == "reminded"
    assert [m.recipient for m in reminders(town.database)] == ["o_wang"]


def test_linli_reviews_plan_runs_the_planner_for_a_day_given(
    town: Town, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_DATABASE_URL",
                       town.database.url.render_as_string(hide_password=False))  # fmt: skip
    monkeypatch.setenv("LINLI_DATA_KEY", DATA_KEY)
    monkeypatch.setenv("LINLI_CONTENT_DIR", str(folder))
    runner = CliRunner()
    first = runner.invoke(cli, ["reviews", "plan", "--today", "2026-03-01"])
    assert first.exit_code == 0, first.output
    assert "1 records created, 1 reminders queued (opens 1)" in first.output
    again = runner.invoke(cli, ["reviews", "plan", "--today", "2026-03-01"])
    assert "0 records created, 0 reminders queued (none)" in again.output
    assert len(reminders(town.database)) == 1
    wrong = runner.invoke(cli, ["reviews", "plan", "--today", "1 March"])
    assert wrong.exit_code == 2 and "YYYY-MM-DD" in wrong.output
    assert records(town.database, LONGEVITY) == []
