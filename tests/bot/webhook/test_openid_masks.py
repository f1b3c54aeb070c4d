"""The webhook shows a resident's openid one way only, flows.masking.mask_openid (…last4), in
its log as in the notices staff read."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import Engine

from flows.masking import mask_openid
from tests.chat import open_chat


def test_a_failed_push_is_logged_with_the_openid_masked_as_staff_see_it(
    database: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    chat = open_chat(database)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in a flow")

    monkeypatch.setattr(chat.client.app.state.services.handler.engine, "advance", broken)
    with caplog.at_level(logging.ERROR):
        assert chat.says("1")  # the apology
    [line] = [r.getMessage() for r in caplog.records if "storing it with an apology" in r.message]
    assert mask_openid(chat.openid) in line
    assert chat.openid[:6] not in line  # the old log showed the openid's head
