"""A message Linli did not understand is kept for staff (没看懂的话) through the real webhook:
with whoever sent it, and with any ID or phone number in it masked; an understood message, a
menu number or a command is not kept."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from store.understanding.models import UnmatchedMessage
from tests.chat import WORDS, Answers, Sends, Stored, open_chat, run

ID_NUMBER = "440106195001012345"
MOBILE = "13812345678"


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_a_message_not_understood_is_kept_with_its_numbers_masked(
    database: Engine, mode: str
) -> None:
    chat = open_chat(database, mode)
    run(chat, [
        Sends(f"{ID_NUMBER} {MOBILE} 屋企冇钱开饭"),
        Answers(WORDS.bot.not_understood),
        Stored(UnmatchedMessage, 1, text="*" * len(f"{ID_NUMBER} {MOBILE}") + " 屋企冇钱开饭",
               resolved_at=None),
    ])  # fmt: skip


def test_what_was_understood_is_not_kept(database: Engine) -> None:
    chat = open_chat(database)
    service = WORDS.services.by_key["dibao"].name
    run(chat, [
        Sends(service),
        Answers(service),
        Sends("菜单"),
        Sends("1"),
        Sends("取消"),
        Sends("谢谢"),
        Stored(UnmatchedMessage, 0),
    ])  # fmt: skip
