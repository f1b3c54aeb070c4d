"""The webhook's side of outbound messaging: staff notices enqueued with the record that
caused them, template job reports and consent popups recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.db import unit_of_work
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.residents.models import HumanRequest, NotificationConsent
from tests.chat import Answers, Sends, Stored, open_chat, run


def test_asking_for_a_person_notifies_staff_through_the_outbox(database: Engine) -> None:
    chat = open_chat(database)
    chat.openid = "o_needs_help_7788"
    run(chat, [
        Sends("人工"),
        Answers("工作人员上班时间会在这里回复您"),
        Stored(HumanRequest, count=1),
    ])  # fmt: skip
    with Session(database) as session:
        [notice] = session.exec(select(OutboxMessage)).all()
    assert (notice.audience, notice.kind, notice.status) == ("staff", "staff_notice", "pending")
    assert "请求人工服务" in notice.payload["text"] and "…7788" in notice.payload["text"]
    assert "o_needs_help" not in notice.payload["text"]  # staff see a masked id


def test_if_the_notice_cannot_be_enqueued_the_request_is_not_kept_either(
    database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(outbox, "enqueue", broken)
    chat = open_chat(database)
    run(chat, [Sends("人工"), Answers("系统刚才开了小差"), Stored(HumanRequest, count=0)])


def test_a_template_job_report_is_recorded_against_its_message(database: Engine) -> None:
    now = datetime.now(UTC)
    with unit_of_work(database) as session:
        message_id = outbox.enqueue(session, key="k", audience="resident", recipient="o_tpl",
                                    kind="reminder", payload={"text": "x"}, now=now)  # fmt: skip
        assert message_id is not None
        sent = outbox.Outcome("sent", channel="template", wechat_msg_id=413348094)
        outbox.settle(session, message_id, sent, now)
    chat = open_chat(database)
    chat.openid = "o_tpl"
    chat.push(chat.pusher.event(chat.openid, "TEMPLATESENDJOBFINISH", MsgID=413348094,
                                Status="failed:user block"))  # fmt: skip
    with Session(database) as session:
        message = session.get(OutboxMessage, message_id)
    assert message is not None and message.delivery_report == "failed:user block"


def test_subscription_popup_answers_are_remembered(database: Engine) -> None:
    chat = open_chat(database)
    popup = {"List": [
        {"TemplateId": "tpl-accept", "SubscribeStatusString": "accept", "PopupScene": "2"},
        {"TemplateId": "tpl-reject", "SubscribeStatusString": "reject", "PopupScene": "2"},
    ]}  # fmt: skip
    chat.push(chat.pusher.event(chat.openid, "subscribe_msg_popup_event",
                                SubscribeMsgPopupEvent=popup))  # fmt: skip
    run(chat, [
        Stored(NotificationConsent, template_id="tpl-accept", accepted=True),
        Stored(NotificationConsent, template_id="tpl-reject", accepted=False),
    ])  # fmt: skip
    single = {"List": {"TemplateId": "tpl-reject", "SubscribeStatusString": "accept"}}
    chat.push(chat.pusher.event(chat.openid, "subscribe_msg_change_event",
                                SubscribeMsgChangeEvent=single))  # fmt: skip
    run(chat, [Stored(NotificationConsent, template_id="tpl-reject", accepted=True)])
