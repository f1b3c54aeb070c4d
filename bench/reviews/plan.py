"""One run of the review planner in its own process, as the daily job runs it:
`python -m bench.reviews.plan CONTENT_DIR` against LINLI_DATABASE_URL; prints what it planned,
how long `plan()` and its commit took, and each SQL statement's time, as one JSON line."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event

from config.content import load_content
from store.db import make_engine, unit_of_work
from store.reviews.planner import plan

TZ = ZoneInfo("Asia/Shanghai")


def timed(engine: Any) -> list[dict[str, Any]]:
    """Every statement the engine runs from now on: its start, seconds and rows."""
    spent: list[dict[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["started"] = time.monotonic()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seconds = time.monotonic() - conn.info.pop("started")
        words = " ".join(statement.split())
        spent.append({"sql": words[:90], "seconds": round(seconds, 3),
                      "rows": cursor.rowcount})  # fmt: skip

    return spent


def main() -> None:
    """Load the content, plan once, commit, and say what happened."""
    reviews = load_content(Path(sys.argv[1])).reviews
    engine = make_engine(os.environ["LINLI_DATABASE_URL"])
    spent = timed(engine)
    started = time.monotonic()
    with unit_of_work(engine) as session:
        planned = plan(session, reviews, now=datetime.now(UTC), tz=TZ)
        planned_at = time.monotonic()
    committed = time.monotonic()
    slowest = sorted(spent, key=lambda s: -s["seconds"])[:8]
    print(json.dumps({**asdict(planned), "plan_seconds": planned_at - started,
                      "commit_seconds": committed - planned_at, "statements": len(spent),
                      "slowest": slowest}, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
