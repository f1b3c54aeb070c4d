"""What one running app holds: settings, content, database, engine, gate, handler.

bot/main.py builds it; everything else only reads it, so this module imports none of the parts'
packages at run time (the webhook imports bot/web, never the other way round).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fastapi import Request

if TYPE_CHECKING:
    from anyio import CapacityLimiter
    from sqlalchemy.engine import Engine as Database

    from bot.understanding.provider import MatcherProvider
    from bot.webhook.handler import PushHandler
    from bot.wechat.gate import Gate
    from config.content import Content
    from config.settings import Settings
    from flows.engine import Engine
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
    # The front door's matcher, kept in step with the overlay of synonyms staff add.
    understanding: MatcherProvider
    # Tests move this clock to cross idle time-outs without sleeping.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def context_of(request: Request) -> AppContext:
    """The running app's context, for a route or dependency serving this request."""
    return request.app.state.services
