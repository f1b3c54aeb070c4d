"""/api/v1/applications: staff list, read and move applications made in chat through the same
service as the console — masked fields, only the caller's committees, a step that does not fit
is a 409 and a rejection without reason a 422, each naming the field and why."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from store.outbox.models import OutboxMessage
from tests.chat import WORDS
from tests.resident_helpers import Registry, build_registry
from tests.staff_helpers import token_for
from tests.store.services.conftest import MOBILE, submit

API = "/api/v1/applications"


@pytest.fixture
def registry(database: Engine) -> Registry:
    """东风's clerk and 西湖's clerk."""
    return build_registry(database)


def _client(registry: Registry, who: str = "clerk") -> TestClient:
    person = {"clerk": registry.clerk, "west": registry.stranger, "grid": registry.worker}[who]
    return TestClient(registry.app, headers=token_for(registry.database, person))


def test_the_list_is_unanswered_first_masked_and_scoped(registry: Registry) -> None:
    older = submit(registry.database, registry.committee_id)
    newer = submit(registry.database, registry.committee_id)
    api = _client(registry)
    assert api.post(f"{API}/{older}/status", json={"status": "accepted"}).status_code == 200
    listed = api.get(API, params={"status": "open"})
    assert listed.status_code == 200
    body = listed.json()
    assert [i["reference"] for i in body["items"]] == [newer, older] and body["total"] == 2
    first = body["items"][0]
    assert first["status"] == "submitted" and first["status_name"] == WORDS.applications.status(
        "submitted")  # fmt: skip
    assert {f["key"]: f["value"] for f in first["fields"]}["mobile"] == "138****3333"
    assert MOBILE not in listed.text and "李桂芳" not in listed.text
    assert _client(registry, "west").get(API).json()["total"] == 0
    assert _client(registry, "west").get(f"{API}/{older}").status_code == 404


def test_marking_ready_queues_the_residents_push_and_shows_the_timeline(
    registry: Registry,
) -> None:
    reference = submit(registry.database, registry.committee_id)
    api = _client(registry)
    api.post(f"{API}/{reference}/status", json={"status": "accepted"})
    ready = api.post(f"{API}/{reference}/status", json={"status": "ready", "note": "带身份证"})
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["allowed"] == ["collected", "rejected"]
    assert [e["to_status"] for e in body["timeline"]] == ["submitted", "accepted", "ready"]
    with Session(registry.database) as session:
        keys = session.exec(select(OutboxMessage.idempotency_key)).all()
    assert sorted(keys) == [f"application:{reference}:accepted", f"application:{reference}:ready"]


def test_refusals_name_the_field_and_why(registry: Registry) -> None:
    reference = submit(registry.database, registry.committee_id)
    api = _client(registry)
    early = api.post(f"{API}/{reference}/status", json={"status": "collected"})
    assert early.status_code == 409
    assert early.json()["detail"][0]["field"] == "status"
    assert "submitted" in early.json()["detail"][0]["reason"]
    bare = api.post(f"{API}/{reference}/status", json={"status": "rejected"})
    assert bare.status_code == 422 and bare.json()["detail"][0]["field"] == "note"
    unknown = api.post(f"{API}/{reference}/status", json={"status": "lost"})
    assert unknown.status_code == 422
    assert api.get(f"{API}/BS-20261130-0001").status_code == 404  # a report names none
    assert api.get(API, params={"colour": "red"}).status_code == 422
    assert api.get(f"{API}/{reference}").json()["status"] == "submitted"
