"""返回 and 取消 at every step of 绑定身份, 登记为新居民 and 更新信息, through the real webhook on
SQLite and PostgreSQL: 返回 asks the step before again (or says it is the first), 取消 ends the
flow with the menu, and neither writes anything."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy.engine import Engine

from bot.binding.notices import mask_name
from store.binding.models import BindAttempt, Registration, ResidentBinding, SelfReport
from tests.chat import WORDS, Chat
from tests.flows.conversations.binding_helpers import MAN_NAME, WOMAN_NAME, bound, chat_as
from tests.resident_helpers import MAN, WOMAN, Registry, build_registry

BOT, BIND = WORDS.bot, WORDS.binding.bind
REGISTER, UPDATE = WORDS.binding.registration, WORDS.binding.update
NEW_MOBILE = "13911112222"
# Each step: what the resident says to reach it, and what Linli asks there.
Steps = Sequence[tuple[tuple[str, ...], str]]
BIND_STEPS: Steps = [
    (("绑定",), BIND.who_prompt),
    (("绑定", "1"), BIND.name_prompt),
    (("绑定", "1", "张秀英"), BIND.proof_prompt),
    (("绑定", "2"), BIND.relation_prompt),
    (("绑定", "2", "1"), BIND.family_name_prompt),
    (("绑定", "2", "1", "王建国"), BIND.family_proof_prompt),
]
UNBIND_STEPS: Steps = [
    (("绑定",), BIND.who_prompt),
    (("绑定", "3"), BIND.unbind_prompt),
    (
        ("绑定", "3", "1"),
        BIND.unbind_confirm.format(who=BIND.item_self.format(name=mask_name(WOMAN_NAME))),
    ),
]
REGISTER_STEPS: Steps = [
    (("登记",), REGISTER.address_prompt),
    (("登记", "3栋2单元502"), REGISTER.name_prompt),
    (("登记", "3栋2单元502", "李四"), REGISTER.mobile_prompt),
    (
        ("登记", "3栋2单元502", "李四", "13700001111"),
        REGISTER.confirm_prompt.format(name="李四", mobile="13700001111", address="3栋2单元502"),
    ),
]
UPDATE_STEPS: Steps = [
    (("更新信息",), UPDATE.who_prompt),
    (("更新信息", "1"), UPDATE.what_prompt),
    (("更新信息", "1", "手机号"), UPDATE.mobile_prompt),
    (("更新信息", "1", "住址"), UPDATE.dwelling_prompt),
    (("更新信息", "1", "居住情况"), UPDATE.status_prompt),
    (
        ("更新信息", "1", "手机号", NEW_MOBILE),
        UPDATE.confirm_prompt.format(name=mask_name(WOMAN_NAME), field="手机号", value=NEW_MOBILE),
    ),
]


@pytest.fixture
def registry(database: Engine) -> Registry:
    return build_registry(database)


def says(chat: Chat, *texts: str) -> str:
    for text in texts:
        chat.says(text)
    return chat.last_reply or ""


def walk(chat: Chat, steps: Steps) -> None:
    """At each step: 返回 asks the step before (the first step says it is the first), the same
    answer comes back to the step, and 取消 ends the flow with the menu."""
    asked = dict(steps)
    for path, prompt in steps:
        assert prompt in says(chat, *path), path
        back = says(chat, "返回")
        if len(path) == 1:
            assert BOT.back_at_start in back and BOT.menu_header in back, back
            assert prompt in says(chat, *path), path
        else:
            assert back == asked[path[:-1]] or asked[path[:-1]] in back, (path, back)
            assert prompt in says(chat, path[-1]), path
        cancelled = says(chat, "取消")
        assert BOT.cancelled in cancelled and BOT.menu_header in cancelled, (path, cancelled)


def test_back_and_cancel_at_every_step_of_binding(database: Engine, registry: Registry) -> None:
    newcomer = chat_as(database)
    walk(newcomer, BIND_STEPS)
    family = chat_as(database, "o_family")
    bound(registry, family.openid, name=WOMAN_NAME, proof=WOMAN[-6:],
          proxy_for=(MAN_NAME, MAN[-6:], "spouse"))  # fmt: skip
    walk(family, UNBIND_STEPS)
    assert newcomer.count(BindAttempt) == 1 + 1  # only the two set up for the family
    assert newcomer.count(ResidentBinding, status="active") == 2
    assert newcomer.count(ResidentBinding, status="pending") == 0


def test_back_and_cancel_at_every_step_of_registering(database: Engine, registry: Registry) -> None:
    chat = chat_as(database)
    walk(chat, REGISTER_STEPS)
    assert chat.count(Registration) == 0


def test_back_and_cancel_at_every_step_of_updating(database: Engine, registry: Registry) -> None:
    family = chat_as(database)
    bound(registry, family.openid, name=WOMAN_NAME, proof=WOMAN[-6:],
          proxy_for=(MAN_NAME, MAN[-6:], "spouse"))  # fmt: skip
    walk(family, UPDATE_STEPS)
    # One person, the field said at the start: 返回 leads to "what", which was never asked.
    alone = chat_as(database, "o_alone")
    bound(registry, alone.openid, name=MAN_NAME, proof=MAN[-6:])
    assert UPDATE.mobile_prompt in says(alone, "改手机号")
    assert UPDATE.what_prompt in says(alone, "返回")
    assert BOT.back_at_start in says(alone, "返回")
    assert family.count(SelfReport) == 0
