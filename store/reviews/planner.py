"""The daily review planner, set-based: every statement handles all residents of a programme at
once (one INSERT … SELECT creates a cycle's records, one per stage queues its reminders), so
200,000 due residents plan in seconds and a second run the same day changes nothing.

A run: create the records of windows open today (eligibility decided in SQL: gender, age,
tags, residence status, still living here), close the open records of residents who moved out
or died, mark the open records past their closing day overdue, queue each programme's latest
reminder stage due today (to the resident's own WeChat, else their oldest approved proxy; never
to one who stopped the reminders), and move the reminded records from due to reminded. Records
whose resident nobody in WeChat can be written to stay due: they are the call list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Integer,
    String,
    Text,
    and_,
    case,
    cast,
    column,
    exists,
    extract,
    func,
    literal,
    null,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from config.review_content import Programme, ReviewCatalogue
from store.binding.models import ACTIVE, PROXY, SELF, ResidentBinding
from store.campaigns.audience import LEFT_OUT, staying
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.registry.models import Resident, ResidentTag
from store.reviews import opt_outs
from store.reviews.calendar import Opening, openings
from store.reviews.models import (
    BOOKED,
    DUE,
    MOVED_AWAY,
    OPEN,
    OVERDUE,
    PLANNER,
    REMINDED,
    SELF_REPORTED,
    ReviewRecord,
    ReviewTransition,
)
from store.staff.models import Committee
from store.types import UTCDateTime
from store.upsert import dialect_of, insert_for

KIND = "review_reminder"  # notifications.yaml routes it
OPENS, CLOSING, OVERDUE_STAGE = "opens", "closing", "overdue"


@dataclass(frozen=True)
class Planned:
    """What one run did."""

    created: int = 0
    moved_away: int = 0
    overdue: int = 0
    reminders: int = 0  # messages queued
    reminded: int = 0  # records moved from due to reminded
    by_stage: dict[str, int] = field(default_factory=dict)  # messages per stage key


@dataclass(frozen=True)
class Stage:
    """One reminder of a cycle: its key (opens, closing-14, closing-3, overdue: the record's
    last_stage once sent, and the end of the message's idempotency key), its letter, and when
    a record is due for it (SQL on ReviewRecord for the local day)."""

    key: str
    letter: str
    due: Any


def stage_name(key: str | None) -> str | None:
    """The stage a key counts as (opens, closing, overdue): _reviews.yaml `stages` names it."""
    return key.split("-", 1)[0] if key else None


def key_of(record_id: Any, stage_key: Any) -> Any:
    """The outbox idempotency key of a record's stage, as SQL: review:<record id>:<stage>
    (`stage_key` a stage's key, or a column holding one)."""
    stage = literal(stage_key, String()) if isinstance(stage_key, str) else stage_key
    return literal("review:", String()) + cast(record_id, String()) + literal(":") + stage


def recipient(resident_id: Any) -> Any:
    """SQL: whom to write to about a resident: their own active binding's openid, else their
    oldest active proxy's; NULL when nobody (store.campaigns.service.reachable, in SQL)."""
    binding = aliased(ResidentBinding)
    return (
        select(binding.openid)
        .where(binding.resident_id == resident_id, binding.status == ACTIVE,
               col(binding.kind).in_((SELF, PROXY)))
        .order_by(case((binding.kind == SELF, 0), else_=1), binding.id)
        .limit(1)
        .scalar_subquery()
    )  # fmt: skip


def recipients() -> Any:
    """SQL: every resident someone can be written to about, with whom (`first` = 1 marks the
    one to use: their own active binding, else their oldest active proxy), for joins over many
    records at once."""
    order = (case((ResidentBinding.kind == SELF, 0), else_=1), ResidentBinding.id)
    first = func.row_number().over(partition_by=ResidentBinding.resident_id, order_by=order)
    return (
        select(ResidentBinding.resident_id, ResidentBinding.openid, first.label("first"))
        .where(ResidentBinding.status == ACTIVE, col(ResidentBinding.kind).in_((SELF, PROXY)),
               col(ResidentBinding.resident_id).is_not(None))
        .subquery("reach")
    )  # fmt: skip


def _month_day(day: Any) -> Any:
    """SQL: month*100+day of a date (the calendar's anchor)."""
    return cast(extract("month", day), Integer) * 100 + cast(extract("day", day), Integer)


def _count(session: Session, statement: Any) -> int:
    """Run a statement; how many rows it wrote (an INSERT … SELECT's too)."""
    return int(session.execute(statement.execution_options(preserve_rowcount=True)).rowcount)


def _at(now: datetime) -> Any:
    return literal(now, UTCDateTime())


# -- creating records --------------------------------------------------------------------------


def _sql_literal(value: int | date, dialect: str) -> str:
    """A number or a day written into SQL (only ever the calendar's own ints and dates)."""
    if isinstance(value, date):
        return (
            f"DATE '{value.isoformat()}'" if dialect == "postgresql" else f"'{value.isoformat()}'"
        )
    return str(int(value))


def _windows(session: Session, programme: Programme, found: list[Opening]) -> Any:
    """The day's open windows as a derived table: SELECT … FROM (VALUES …), which both
    databases read. Up to 367 rows of the calendar's own numbers and days, written as literals:
    as bound parameters each row costs more to compile than the whole statement to run."""
    columns = [column("cycle", Integer), column("opens_on", Date)]
    if not programme.window.open_ended:
        columns.append(column("closes_on", Date))
    if programme.window.kind != "fixed":
        columns += [column("anchor", Integer), column("anchor_on", Date)]
    for n, rule in enumerate(programme.eligibility.ages):
        if rule.min_age is not None:
            columns.append(column(f"youngest{n}", Date))
        if rule.max_age is not None:
            columns.append(column(f"oldest{n}", Date))
    names = [c.name for c in columns]
    dialect = dialect_of(session)
    rows = []
    for opening in found:
        row: dict[str, Any] = {"cycle": opening.cycle, "opens_on": opening.opens_on,
                               "closes_on": opening.closes_on, "anchor": opening.anchor,
                               "anchor_on": opening.anchor_on}  # fmt: skip
        for n, cutoff in enumerate(opening.cutoffs):
            row[f"youngest{n}"], row[f"oldest{n}"] = cutoff.born_on_or_before, cutoff.born_after
        rows.append("(" + ", ".join(_sql_literal(row[name], dialect) for name in names) + ")")
    named = ", ".join(f"column{n + 1} AS {name}" for n, name in enumerate(names))
    table = text(f"SELECT {named} FROM (VALUES {', '.join(rows)}) AS opened")
    return table.columns(*columns).subquery("window_open")


def _born_between(found: list[Opening]) -> list[Any]:
    """SQL: the dates of birth any of the day's windows can take, as plain bounds, so residents
    too young or too old for all of them are left out before they are joined to the windows."""
    cutoffs = [c for opening in found for c in opening.cutoffs]
    born, where = col(Resident.birth_date), []
    if cutoffs and all(c.born_on_or_before for c in cutoffs):
        where.append(born <= max(c.born_on_or_before for c in cutoffs if c.born_on_or_before))
    if cutoffs and all(c.born_after for c in cutoffs):
        where.append(born > min(c.born_after for c in cutoffs if c.born_after))
    return where


def _eligible(programme: Programme, window: Any) -> list[Any]:
    """SQL conditions on Resident for the programme (the window's age cutoffs)."""
    rules = programme.eligibility
    where = [staying()]
    if rules.residence_status:
        where.append(col(Resident.residence_status).in_(rules.residence_status))
    for tag in rules.tags:
        where.append(exists().where(ResidentTag.resident_id == Resident.id, ResidentTag.tag == tag))
    if rules.ages:
        born = col(Resident.birth_date)
        either = []
        for n, rule in enumerate(rules.ages):
            parts = [true()]
            if rule.gender is not None:
                parts.append(Resident.gender == rule.gender)
            if rule.min_age is not None:
                parts.append(born <= window.c[f"youngest{n}"])
            if rule.max_age is not None:
                parts.append(born > window.c[f"oldest{n}"])
            either.append(and_(*parts))
        where += [born.is_not(None), or_(*either)]
    return where


def _create(session: Session, programme: Programme, found: list[Opening], now: datetime) -> int:
    """One INSERT … SELECT: a due record for each eligible resident in a window open today
    (one already there is kept as it is)."""
    window = _windows(session, programme, found)
    closes = null() if programme.window.open_ended else window.c.closes_on
    chosen = select(
        literal(programme.key, String()), window.c.cycle, Resident.id, Resident.committee_id,
        literal(DUE, String()), window.c.opens_on, closes, _at(now), _at(now),
    ).select_from(Resident)  # fmt: skip
    kind = programme.window.kind
    if kind == "fixed":
        chosen = chosen.join(window, true())
    elif kind == "birthday":
        born = col(Resident.birth_date)
        chosen = chosen.join(
            window, and_(_month_day(born) == window.c.anchor, born < window.c.anchor_on)
        )
    else:
        certificate = aliased(ResidentTag)
        issued = col(certificate.certificate_date)
        chosen = chosen.join(
            certificate,
            and_(certificate.resident_id == Resident.id, certificate.tag == programme.window.tag),
        ).join(window, and_(_month_day(issued) == window.c.anchor, issued < window.c.anchor_on))
    chosen = chosen.where(*_eligible(programme, window), *_born_between(found))
    names = ["programme", "cycle", "resident_id", "committee_id", "state", "opens_on",
             "closes_on", "created_at", "updated_at"]  # fmt: skip
    statement = (
        insert_for(session, ReviewRecord)
        .from_select(names, chosen)
        .on_conflict_do_nothing(index_elements=["programme", "cycle", "resident_id"])
    )
    # The records this statement creates are the ones numbered after the last one before it.
    last = session.execute(select(func.max(ReviewRecord.id))).scalar_one() or 0
    created = _count(session, statement)
    if created:
        record = aliased(ReviewRecord)
        started = select(
            record.id, literal(DUE, String()), _at(now), literal(PLANNER, String()),
            literal("", String()),
        ).where(record.id > last, record.programme == programme.key,
                record.created_at == _at(now))  # fmt: skip
        session.execute(
            insert_for(session, ReviewTransition).from_select(
                ["record_id", "to_state", "at", "actor_kind", "note"], started
            )
        )
    return created


# -- moving records in sets --------------------------------------------------------------------


def _move_all(session: Session, where: list[Any], to_state: str, now: datetime) -> int:
    """Move every record matching `where` to a state, with a transition row each."""
    record = aliased(ReviewRecord)
    moved = select(
        record.id, record.state, literal(to_state, String()), _at(now),
        literal(PLANNER, String()), literal("", String()),
    ).where(*[clause(record) for clause in where])  # fmt: skip
    session.execute(
        insert_for(session, ReviewTransition).from_select(
            ["record_id", "from_state", "to_state", "at", "actor_kind", "note"], moved
        )
    )
    statement = (
        update(ReviewRecord)
        .where(*[clause(ReviewRecord) for clause in where])
        .values(state=to_state, updated_at=now)
    )
    return _count(session, statement)


def _moved_away(session: Session, now: datetime) -> int:
    """Records not yet closed (booked and self-reported too) of residents who moved out or died:
    moved away; their booked places are freed by visits.release_closed."""
    left = select(Resident.id).where(col(Resident.residence_status).in_(LEFT_OUT))
    still = (*OPEN, BOOKED, SELF_REPORTED)
    where = [lambda r: col(r.state).in_(still), lambda r: col(r.resident_id).in_(left)]
    return _move_all(session, where, MOVED_AWAY, now)


def _overdue(session: Session, today: date, now: datetime) -> int:
    """Due or reminded records whose closing day has passed: overdue."""
    where = [lambda r: col(r.state).in_((DUE, REMINDED)), lambda r: col(r.closes_on) < today]
    return _move_all(session, where, OVERDUE, now)


# -- reminders ---------------------------------------------------------------------------------


def stages(programme: Programme, reviews: ReviewCatalogue, today: date) -> list[Stage]:
    """The programme's reminder stages in the order a cycle meets them. A record is due for one
    from its day until the next one's day (only the latest due stage is sent), once: while its
    last stage is an earlier one."""
    letters, reminders = reviews.words.letters, programme.reminders
    opens_on, closes_on = col(ReviewRecord.opens_on), col(ReviewRecord.closes_on)
    still_open = or_(closes_on.is_(None), closes_on >= today)
    found: list[tuple[str, str, Any]] = []
    if reminders.opens:
        letter = letters.opens_open if programme.window.open_ended else letters.opens
        found.append((OPENS, letter, and_(opens_on <= today, still_open)))
    for days in reminders.before_close:
        due = and_(closes_on <= today + timedelta(days=days), still_open)
        found.append((f"{CLOSING}-{days}", letters.closing, due))
    if reminders.overdue_after is not None:
        due = closes_on <= today - timedelta(days=reminders.overdue_after)
        found.append((OVERDUE_STAGE, letters.overdue, due))
    last = col(ReviewRecord.last_stage)
    made = []
    for n, (key, letter, due) in enumerate(found):
        earlier = [k for k, _, _ in found[:n]]
        not_sent = or_(last.is_(None), last.in_(earlier)) if earlier else last.is_(None)
        later = [~found[n + 1][2]] if n + 1 < len(found) else []
        made.append(Stage(key, letter, and_(due, *later, not_sent)))
    return made


def _how(programme: Programme, reviews: ReviewCatalogue) -> str:
    letters = reviews.words.letters
    if set(programme.ways) == {"online", "in_person"}:
        return letters.how_both
    return letters.how_online if "online" in programme.ways else letters.how_in_person


def _concat(parts: list[Any]) -> Any:
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + part
    return joined


def _date_text(label: str, day: Any) -> Any:
    """SQL: a date as labels.date writes it ("{year}年{month}月{day}日")."""
    parts: list[Any] = [literal("", String())]
    for words, name, _, _ in Formatter().parse(label):
        if words:
            parts.append(literal(words, String()))
        if name:
            parts.append(cast(cast(extract(name, day), Integer), String()))
    return _concat(parts)


def text_of(letter: str, programme: Programme, reviews: ReviewCatalogue, closes: Any) -> Any:
    """SQL: a stage's letter with the programme's name and how, and the record's closing day."""
    marker = "\x00"
    filled = letter.format(name=programme.name, how=_how(programme, reviews), closes=marker)
    pieces = filled.split(marker)
    parts: list[Any] = [literal(pieces[0], String())]
    for piece in pieces[1:]:
        parts += [_date_text(reviews.words.labels.date, closes), literal(piece, String())]
    return cast(_concat(parts), Text())


def _payload(session: Session, words: Any) -> Any:
    """SQL: {"text": t, "data": {"text": t}} (store.campaigns.service.payload_of)."""
    build = func.jsonb_build_object if dialect_of(session) == "postgresql" else func.json_object
    name = literal("text", String())
    return build(name, words, literal("data", String()), build(name, words))


def _waiting(session: Session, programme: Programme, found: list[Stage]) -> list[Stage]:
    """The stages some open record of the programme is due for today (one query): most runs
    find none, and skip the statements that would queue nothing."""
    if not found:
        return []
    base = [ReviewRecord.programme == programme.key, col(ReviewRecord.state).in_(OPEN)]
    flags = session.execute(select(*[exists().where(*base, s.due) for s in found])).one()
    return [stage for stage, flag in zip(found, flags, strict=True) if flag]


def _remind(
    session: Session, programme: Programme, reviews: ReviewCatalogue, stage: Stage, now: datetime
) -> tuple[int, int]:
    """One INSERT … SELECT queues a stage's message for each record due for it whose resident
    someone can be written to (and who has not stopped the reminders); then the records it
    reached are marked, due ones becoming reminded (a transition row each). How many messages,
    how many records became reminded."""
    due = [ReviewRecord.programme == programme.key, col(ReviewRecord.state).in_(OPEN), stage.due]
    # Whom to write to, looked up once a record by index (OFFSET 0 keeps the subquery whole,
    # so the look-up is not repeated for each use of it): records this transaction created have
    # no statistics yet, and a join planned for one row must not run once a row.
    found = (
        select(col(ReviewRecord.id).label("id"), ReviewRecord.committee_id,
               ReviewRecord.closes_on, recipient(ReviewRecord.resident_id).label("openid"))
        .where(*due)
        .offset(0)
        .subquery()
    )  # fmt: skip
    letter = text_of(stage.letter, programme, reviews, found.c.closes_on)
    rows = (
        select(
            key_of(found.c.id, stage.key), literal(outbox.RESIDENT, String()), found.c.openid,
            literal(KIND, String()), _payload(session, letter), literal(False),
            literal(outbox.PENDING, String()), literal(0, Integer()), _at(now), _at(now),
            found.c.committee_id, Committee.sub_district_id,
        )
        .join(Committee, Committee.id == found.c.committee_id)
        .where(found.c.openid.is_not(None),
               ~opt_outs.holds(found.c.openid, literal(programme.key, String())))
    )  # fmt: skip
    names = [
        "idempotency_key", "audience", "recipient", "kind", "payload", "urgent", "status",
        "attempts", "next_attempt_at", "created_at", "committee_id", "sub_district_id",
    ]  # fmt: skip
    statement = (
        insert_for(session, OutboxMessage)
        .from_select(names, rows)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    queued = _count(session, statement)
    if not queued:
        return 0, 0
    # The records whose message this run queued, joined to it by its key.
    queued_now = and_(OutboxMessage.idempotency_key == key_of(ReviewRecord.id, stage.key),
                      OutboxMessage.created_at == _at(now))  # fmt: skip
    woken = select(
        ReviewRecord.id, ReviewRecord.state, literal(REMINDED, String()), _at(now),
        literal(PLANNER, String()), literal("", String()),
    ).where(*due, ReviewRecord.state == DUE, queued_now)  # fmt: skip
    reminded = _count(session, insert_for(session, ReviewTransition).from_select(
        ["record_id", "from_state", "to_state", "at", "actor_kind", "note"], woken))  # fmt: skip
    state = case((ReviewRecord.state == DUE, REMINDED), else_=ReviewRecord.state)
    session.execute(
        update(ReviewRecord)
        .where(*due, queued_now)
        .values(last_stage=stage.key, reminded_at=now, updated_at=now,
                reminder_id=OutboxMessage.id, state=state)
    )  # fmt: skip
    return queued, reminded


def plan(session: Session, reviews: ReviewCatalogue, *, now: datetime, tz: ZoneInfo) -> Planned:
    """One run of the planner at `now` (the local day in `tz`); idempotent within a day."""
    today = now.astimezone(tz).date()
    created = 0
    for programme in reviews.programmes:
        found = openings(programme, today)
        if found:
            created += _create(session, programme, found, now)
    moved_away = _moved_away(session, now)
    overdue = _overdue(session, today, now)
    by_stage: dict[str, int] = {}
    reminded = 0
    for programme in reviews.programmes:
        for stage in _waiting(session, programme, stages(programme, reviews, today)):
            queued, woken = _remind(session, programme, reviews, stage, now)
            by_stage[stage.key] = by_stage.get(stage.key, 0) + queued
            reminded += woken
    session.flush()
    return Planned(created, moved_away, overdue, sum(by_stage.values()), reminded, by_stage)
