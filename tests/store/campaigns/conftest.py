"""东风's small registry (tests/resident_helpers.py) with residents bound in WeChat: 张秀英 by
herself, 王建国 through his daughter (and, later, his son), 张小明 by nobody, and a deceased
resident bound by her own WeChat who must never be asked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.campaigns.letters import letter
from store.binding.models import ResidentBinding
from store.campaigns import service as campaigns
from store.campaigns.audience import Audience
from store.campaigns.models import Campaign
from store.db import unit_of_work
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.registry.models import Resident
from store.registry.residents import add_resident
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import StaffUser
from store.staff.scope import Scope
from tests.chat import SEALER, WORDS
from tests.resident_helpers import NOW, SHEET, Registry, build_registry

TZ = ZoneInfo("Asia/Shanghai")
HERSELF = "o_zhang_xiuying_herself_0001"
DAUGHTER = "o_wang_jianguo_daughter_0002"
SON = "o_wang_jianguo_son_0003"
NEPHEW = "o_wang_jianguo_nephew_0004"  # asked to act for him, not approved
LATE = "o_li_yigu_own_wechat_0005"
GONE = "o_zhang_xiaoming_unbound_0006"  # unbound himself before the campaign


@dataclass
class Bound:
    """The registry and who acts for whom."""

    registry: Registry
    deceased: int

    @property
    def database(self) -> Engine:
        """The test's database."""
        return self.registry.database


def bind(
    database: Engine, openid: str, resident_id: int, *, kind: str = "self",
    status: str = "active", relation: str | None = None, at: datetime = NOW,
) -> int:  # fmt: skip
    """A binding row as the store helper's services leave it once decided."""
    with unit_of_work(database) as session:
        binding = ResidentBinding(
            openid=openid, resident_id=resident_id, kind=kind, relation=relation, status=status,
            requested_at=at, decided_at=at if status != "pending" else None,
            ended_at=at if status == "ended" else None,
        )  # fmt: skip
        session.add(binding)
        session.flush()
        return binding.id or 0


@pytest.fixture
def bound(database: Engine) -> Bound:
    """The registry, its bindings, and 李已故 (deceased) bound by her own WeChat."""
    return build_bound(database)


def build_bound(database: Engine) -> Bound:
    """The registry, its bindings, and 李已故 (deceased) bound by her own WeChat."""
    registry = build_registry(database)
    with unit_of_work(database) as session:
        late = add_resident(session, SEALER, committee_id=registry.committee_id,
                            values={"name": "李已故", "residence_status": "deceased"},
                            source=SHEET, now=NOW)  # fmt: skip
        deceased = late.id or 0
        # 王建国 last confirmed long ago; 张小明 never.
        man = session.get(Resident, registry.man)
        boy = session.get(Resident, registry.boy)
        assert man is not None and boy is not None
        man.last_confirmed_at = NOW - timedelta(days=400)
        boy.last_confirmed_at = None
        session.add_all([man, boy])
    bind(database, HERSELF, registry.woman)
    bind(database, DAUGHTER, registry.man, kind="proxy", relation="child")
    bind(database, NEPHEW, registry.man, kind="proxy", relation="other", status="pending")
    bind(database, SON, registry.man, kind="proxy", relation="child", at=NOW + timedelta(hours=1))
    bind(database, GONE, registry.boy, status="ended")
    bind(database, LATE, deceased)
    return Bound(registry, deceased)


@contextmanager
def as_clerk(bound: Bound) -> Iterator[tuple[Session, Scope, audit.Actor]]:
    """One transaction as 东风's clerk."""
    with unit_of_work(bound.database) as session:
        clerk = session.get(StaffUser, bound.registry.clerk.id)
        assert clerk is not None
        yield session, scopes.of(session, clerk), audit.Actor.of(clerk)


def save(bound: Bound, *, place_id: int | None = None, tag: str | None = None,
         unconfirmed_since: date | None = None, days: int = 3) -> int:  # fmt: skip
    """A saved (not started) campaign of 东风 with the shipped message."""
    audience = Audience(bound.registry.committee_id, place_id, tag, unconfirmed_since)
    with as_clerk(bound) as (session, scope, actor):
        campaign = campaigns.create(
            session, scope, audience=audience, title="2026年冬季核对",
            message=WORDS.campaigns.letter.message, reminder_after_days=days, actor=actor,
            now=NOW,
        )  # fmt: skip
        return campaign.id or 0


def start(bound: Bound, campaign_id: int, *, now: datetime = NOW) -> campaigns.Started:
    """Start a saved campaign as the clerk, with the shipped wording."""
    with as_clerk(bound) as (session, scope, actor):
        return campaigns.start(session, SEALER, campaign_id=campaign_id, scope=scope, actor=actor,
                               now=now, tz=TZ, letter=letter(WORDS, TZ))  # fmt: skip


def messages(database: Engine) -> list[OutboxMessage]:
    """Every confirmation message queued, oldest first."""
    with Session(database) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "confirmation")
        return list(session.exec(query.order_by(col(OutboxMessage.id))))


def settle(database: Engine, key: str, status: str, *, error: str | None = None) -> None:
    """The delivery worker's verdict on the message queued under `key`."""
    with unit_of_work(database) as session:
        found = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        message = found.one()
        outbox.settle(session, message.id or 0, outbox.Outcome(status, error=error), NOW)


def campaign(database: Engine, campaign_id: int) -> Campaign:
    """The campaign as stored."""
    with Session(database) as session:
        found = session.get(Campaign, campaign_id)
        assert found is not None
        return found


def local_noon(day: date) -> datetime:
    """Noon of a local day, in UTC."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=TZ).astimezone(UTC)
