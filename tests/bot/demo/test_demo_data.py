"""`linli demo load` gives the demo a committee with buildings, staff to handle reports, and
residents in its registry."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.demo import data as demo_data
from config.content import load_content
from flows.identity import Clean, check_id_card
from store.db import unit_of_work
from store.places.models import Place
from store.registry import quality
from store.registry.models import Household, Resident, ResidentTag
from store.staff import accounts
from store.staff import accounts as staff
from tests.chat import SEALER, Answers, Sends, SendsLocation, open_chat, run
from tests.staff_helpers import NOW


def test_demo_data_loads_twice_without_doubling_and_its_accounts_sign_in(database: Engine) -> None:
    for _ in range(2):
        with unit_of_work(database) as session:
            accounts = demo_data.load(session, NOW)
    with unit_of_work(database) as session:
        assert session.exec(select(func.count()).select_from(Place)).one() == 8
        for username in accounts:
            assert staff.authenticate(session, username, demo_data.ACCOUNTS[0][3], NOW)
    # The simulator's resident finds a demo building.
    run(
        open_chat(database),
        [
            Sends("我要报事"),
            Sends("7"),
            Sends("楼道灯坏了"),
            Sends("二栋"),
            Answers("请发送现场照片"),
        ],
    )
    # … or by the simulator's 3栋 location button.
    chat = open_chat(database)
    chat.openid = "demo-li"
    run(
        chat,
        [
            Sends("我要报事"),
            Sends("7"),
            Sends("路灯不亮"),
            SendsLocation(23.1296, 113.2651, "3栋"),
            Sends("没有"),
            Answers("地点：3栋"),
        ],
    )


def test_demo_residents_are_added_once_with_sealed_numbers_and_a_few_findings(
    database: Engine, content_dir: Path
) -> None:
    for expected in (demo_data.RESIDENTS, 0):  # the second run adds nobody
        with unit_of_work(database) as session:
            demo_data.load(session, NOW)
            assert demo_data.load_residents(session, SEALER, NOW) == expected
    with Session(database) as session:
        residents = session.exec(select(Resident)).all()
        assert len(residents) == demo_data.RESIDENTS
        assert session.exec(select(func.count()).select_from(Household)).one() > 50
        assert session.exec(select(func.count()).select_from(ResidentTag)).one() > 10
        committee = accounts.committees_named(session, demo_data.COMMITTEE)[0]
        rules = load_content(content_dir).registry.quality
        found = quality.findings(
            session, SEALER, committee_id=committee.id or 0, rules=rules, now=NOW
        )
        every_id = [SEALER.open(r.id_card_sealed) for r in residents if r.id_card_sealed]
    # Valid check digits: every ID number is taken back as it is.
    assert len(every_id) == demo_data.RESIDENTS - 1  # one deliberately bare row
    assert all(check_id_card(n) == Clean(n) for n in every_id)
    assert all(r.committee_id == committee.id for r in residents)
    assert {f.kind for f in found} == {
        "shared_mobile",
        "placeholder",
        "missing",
        "too_old",
        "unconfirmed",
    }
    assert len(found) < 12  # a few flawed rows, not a flawed registry
