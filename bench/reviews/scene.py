"""The reminder benchmark's scene: N residents all due for the family-planning review (women
born 1940–1953 with the 独生子女 tag, registered here), each bound in WeChat as herself and
following the account; written with COPY through the registry's bulk path. And the content it
runs with: the shipped content with the review's window filled in (open all year) and a
template for `review_reminder`, so the worker sends templates (no 48-hour window needed)."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy.engine import Engine

from store.binding.models import ResidentBinding
from store.db import unit_of_work
from store.registry import bulk
from store.registry.models import Resident, ResidentTag
from store.residents.models import WeChatUser
from store.staff import accounts

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "content" / "zh-CN"
PROGRAMME = "family_planning_review"
TEMPLATE = "tpl-review-bench"
FIELDS = {"first": "text"}  # the template's one field carries the reminder's text
DISTRICT, COMMITTEE = "基准街道", "基准社区"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "秀英桂兰玉梅淑珍凤英美华丽娟红霞春花"


def openid(i: int) -> str:
    """The i-th resident's openid (28 characters, like WeChat's)."""
    return f"oReview{i:021d}"


def content_copy(folder: Path) -> Path:
    """The shipped content, the review's window filled in and review_reminder on a template."""
    target = folder / "content"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SHIPPED, target)
    path = target / "reviews" / f"{PROGRAMME}.yaml"
    programme = yaml.safe_load(path.read_text(encoding="utf-8"))
    programme["window"].update(opens="01-01", closes="12-31", age_on="12-31")
    path.write_text(yaml.safe_dump(programme, allow_unicode=True), encoding="utf-8")
    path = target / "notifications.yaml"
    notifications = yaml.safe_load(path.read_text(encoding="utf-8"))
    route = {"template_id": TEMPLATE, "fields": FIELDS}
    notifications["kinds"]["review_reminder"]["template"] = route
    path.write_text(yaml.safe_dump(notifications, allow_unicode=True), encoding="utf-8")
    return target


def _resident(resident_id: int, committee_id: int, i: int, now: datetime) -> dict[str, Any]:
    name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 3) % len(GIVEN)]
    # 1940 to 1953: all past 55, and none turning 70 (no 长寿金 reminder).
    born = date(1940, 1, 1) + timedelta(days=i % 5000)
    return {
        "id": resident_id, "committee_id": committee_id, "name": name, "gender": "female",
        "birth_date": born, "id_card_sealed": None, "id_card_hash": None, "mobile_sealed": None,
        "mobile_hash": None, "landline_sealed": None, "relation_to_head": None,
        "household_id": None, "hukou_status": "consistent", "residence_status": "registered",
        "notes": "", "created_at": now, "updated_at": now, "last_confirmed_at": None,
    }  # fmt: skip


def populate(engine: Engine, n: int) -> int:
    """N due residents, each with her tag, her own binding and her WeChat user; the committee."""
    now = datetime.now(UTC) - timedelta(days=30)
    with unit_of_work(engine) as session:
        district = accounts.sub_district(session, DISTRICT)
        committee_id = accounts.committee(session, district, COMMITTEE).id or 0
        ids = bulk.reserve_ids(session, Resident, n)
        people = (_resident(rid, committee_id, i, now) for i, rid in enumerate(ids))
        bulk.copy_rows(session, Resident, people)
        bulk.copy_rows(session, ResidentTag, (
            {"resident_id": rid, "tag": "only_child", "certificate_number_sealed": None,
             "certificate_date": None} for rid in ids
        ))  # fmt: skip
        bulk.copy_rows(session, ResidentBinding, (
            {"openid": openid(i), "resident_id": rid, "committee_id": committee_id,
             "kind": "self", "relation": None, "status": "active", "given_name": None,
             "requested_at": now, "decided_at": now, "decided_by": None, "reason": None,
             "ended_at": None}
            for i, rid in enumerate(ids)
        ))  # fmt: skip
        # Followers who have not written for a month: no 48-hour window, so a template.
        bulk.copy_rows(session, WeChatUser, (
            {"openid": openid(i), "subscribed": True, "first_seen": now, "last_seen": now,
             "last_message_at": now, "subscribed_at": now, "unsubscribed_at": None}
            for i in range(n)
        ))  # fmt: skip
    return committee_id


async def follow(base: str, n: int, *, template: str = TEMPLATE) -> None:
    """In the sandbox: the template registered, and every resident following the account."""
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        (
            await client.post("/_sandbox/templates", json={"template_id": template})
        ).raise_for_status()
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)

        async def one() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                for attempt in range(3):
                    # A kept-alive connection the server closed meanwhile: try a new one.
                    try:
                        answer = await client.post("/_sandbox/followers",
                                                   json={"openid": openid(i)})  # fmt: skip
                        break
                    except httpx.TransportError:
                        if attempt == 2:
                            raise
                answer.raise_for_status()

        await asyncio.gather(*(one() for _ in range(16)))
