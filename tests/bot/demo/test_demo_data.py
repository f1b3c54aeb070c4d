"""`linli demo load` gives the demo a committee with buildings and staff to handle reports."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import func, select

from bot.demo import data as demo_data
from store.db import unit_of_work
from store.places.models import Place
from store.staff import accounts as staff
from tests.chat import Answers, Sends, SendsLocation, open_chat, run
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
