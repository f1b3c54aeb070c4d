"""What one running app holds: settings, content, database, engine, gate, handler."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from anyio import CapacityLimiter
from sqlalchemy.engine import Engine as Database

from bot.webhook.handler import PushHandler
from bot.wechat.gate import Gate
from config.content import Content, load_content
from config.settings import Settings
from flows.engine import Engine
from flows.registry import build_engine
from flows.steps import Flow
from store.db import make_engine
from store.sealing import Sealer


@dataclass
class AppContext:
    """The app's long-lived parts, built once at start-up."""

    settings: Settings
    content: Content
    database: Database
    engine: Engine
    gate: Gate
    handler: PushHandler
    # Seals personal data at rest with LINLI_DATA_KEY.
    sealer: Sealer
    # Pushes handled at once: no more than the pool has connections.
    db_slots: CapacityLimiter
    # Tests move this clock to cross idle time-outs without sleeping.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def build_context(
    settings: Settings, database: Database | None = None, flows: Sequence[Flow] | None = None
) -> AppContext:
    """Build everything from settings; bad content raises ContentError here, at start-up."""
    content = load_content(settings.content_dir)
    database = database or make_engine(settings.database_url, pool_size=settings.db_pool_size)
    engine = build_engine(
        content, timeout_minutes=settings.conversation_timeout_minutes, flows=flows
    )
    window = timedelta(seconds=settings.wechat_max_clock_skew or 300) * 2
    sealer = Sealer(settings.data_key)
    handler = PushHandler(
        database, engine, content, replay_window=window, tz=ZoneInfo(settings.timezone),
        sealer=sealer,
    )  # fmt: skip
    slots = CapacityLimiter(settings.db_pool_size)
    return AppContext(settings, content, database, engine, Gate(settings), handler, sealer, slots)
