"""One racing process for test_token_processes: sends through the shared token, in two phases.

    python -m tests.bot.wechat.token_race DATABASE_URL SANDBOX_URL APP_ID SECRET OPENID DIR NAME

It writes DIR/ready-NAME once started, waits for DIR/go1, sends two messages at once, writes
DIR/done1-NAME, waits for DIR/go2 and sends two more (with the same token memory).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

from bot.wechat.api import WeChatAPI
from bot.wechat.tokens import SharedTokens
from store.db import make_engine
from tests.processes import until

DEADLINE_SECONDS = 60


def wait_for(path: Path) -> None:
    """Block until the file exists (the test's barrier)."""
    # Both racers poll the barrier tightly so that they are released together.
    until(path.exists, f"the barrier {path.name}", deadline=DEADLINE_SECONDS, interval=0.002)


async def phase(api_args: dict, tokens: SharedTokens, openid: str, label: str) -> None:
    """Send two messages concurrently."""
    async with httpx.AsyncClient() as http:
        api = WeChatAPI(http, tokens=tokens, **api_args)
        await asyncio.gather(*(api.send_text(openid, f"{label}-{i}") for i in range(2)))


def main(argv: list[str]) -> None:
    """Race once per barrier."""
    database_url, base_url, app_id, secret, openid, folder, name = argv
    where = Path(folder)
    tokens = SharedTokens(make_engine(database_url), app_id)
    api_args = {"base_url": base_url, "app_id": app_id, "app_secret": secret}
    (where / f"ready-{name}").touch()
    wait_for(where / "go1")
    asyncio.run(phase(api_args, tokens, openid, f"{name}-1"))
    (where / f"done1-{name}").touch()
    wait_for(where / "go2")
    asyncio.run(phase(api_args, tokens, openid, f"{name}-2"))


if __name__ == "__main__":
    main(sys.argv[1:])
