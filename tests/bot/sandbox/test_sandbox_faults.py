"""The WeChat sandbox's faults: queued and random errors, timeouts that hold or lose the answer."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import httpx

from tests.bot.sandbox.sandbox_box import CUSTOM, ROBOT, TEMPLATE, Box, valid

# -- faults ------------------------------------------------------------------------------------


def test_queued_faults_come_first_then_calls_succeed(box: Box) -> None:
    token = box.token()
    box.post("/_sandbox/interactions", {"openid": "o1"})
    box.post("/_sandbox/robots", {"key": "k1"})
    box.post(
        "/_sandbox/faults", {"next": [{"errcode": -1}, {"errcode": 45009}, {"errcode": 48001}]}
    )
    assert box.text(token, "o1")["errcode"] == -1
    robot = box.post(ROBOT, {"msgtype": "text", "text": {"content": "x"}}, key="k1")
    assert robot["errcode"] == 45009
    assert box.text(token, "o1")["errcode"] == 48001
    assert box.text(token, "o1")["errcode"] == 0
    assert len(box.get("/_sandbox/messages")) == 1
    calls = box.get("/_sandbox/calls")
    assert (calls["custom"], calls["robot"], calls["stable_token"]) == (3, 1, 1)


def test_faults_spare_tokens_and_media(box: Box) -> None:
    box.post("/_sandbox/faults", {"rate_system_busy": 1.0})
    token = box.token()
    assert valid(box, token) == 0
    box.post("/_sandbox/interactions", {"openid": "o1"})
    assert box.text(token, "o1")["errcode"] == -1


def test_fault_rates_are_reproducible_with_a_seed() -> None:
    def run() -> list[int]:
        box = Box()
        token = box.token()
        box.post("/_sandbox/followers", {"openid": "o1", "subscribed": True})
        box.post("/_sandbox/templates", {"template_id": "T"})
        box.post("/_sandbox/faults", {"rate_system_busy": 0.3, "rate_rate_limited": 0.3, "seed": 7})
        body = {"touser": "o1", "template_id": "T", "data": {}}
        return [box.post(TEMPLATE, body, access_token=token)["errcode"] for _ in range(30)]

    first = run()
    assert first == run()
    assert {0, -1, 45009} == set(first)


def test_fault_settings_are_checked(box: Box) -> None:
    too_much = {"rate_system_busy": 0.6, "rate_timeout": 0.6}
    assert box.request("POST", "/_sandbox/faults", json=too_much).status_code == 422
    neither = {"next": [{"errmsg": "x"}]}
    assert box.request("POST", "/_sandbox/faults", json=neither).status_code == 422
    answer = box.post("/_sandbox/faults", {"next": [{"timeout": True}], "timeout_seconds": 2})
    assert answer["next"] == [{"timeout": True, "delivered": False}]
    assert answer["timeout_seconds"] == 2


def _slow_and_fast(box: Box, delivered: bool) -> tuple[bool, dict[str, Any]]:
    token = box.token()
    box.post("/_sandbox/interactions", {"openid": "o1"})
    fault = {"timeout": True, "delivered": delivered}
    box.post("/_sandbox/faults", {"next": [fault], "timeout_seconds": 30})
    body = {"touser": "o1", "msgtype": "text", "text": {"content": "慢"}}
    outcome: dict[str, Any] = {}

    async def go() -> None:
        transport = httpx.ASGITransport(app=box.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:

            async def slow() -> None:
                with anyio.move_on_after(0.2) as scope:
                    await client.post(CUSTOM, json=body, params={"access_token": token})
                outcome["gave_up"] = scope.cancelled_caught

            async def fast() -> None:
                # Polls while the slow call is held: the sandbox must keep answering.
                with anyio.fail_after(0.15):
                    while (calls := (await client.get("/_sandbox/calls")).json())["custom"] == 0:
                        await anyio.sleep(0)
                outcome["fast"] = calls
                outcome["fast_first"] = "gave_up" not in outcome

            async with anyio.create_task_group() as group:
                group.start_soon(slow)
                group.start_soon(fast)

    asyncio.run(go())
    assert outcome["fast_first"]
    return outcome["gave_up"], outcome["fast"]


def test_a_timeout_fault_holds_the_answer_while_the_sandbox_keeps_serving(box: Box) -> None:
    gave_up, calls_meanwhile = _slow_and_fast(box, delivered=False)
    assert gave_up
    assert calls_meanwhile["custom"] == 1
    assert box.get("/_sandbox/messages") == []


def test_a_delivered_timeout_loses_only_the_answer(box: Box) -> None:
    gave_up, _ = _slow_and_fast(box, delivered=True)
    assert gave_up
    assert [m["payload"]["text"]["content"] for m in box.get("/_sandbox/messages")] == ["慢"]


def test_a_short_timeout_fault_answers_system_error(box: Box) -> None:
    token = box.token()
    box.post("/_sandbox/interactions", {"openid": "o1"})
    box.post("/_sandbox/faults", {"next": [{"timeout": True}], "timeout_seconds": 0})
    assert box.text(token, "o1")["errcode"] == -1
