"""store/binding/bindings.py: a WeChat user binds to their own registry row by name and the end
of their ID number or their mobile; every failure looks the same, tries are limited a day, and a
family member's request waits for staff, telling the requester nothing before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from store.binding import bindings
from store.binding.bindings import BindResult
from store.binding.models import BindAttempt, ResidentBinding
from store.db import unit_of_work
from store.errors import Refused
from store.registry.history import Source
from store.registry.residents import add_resident, update_field
from store.sealing import Sealer
from store.staff.models import AuditEntry, StaffUser
from tests.chat import DATA_KEY, SEALER
from tests.flows.test_identity import valid_id
from tests.resident_helpers import MAN_MOBILE, NOW, WOMAN, WOMAN_MOBILE, Registry
from tests.staff_helpers import create_staff
from tests.store.binding.conftest import SINCE, as_staff

FAILED = BindResult("failed")


class CountingSealer(Sealer):
    """The tests' Sealer, counting how often a sealed value is opened."""

    def __init__(self) -> None:
        super().__init__(DATA_KEY)
        self.opened = 0

    def open(self, sealed: str) -> str:
        self.opened += 1
        return super().open(sealed)


@contextmanager
def counted(database: Engine) -> Iterator[list[str]]:
    """The statements the database runs inside the block."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(database, "before_cursor_execute", record)


def bind(database: Engine, openid: str, name: str, proof: str, *, limit: int = 5,
         name_limit: int = 10, since: Any = SINCE,
         sealer: Sealer = SEALER) -> BindResult:  # fmt: skip
    with unit_of_work(database) as session:
        return bindings.bind_self(session, sealer, openid=openid, name=name, proof=proof,
                                  now=NOW, since=since, limit=limit,
                                  name_limit=name_limit)  # fmt: skip


def ask_for(database: Engine, openid: str, name: str, proof: str, *, limit: int = 5,
            name_limit: int = 10, sealer: Sealer = SEALER,
            relation: str = "child") -> BindResult:  # fmt: skip
    with unit_of_work(database) as session:
        return bindings.request_proxy(
            session, sealer, openid=openid, name=name, proof=proof, relation=relation, now=NOW,
            since=SINCE, limit=limit, name_limit=name_limit,
        )  # fmt: skip


def attempts(database: Engine, openid: str) -> list[tuple[str, bool, str]]:
    with Session(database) as session:
        query = select(BindAttempt).where(BindAttempt.openid == openid)
        rows = session.exec(query.order_by(col(BindAttempt.id)))
        return [(a.kind, a.matched, a.reason) for a in rows]


def binding(database: Engine, binding_id: int | None) -> ResidentBinding:
    with Session(database) as session:
        found = session.get(ResidentBinding, binding_id)
        assert found is not None
        return found


def people(database: Engine, openid: str) -> list[tuple[int, str]]:
    with Session(database) as session:
        return [(p.resident_id, p.kind) for p in bindings.people_of(session, openid)]


def test_a_resident_binds_with_the_end_of_their_id_number_typed_in_lower_case(
    registry: Registry,
) -> None:
    number = valid_id("44010619480520008")  # ends in X
    with unit_of_work(registry.database) as session:
        elder = add_resident(session, SEALER, committee_id=registry.committee_id,
                             values={"name": "李淑珍", "id_card": number},
                             source=Source.staff(1), now=NOW).id  # fmt: skip
    assert number.endswith("X")
    result = bind(registry.database, "o-elder", " 李淑珍 ", number[-6:].lower())
    assert result.status == "bound" and result.resident_id == elder
    assert people(registry.database, "o-elder") == [(elder, "self")]
    again = bind(registry.database, "o-elder", "李淑珍", number[-6:])
    assert again == result  # asking twice binds once
    assert attempts(registry.database, "o-elder") == [("self", True, "matched")] * 2


def test_a_resident_binds_with_their_mobile(registry: Registry) -> None:
    result = bind(registry.database, "o-man", "王建国", f"+86 {MAN_MOBILE}")
    assert result.status == "bound" and result.resident_id == registry.man
    assert bind(registry.database, "o-other", "王建国", WOMAN_MOBILE) == FAILED


def test_every_failure_answers_the_same_and_only_staff_see_why(registry: Registry) -> None:
    with unit_of_work(registry.database) as session:  # a namesake of 西湖 with the same mobile
        west = registry.stranger.committee_id or 0
        add_resident(session, SEALER, committee_id=west, values={
            "name": "张秀英", "mobile": WOMAN_MOBILE}, source=Source.staff(1), now=NOW)  # fmt: skip
    bind(registry.database, "o-man", "王建国", MAN_MOBILE)
    tries = [
        ("李四", WOMAN[-6:]),  # nobody has the name
        ("张秀英", "000000"),  # the name, with a wrong proof
        ("张秀英", "12345"),  # not a proof at all
        ("张小明", WOMAN[-6:]),  # someone else's number
        ("张秀英", WOMAN_MOBILE),  # two people of the name share the mobile
        ("王建国", MAN_MOBILE),  # already bound by another WeChat user
    ]
    results = [
        bind(registry.database, "o-stranger", name, proof, limit=10) for name, proof in tries
    ]
    assert results == [FAILED] * len(tries)
    assert [reason for _, _, reason in attempts(registry.database, "o-stranger")] == [
        "no_match", "no_match", "no_match", "no_match", "several", "bound_elsewhere",
    ]  # fmt: skip
    assert people(registry.database, "o-stranger") == []


def test_a_name_nobody_has_costs_what_a_wrong_proof_costs(registry: Registry) -> None:
    sealer = CountingSealer()
    with counted(registry.database) as existing:
        assert bind(registry.database, "o-1", "张秀英", "000000", sealer=sealer) == FAILED
    opened_existing, sealer.opened = sealer.opened, 0
    with counted(registry.database) as nobody:
        assert bind(registry.database, "o-2", "李四", "000000", sealer=sealer) == FAILED
    assert nobody == existing  # the same statements, in the same order
    assert sealer.opened == opened_existing == 1
    # A family member's request costs the same whether or not the person exists.
    sealer.opened = 0
    with counted(registry.database) as matched:
        assert ask_for(registry.database, "o-3", "张秀英", WOMAN_MOBILE, sealer=sealer).status \
            == "requested"  # fmt: skip
    opened_matched, sealer.opened = sealer.opened, 0
    with counted(registry.database) as unmatched:
        assert ask_for(registry.database, "o-4", "李四", WOMAN_MOBILE, sealer=sealer).status \
            == "requested"  # fmt: skip
    assert unmatched == matched and sealer.opened == opened_matched == 1


def test_tries_are_limited_a_day_whatever_their_kind(registry: Registry) -> None:
    db = registry.database
    assert ask_for(db, "o-x", "李四", "000000", limit=3).status == "requested"
    assert bind(db, "o-x", "张秀英", "000000", limit=3) == FAILED
    assert bind(db, "o-x", "张秀英", "111111", limit=3) == FAILED
    # The right answer, over the limit: not even looked at.
    assert bind(db, "o-x", "张秀英", WOMAN[-6:], limit=3) == BindResult("limited")
    assert ask_for(db, "o-x", "张秀英", WOMAN[-6:], limit=3) == BindResult("limited")
    assert people(db, "o-x") == []
    assert [r for *_, r in attempts(db, "o-x")][-2:] == ["limited", "limited"]
    tomorrow = SINCE + timedelta(days=1)
    with unit_of_work(db) as session:
        result = bindings.bind_self(session, SEALER, openid="o-x", name="张秀英",
                                    proof=WOMAN[-6:], now=tomorrow + timedelta(hours=1),
                                    since=tomorrow, limit=3)  # fmt: skip
    assert result.status == "bound"


def test_a_name_gets_only_so_many_failed_tries_a_day_from_everyone(registry: Registry) -> None:
    # The end of an ID number is the day of birth plus four characters every mask shows: about
    # 31 guesses find it, so many WeChat users guessing together are stopped by the name's cap.
    db = registry.database
    for n, name in enumerate(("张秀英", " 张秀英 ", "张秀英")):
        assert bind(db, f"o-guess-{n}", name, f"{n + 1:02d}1234", name_limit=3) == FAILED
    with counted(db) as existing:
        assert bind(db, "o-guess-3", "张秀英", WOMAN[-6:], name_limit=3) == BindResult("limited")
    assert ask_for(db, "o-guess-4", "张秀英", WOMAN[-6:], name_limit=3) == BindResult("limited")
    assert people(db, "o-guess-3") == [] and people(db, "o-guess-4") == []
    # A name nobody has is capped alike, with the same statements: the cap tells nothing.
    for n in range(3):
        assert bind(db, f"o-other-{n}", "李四", f"{n + 1:02d}1234", name_limit=3) == FAILED
    with counted(db) as nobody:
        assert bind(db, "o-other-3", "李四", "001234", name_limit=3) == BindResult("limited")
    assert nobody == existing
    # Other names are not touched, and the next day the name may be tried again.
    assert bind(db, "o-man", "王建国", MAN_MOBILE, name_limit=3).status == "bound"
    tomorrow = SINCE + timedelta(days=1)
    with unit_of_work(db) as session:
        result = bindings.bind_self(session, SEALER, openid="o-woman", name="张秀英",
                                    proof=WOMAN[-6:], now=tomorrow + timedelta(hours=1),
                                    since=tomorrow, limit=5, name_limit=3)  # fmt: skip
    assert result.status == "bound"
    # The name is kept only as a keyed hash, told apart from the registry's look-up hashes.
    with Session(db) as session:
        hashes = {a.name_hash for a in session.exec(select(BindAttempt))}
    assert "张秀英" not in str(hashes) and SEALER.lookup_hash("张秀英") not in hashes


def test_tries_refused_for_one_user_do_not_spend_the_names_tries(registry: Registry) -> None:
    db = registry.database
    assert bind(db, "o-x", "张秀英", "001234", limit=1, name_limit=2) == FAILED
    for _ in range(3):
        assert bind(db, "o-x", "张秀英", "001234", limit=1, name_limit=2) == BindResult("limited")
    assert bind(db, "o-woman", "张秀英", WOMAN[-6:], name_limit=2).status == "bound"


def test_a_deceased_resident_binds_nobody(registry: Registry) -> None:
    with unit_of_work(registry.database) as session:
        update_field(session, SEALER, committee_id=registry.committee_id,
                     resident_id=registry.woman, field="residence_status", value="deceased",
                     source=Source.staff(1), now=NOW)  # fmt: skip
    assert bind(registry.database, "o-woman", "张秀英", WOMAN[-6:]) == FAILED
    request = ask_for(registry.database, "o-son", "张秀英", WOMAN_MOBILE)
    assert request.status == "requested"
    assert binding(registry.database, request.binding_id).resident_id is None
    assert [r for *_, r in attempts(registry.database, "o-woman")] == ["no_match"]


def test_two_users_binding_as_one_resident_at_once_bind_only_one(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another WeChat user's bind as 张秀英 commits between this one's look and its insert.
    looked = bindings._selves

    def meanwhile(session: Session, resident_id: int, openid: str) -> list[ResidentBinding]:
        found = looked(session, resident_id, openid)
        session.connection().execute(insert(ResidentBinding), {
            "openid": "o-first", "resident_id": resident_id, "kind": "self", "status": "active",
            "requested_at": NOW, "decided_at": NOW,
        })  # fmt: skip
        return found

    earlier = bind(registry.database, "o-late", "王建国", MAN_MOBILE)
    monkeypatch.setattr(bindings, "_selves", meanwhile)
    assert bind(registry.database, "o-late", "张秀英", WOMAN[-6:]) == FAILED
    monkeypatch.undo()
    assert [r for *_, r in attempts(registry.database, "o-late")] == [
        "matched", "bound_elsewhere"]  # fmt: skip
    with Session(registry.database) as session:
        acting = bindings.acting_for(session, registry.woman)
    assert [(b.openid, b.kind, b.status) for b in acting] == [("o-first", "self", "active")]
    # The bind that lost changed nothing: its user is still bound as before.
    assert people(registry.database, "o-late") == [(registry.man, "self")]
    assert binding(registry.database, earlier.binding_id).status == "active"


def test_binding_as_someone_else_ends_the_earlier_self_binding(registry: Registry) -> None:
    first = bind(registry.database, "o-1", "张秀英", WOMAN[-6:])
    bind(registry.database, "o-1", "王建国", MAN_MOBILE)
    assert people(registry.database, "o-1") == [(registry.man, "self")]
    assert binding(registry.database, first.binding_id).status == "ended"
    # 张秀英 is free again for her own WeChat.
    assert bind(registry.database, "o-2", "张秀英", WOMAN[-6:]).status == "bound"


def test_a_proxy_request_answers_requested_whether_or_not_anyone_matched(
    registry: Registry,
) -> None:
    matched = ask_for(registry.database, "o-son", "张秀英", WOMAN[-6:])
    unmatched = ask_for(registry.database, "o-son", "李 四", "123456")
    assert (matched.status, unmatched.status) == ("requested", "requested")
    assert matched.resident_id is None and unmatched.resident_id is None
    found, nobody = binding(registry.database, matched.binding_id), binding(
        registry.database, unmatched.binding_id)  # fmt: skip
    assert (found.status, found.kind, found.resident_id, found.relation) == (
        "pending", "proxy", registry.woman, "child")  # fmt: skip
    assert found.committee_id == registry.committee_id
    assert (nobody.status, nobody.resident_id, nobody.given_name) == ("pending", None, "李 四")
    assert attempts(registry.database, "o-son") == [
        ("proxy", True, "matched"), ("proxy", False, "no_match")]  # fmt: skip
    # Asking again for the same person adds no second request.
    assert ask_for(registry.database, "o-son", "张秀英", WOMAN_MOBILE) == matched
    assert people(registry.database, "o-son") == []  # nothing to see before approval


def test_asking_again_for_a_name_changes_the_waiting_request_matched_or_not(
    registry: Registry,
) -> None:
    db = registry.database
    first = ask_for(db, "o-son", "张秀英", "001234")  # a wrong proof: nobody matched
    with counted(db) as unmatched:
        again = ask_for(db, "o-son", " 张秀英", "112233")
    with counted(db) as matched:
        right = ask_for(db, "o-son", "张秀英", WOMAN[-6:], relation="grandchild")
    assert first == again == right == BindResult("requested", first.binding_id)
    assert matched == unmatched  # a repeated request costs the same whether or not it matched
    # What was said last counts: staff see one request, for 张秀英, as a grandchild.
    with as_staff(db, registry.clerk) as (session, scope, _):
        waiting = bindings.pending_proxies(session, scope)
        assert [(b.id, b.resident_id, b.relation) for b in waiting] == [
            (first.binding_id, registry.woman, "grandchild")]  # fmt: skip
    # A request for someone else is a request of its own.
    assert ask_for(db, "o-son", "王建国", MAN_MOBILE).binding_id != first.binding_id


def test_asking_again_after_an_approval_leaves_the_person_listed_once(registry: Registry) -> None:
    first = ask_for(registry.database, "o-son", "张秀英", WOMAN[-6:])
    _decide(registry, registry.clerk, first.binding_id, approve=True)
    again = ask_for(registry.database, "o-son", "张秀英", WOMAN_MOBILE)
    assert again.binding_id != first.binding_id  # the approved one no longer waits
    _decide(registry, registry.clerk, again.binding_id, approve=True)
    assert people(registry.database, "o-son") == [(registry.woman, "proxy")]
    assert binding(registry.database, first.binding_id).status == "ended"


def _decide(registry: Registry, who: StaffUser, binding_id: int | None, *, approve: bool,
            reason: str = "") -> ResidentBinding:  # fmt: skip
    with as_staff(registry.database, who) as (session, scope, actor):
        return bindings.decide_proxy(session, binding_id=binding_id or 0, approve=approve,
                                     reason=reason, actor=actor, now=NOW, scope=scope)  # fmt: skip


def _audit(database: Engine, action: str) -> list[AuditEntry]:
    with Session(database) as session:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return list(session.exec(query.order_by(col(AuditEntry.id))))


def test_staff_approve_a_proxy_once_and_the_proxy_then_sees_the_person(
    registry: Registry,
) -> None:
    request = ask_for(registry.database, "o-son", "张秀英", WOMAN[-6:])
    with as_staff(registry.database, registry.clerk) as (session, scope, _):
        assert [b.id for b in bindings.pending_proxies(session, scope)] == [request.binding_id]
    decided = _decide(registry, registry.clerk, request.binding_id, approve=True)
    assert (decided.status, decided.decided_by) == ("active", registry.clerk.id)
    assert people(registry.database, "o-son") == [(registry.woman, "proxy")]
    [entry] = _audit(registry.database, "binding.approve")
    assert (entry.actor_id, entry.object_id, entry.committee_id) == (
        registry.clerk.id, str(request.binding_id), registry.committee_id)  # fmt: skip
    assert entry.before == {"status": "pending"} and entry.after is not None
    assert entry.after["status"] == "active"
    with pytest.raises(Refused) as twice:
        _decide(registry, registry.clerk, request.binding_id, approve=False, reason="弄错了")
    assert (twice.value.code, twice.value.conflict) == ("not_pending", True)
    assert binding(registry.database, request.binding_id).status == "active"
    with as_staff(registry.database, registry.clerk) as (session, scope, _):
        assert bindings.pending_proxies(session, scope) == []


def test_a_rejection_needs_a_reason_which_is_kept_and_audited(registry: Registry) -> None:
    request = ask_for(registry.database, "o-son", "张秀英", WOMAN[-6:])
    with pytest.raises(Refused) as bare:
        _decide(registry, registry.clerk, request.binding_id, approve=False, reason="  ")
    assert bare.value.code == "reason_missing"
    rejected = _decide(registry, registry.clerk, request.binding_id, approve=False,
                       reason="核实不到亲属关系，请到居委会 13812345678 办理")  # fmt: skip
    assert rejected.status == "rejected" and rejected.reason is not None
    # A number typed into the reason is kept only masked.
    assert rejected.reason == "核实不到亲属关系，请到居委会 138****5678 办理"
    [entry] = _audit(registry.database, "binding.reject")
    assert entry.after is not None and entry.after["reason"] == rejected.reason
    assert people(registry.database, "o-son") == []


def test_other_committees_and_unmatched_requests(registry: Registry, admin: StaffUser) -> None:
    matched = ask_for(registry.database, "o-son", "张秀英", WOMAN[-6:])
    nobody = ask_for(registry.database, "o-x", "李四", "123456")
    with pytest.raises(Refused) as elsewhere:
        _decide(registry, registry.stranger, matched.binding_id, approve=True)
    assert elsewhere.value.code == "binding_unknown"
    # Two committees: a request that matched nobody belongs to neither, so only the admin sees it.
    with as_staff(registry.database, registry.clerk) as (session, scope, _):
        assert [b.id for b in bindings.pending_proxies(session, scope)] == [matched.binding_id]
    with as_staff(registry.database, admin) as (session, scope, _):
        assert [b.id for b in bindings.pending_proxies(session, scope)] == [
            matched.binding_id, nobody.binding_id]  # fmt: skip
    with pytest.raises(Refused) as unmatched:
        _decide(registry, admin, nobody.binding_id, approve=True)
    assert unmatched.value.code == "unmatched"
    assert _decide(registry, admin, nobody.binding_id, approve=False,
                   reason="查无此人").status == "rejected"  # fmt: skip


def test_with_two_sub_districts_no_admin_sees_a_request_of_no_committee(
    registry: Registry, admin: StaffUser
) -> None:
    # A district-wide account: an unmatched request cannot be told apart by sub-district, so
    # neither admin sees it (nor can accept it into their own committees).
    other = create_staff(registry.database, "other-admin", role="subdistrict_admin",
                         committee=None, district="别的街道")  # fmt: skip
    nobody = ask_for(registry.database, "o-x", "李四", "123456")
    for who in (admin, other):
        with as_staff(registry.database, who) as (session, scope, _):
            assert nobody.binding_id not in [b.id for b in bindings.pending_proxies(session, scope)]
    with pytest.raises(Refused) as refused:
        _decide(registry, other, nobody.binding_id, approve=False, reason="查无此人")
    assert refused.value.code == "binding_unknown"


@pytest.mark.postgres_only
def test_a_decision_holds_the_request_until_it_commits(postgres: Engine) -> None:
    from tests.resident_helpers import build_registry

    registry = build_registry(postgres)
    request = ask_for(postgres, "o-son", "张秀英", WOMAN[-6:])
    with as_staff(postgres, registry.clerk) as (session, scope, actor):
        bindings.decide_proxy(session, binding_id=request.binding_id or 0, approve=True,
                              reason="", actor=actor, now=NOW, scope=scope)  # fmt: skip
        with Session(postgres) as other:
            other.exec(text("SET LOCAL lock_timeout = '50ms'"))  # type: ignore[call-overload]
            with pytest.raises(OperationalError, match="lock"):
                bindings.decide_proxy(other, binding_id=request.binding_id or 0, approve=False,
                                      reason="重复", actor=actor, now=NOW, scope=scope)  # fmt: skip
    assert binding(postgres, request.binding_id).status == "active"


def test_people_of_lists_only_active_bindings_self_first(registry: Registry) -> None:
    mother = ask_for(registry.database, "o-son", "张秀英", WOMAN[-6:])
    father = ask_for(registry.database, "o-son", "王建国", MAN_MOBILE)
    ask_for(registry.database, "o-son", "张小明", "000000")  # stays pending
    _decide(registry, registry.clerk, father.binding_id, approve=True)
    _decide(registry, registry.clerk, mother.binding_id, approve=True)
    assert people(registry.database, "o-son") == [
        (registry.woman, "proxy"),
        (registry.man, "proxy"),
    ]
    with Session(registry.database) as session:
        assert len(bindings.bindings_of(session, "o-son")) == 3  # the pending one too
    with unit_of_work(registry.database) as session:
        assert bindings.unbind(session, openid="o-son", binding_id=mother.binding_id or 0,
                               now=NOW)  # fmt: skip
    assert people(registry.database, "o-son") == [(registry.man, "proxy")]
    own = bind(registry.database, "o-son", "张秀英", WOMAN[-6:])
    assert people(registry.database, "o-son") == [(registry.woman, "self"), (registry.man, "proxy")]
    with Session(registry.database) as session:
        acting = bindings.acting_for(session, registry.woman)
    assert [(b.kind, b.status, b.id) for b in acting] == [("self", "active", own.binding_id)]


def test_a_user_ends_only_their_own_bindings(registry: Registry) -> None:
    mine = bind(registry.database, "o-woman", "张秀英", WOMAN[-6:])
    with unit_of_work(registry.database) as session:
        assert not bindings.unbind(session, openid="o-stranger", binding_id=mine.binding_id or 0,
                                   now=NOW)  # fmt: skip
        assert not bindings.unbind(session, openid="o-woman", binding_id=9999, now=NOW)
    assert binding(registry.database, mine.binding_id).status == "active"
    with unit_of_work(registry.database) as session:
        assert bindings.unbind(session, openid="o-woman", binding_id=mine.binding_id or 0, now=NOW)
        assert not bindings.unbind(session, openid="o-woman", binding_id=mine.binding_id or 0,
                                   now=NOW)  # fmt: skip
    ended = binding(registry.database, mine.binding_id)
    assert (ended.status, ended.ended_at) == ("ended", NOW)
    assert people(registry.database, "o-woman") == []


def test_staff_see_who_keeps_failing_today(registry: Registry, admin: StaffUser) -> None:
    for proof in ("000000", "111111", "222222"):
        bind(registry.database, "o-guesser", "张秀英", proof)
    bind(registry.database, "o-typo", "张秀英", "000000")
    bind(registry.database, "o-typo", "张秀英", WOMAN[-6:])
    with as_staff(registry.database, admin) as (session, scope, _):
        found = bindings.failures(session, scope, since=SINCE, at_least=2)
        later = bindings.failures(session, scope, since=NOW + timedelta(seconds=1), at_least=1)
    assert [(f.openid, f.failed, f.last_at, f.last_reason) for f in found] == [
        ("o-guesser", 3, NOW, "no_match")]  # fmt: skip
    assert later == []
