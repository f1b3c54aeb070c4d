"""A committee's own tools read 年审 records through /api/v1/reviews and make the same changes as
the console: names masked, a change its state does not allow a 409, a missing reason a 422, each
change audited, and another committee's record not found."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.bot.console.test_reviews import (
    FAMILY,
    Desk,
    actions,
    book,
    desk,
    state_of,
)
from tests.chat import WORDS
from tests.staff_helpers import token_for

__all__ = ["desk"]  # the fixture, shared with the console's tests
LIST = "/api/v1/reviews"


def _client(desk: Desk, who: str = "clerk") -> tuple[TestClient, dict[str, str]]:
    person = {"clerk": desk.registry.clerk, "west": desk.registry.stranger,
              "grid": desk.registry.worker}[who]  # fmt: skip
    return TestClient(desk.registry.app), token_for(desk.database, person)


def test_the_list_shows_a_programmes_records_masked_and_filtered(desk: Desk) -> None:
    book(desk.database, desk.woman, 14)
    client, headers = _client(desk)
    answer = client.get(LIST, params={"programme": FAMILY, "cycle": 2026}, headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 50)
    woman = next(i for i in body["items"] if i["id"] == desk.woman)
    assert (woman["name"], woman["building"], woman["state"]) == ("张*英", "3栋", "booked")
    assert woman["state_name"] == WORDS.reviews.words.states["booked"]
    assert woman["visit_starts_at"].startswith("2026-11-30T06:00")  # 14:00 in 东风
    assert woman["closes_on"] == "2026-12-31" and woman["completed_at"] is None
    assert "张秀英" not in answer.text
    asked = {"programme": FAMILY, "cycle": 2026, "state": "self_reported"}
    waiting = client.get(LIST, params=asked, headers=headers).json()
    assert [i["id"] for i in waiting["items"]] == [desk.boy]
    west_client, west = _client(desk, "west")
    theirs = west_client.get(LIST, params={"programme": FAMILY, "cycle": 2026}, headers=west)
    assert [i["id"] for i in theirs.json()["items"]] == [desk.west]
    unknown = client.get(LIST, params={"programme": "nothing_here", "cycle": 2026},
                         headers=headers)  # fmt: skip
    assert unknown.status_code == 200 and unknown.json()["total"] == 0
    bad = client.get(LIST, params={"programme": FAMILY, "cycle": 2026, "state": "lost"},
                     headers=headers)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "state"


def test_a_change_is_checked_made_and_audited(desk: Desk) -> None:
    client, headers = _client(desk)
    address = f"{LIST}/{desk.boy}/actions"
    missing = client.post(address, json={"action": "exempt"}, headers=headers)
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "note"
    wrong = client.post(f"{LIST}/{desk.man}/actions", json={"action": "confirm"}, headers=headers)
    assert wrong.status_code == 409 and wrong.json()["detail"][0]["field"] == "state"
    done = client.post(address, json={"action": "confirm", "note": "网上查到了"}, headers=headers)
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["completed_via"]) == ("completed", "online")
    assert state_of(desk.database, desk.boy) == "completed"
    assert actions(desk.database) == [("review.confirm", str(desk.boy))]


def test_another_committees_record_and_a_grid_worker_are_refused(desk: Desk) -> None:
    west_client, west = _client(desk, "west")
    refused = west_client.post(f"{LIST}/{desk.woman}/actions",
                               json={"action": "exempt", "note": "x"}, headers=west)  # fmt: skip
    assert refused.status_code == 404
    grid_client, grid = _client(desk, "grid")
    assert grid_client.post(f"{LIST}/{desk.boy}/actions", json={"action": "confirm"},
                            headers=grid).status_code == 404  # fmt: skip
    assert state_of(desk.database, desk.woman) == "reminded"
    assert state_of(desk.database, desk.boy) == "self_reported"
    assert actions(desk.database) == []
