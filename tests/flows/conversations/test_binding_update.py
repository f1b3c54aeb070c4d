"""更新信息 as conversations through the real webhook, on SQLite and PostgreSQL: a new mobile kept
for staff to check (or made at once where the committee needs no check), a move within the
committee, and a residence status, 已去世 offered only to family."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.binding.notices import mask_name
from store.binding.models import SelfReport
from store.registry.models import Resident, ResidentChange
from tests.chat import SEALER, SHIPPED_CONTENT, WORDS, Answers, DoesNotAnswer, Sends, Stored, run
from tests.chat import menu_item as item
from tests.flows.conversations.binding_helpers import (
    MAN_NAME,
    WOMAN_NAME,
    Exactly,
    bound,
    chat_as,
)
from tests.resident_helpers import MAN, WOMAN, WOMAN_MOBILE, Registry, build_registry

UPDATE, STATUSES = WORDS.binding.update, WORDS.binding.statuses
NEW_MOBILE = "13911112222"
OPENID = "o_resident_0001"


@pytest.fixture
def registry(database: Engine) -> Registry:
    return build_registry(database)


def mobile_of(database: Engine, resident_id: int) -> str:
    with Session(database) as session:
        resident = session.get(Resident, resident_id)
        assert resident is not None and resident.mobile_sealed is not None
        return SEALER.open(resident.mobile_sealed)


def content_without_checks(folder: Path) -> Path:
    """A copy of the shipped content in which no change waits for staff."""
    target = folder / "content"
    shutil.copytree(SHIPPED_CONTENT, target)
    path = target / "binding.yaml"
    binding = yaml.safe_load(path.read_text(encoding="utf-8"))
    binding["needs_approval"] = []
    path.write_text(yaml.safe_dump(binding, allow_unicode=True), encoding="utf-8")
    return target


def test_updating_without_a_binding_says_how_to_bind(database: Engine, registry: Registry) -> None:
    run(chat_as(database), [Sends("更新信息"), Exactly(UPDATE.not_bound)])


def test_a_new_mobile_waits_for_staff_to_check_it(database: Engine, registry: Registry) -> None:
    bound(registry, OPENID, name=WOMAN_NAME, proof=WOMAN[-6:])
    summary = UPDATE.confirm_prompt.format(
        name=mask_name(WOMAN_NAME), field="手机号", value=NEW_MOBILE
    )
    run(
        chat_as(database),
        [
            Sends("更新信息"),  # one person: whom is not asked
            Answers(UPDATE.what_prompt, item(1, "手机号"), item(3, "居住情况")),
            Sends("换手机号了"),
            Answers(UPDATE.mobile_prompt),
            Sends("1391111222"),  # a digit short
            Answers(WORDS.bot.hints.mobile, UPDATE.mobile_prompt),
            Sends(NEW_MOBILE),
            Answers(summary, item(1, UPDATE.submit)),
            Sends("对的"),
            Exactly(UPDATE.pending),
            Stored(
                SelfReport,
                status="pending",
                field="mobile",
                resident_id=registry.woman,
                by_proxy=False,
                shown="139****2222",
            ),
        ],
    )
    assert mobile_of(database, registry.woman) == WOMAN_MOBILE  # not before staff approve


def test_where_no_check_is_needed_a_new_mobile_is_made_at_once(
    database: Engine, registry: Registry, tmp_path: Path
) -> None:
    bound(registry, OPENID, name=WOMAN_NAME, proof=WOMAN[-6:])
    chat = chat_as(database, content_dir=content_without_checks(tmp_path))
    run(
        chat,
        [
            Sends("改手机号"),  # the field is said already: straight to the new number
            Answers(UPDATE.mobile_prompt),
            Sends(NEW_MOBILE),
            Sends("确认提交"),
            Exactly(UPDATE.applied),
            Stored(SelfReport, status="applied", field="mobile", resident_id=registry.woman),
            Stored(
                ResidentChange, field="mobile", source_kind="resident", resident_id=registry.woman
            ),
        ],
    )
    assert mobile_of(database, registry.woman) == NEW_MOBILE


def test_a_move_within_the_committee_names_the_building_unit_and_room(
    database: Engine, registry: Registry
) -> None:
    bound(registry, OPENID, name=WOMAN_NAME, proof=WOMAN[-6:])
    run(
        chat_as(database),
        [
            Sends("搬家了"),
            Answers(UPDATE.dwelling_prompt),
            Sends("幸福路88号"),  # no building of the committee
            Answers(UPDATE.dwelling_hint, UPDATE.dwelling_prompt),
            Sends("三栋1单元101室"),
            Answers(
                UPDATE.confirm_prompt.format(
                    name=mask_name(WOMAN_NAME), field="住址", value="3栋1单元101"
                )
            ),
            Sends("确认"),
            Exactly(UPDATE.pending),
            Stored(SelfReport, status="pending", field="dwelling", shown="3栋1单元101"),
        ],
    )


def test_only_family_may_say_that_someone_has_died(database: Engine, registry: Registry) -> None:
    bound(registry, OPENID, name=WOMAN_NAME, proof=WOMAN[-6:],
          proxy_for=(MAN_NAME, MAN[-6:], "spouse"))  # fmt: skip
    moved, died = STATUSES["moved_out"].name, STATUSES["deceased"].name
    chat = chat_as(database)
    run(
        chat,
        [
            Sends("6"),  # 更新信息 by its menu number; she acts for two people
            Answers(
                UPDATE.who_prompt,
                item(1, UPDATE.person_self.format(name=mask_name(WOMAN_NAME))),
                item(2, UPDATE.person_proxy.format(name=mask_name(MAN_NAME), relation="配偶")),
            ),
            Sends("1"),
            Sends("居住情况"),
            Answers(UPDATE.status_prompt, item(1, moved)),
            DoesNotAnswer(died),
            Sends("去世了"),
            Answers(UPDATE.pick_hint, UPDATE.status_prompt),
            Sends("取消"),
            Sends("更新信息"),
            Sends("2"),
            Sends("居住情况"),
            Answers(item(1, moved), item(2, died)),
            Sends("过世了"),
            Answers(
                UPDATE.confirm_prompt.format(name=mask_name(MAN_NAME), field="居住情况", value=died)
            ),
            Sends("是"),
            Exactly(UPDATE.pending),
            Stored(
                SelfReport,
                status="pending",
                field="residence_status",
                resident_id=registry.man,
                by_proxy=True,
                shown=died,
            ),
        ],
    )
    with Session(database) as session:
        report = session.exec(select(SelfReport)).one()
    assert SEALER.open_json(report.value_sealed) == "deceased"


def test_a_change_dropped_at_the_last_question_is_not_kept(
    database: Engine, registry: Registry
) -> None:
    bound(registry, OPENID, name=WOMAN_NAME, proof=WOMAN[-6:])
    run(
        chat_as(database),
        [
            Sends("更新信息"),
            Sends("居住情况"),
            Sends("1"),
            Sends("不提交"),
            Exactly(UPDATE.discarded),
            Stored(SelfReport, count=0),
        ],
    )


def test_whom_a_change_is_about_is_said_in_everyday_words(
    database: Engine, registry: Registry
) -> None:
    # She acts for herself and for her husband: 我自己, 老伴 or his name as typed all choose.
    bound(registry, OPENID, name=WOMAN_NAME, proof=WOMAN[-6:],
          proxy_for=(MAN_NAME, MAN[-6:], "spouse"))  # fmt: skip
    chat = chat_as(database)
    run(
        chat,
        [
            Sends("更新信息"),
            Answers(UPDATE.who_prompt),
            Sends("我自己"),
            Answers(UPDATE.what_prompt),
            Sends("返回"),
            Answers(UPDATE.who_prompt),
            Sends("我老伴"),
            Answers(UPDATE.what_prompt),
            Sends("返回"),
            Sends(MAN_NAME),
            Answers(UPDATE.what_prompt),
            Sends("手机号"),
            Sends(NEW_MOBILE),
            Answers(
                UPDATE.confirm_prompt.format(
                    name=mask_name(MAN_NAME), field="手机号", value=NEW_MOBILE
                )
            ),
            Sends("取消"),
            Sends("更新信息"),
            Sends("隔壁老王"),  # nobody she acts for: the hint and the same question
            Answers(UPDATE.pick_hint, UPDATE.who_prompt),
        ],
    )


def test_a_change_said_in_passing_goes_to_the_update_not_to_the_office_guide(
    database: Engine, registry: Registry
) -> None:
    # 号码 and 地址 are also the office guide's words; the longer phrase wins.
    bound(registry, OPENID, name=WOMAN_NAME, proof=WOMAN[-6:])
    run(
        chat_as(database),
        [
            Sends("我的手机号码换了"),
            Answers(UPDATE.mobile_prompt),
            Sends("取消"),
            Sends("我要改一下住址"),
            Answers(UPDATE.dwelling_prompt),
            Sends("取消"),
            Sends("你们的电话号码是多少"),  # still the office guide's
            DoesNotAnswer(UPDATE.mobile_prompt, UPDATE.what_prompt),
        ],
    )
