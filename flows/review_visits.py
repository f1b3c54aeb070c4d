"""年审's visit to the committee: which day (a number, "12月5号", "5号", "下周一"), which time,
confirm, then BookVisit; moving a visit the same way (move=True), cancelling it; and the
one-visit check of what to bring, item by item (CheckedDocuments).

The days offered are read when the resident chooses to book (kept in the `way` answer), the
times when a day is chosen; a day typed that is not offered gets a hint and the list again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from config.content import Content
from config.service_checklist import document_label, documents_for, missing_reply
from config.service_content import Document, Service
from flows import inputs
from flows.effects import BookVisit, CancelVisit, CheckedDocuments
from flows.inbound import Inbound
from flows.steps import NO, YES, YES_NO, Ask, Choose, Data, Done, InputKind, Option, Port, Step

# What the appliers fill into the replies once the store has answered (bot/webhook/reviews.py).
BOOKING, VISIT_CANCELLED = "booking", "visit_cancelled"
BOOK, MOVE, CANCEL = "book", "move", "cancel"
# A day of the month said alone: "5号", "5日", "五号".
_DAY_OF_MONTH = re.compile(r"([0-9]{1,2}|[一二三四五六七八九十]{1,3})[号日]")
# A time of day: "9点", "9点半", "下午2点", "14:30", "9：00".
_TIME = re.compile(
    r"(上午|早上|中午|下午|晚上)?([0-9]{1,2}|[一二两三四五六七八九十]{1,3})"
    r"(?:[:：]([0-9]{2})|点(半|[0-9]{1,2}分?)?|时)"
)
_NOTE = re.compile(r"[（(][^）)]*[）)]")  # "（周四）", "（还有3个名额）" copied from the list
_AFTERNOON = ("下午", "晚上")


# Numbers as parse_choice reads them ("九", "十二", "第2个"): an hour or a day of the month.
_NUMBERS = [(str(n), ()) for n in range(1, 32)]


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    found = inputs.parse_choice(text, _NUMBERS)
    return int(str(found.value)) if isinstance(found, inputs.Parsed) else None


def _cleaned(text: str) -> str:
    said = _NOTE.sub("", inputs.normalise(text)).replace(" ", "")
    return said.rstrip(" 。.!！~～")


def _of_month(said: str, today: date) -> date | None:
    """The day "5号" means: this month's 5th, or next month's once it has passed."""
    found = _DAY_OF_MONTH.fullmatch(said)
    number = _number(found.group(1)) if found else None
    if number is None:
        return None
    for month_start in (today.replace(day=1), (today.replace(day=28) + timedelta(days=4))):
        try:
            day = month_start.replace(day=number)
        except ValueError:
            continue
        if day >= today:
            return day
    return None


def day_said(text: str, today: date) -> date | None:
    """The calendar day a reply names ("12月5号", "下周一", "5号"), or None (2月30号 too)."""
    said = _cleaned(text)
    parsed = inputs.parse_date(said, today)
    if isinstance(parsed, inputs.Parsed) and isinstance(parsed.value, date):
        return parsed.value
    return _of_month(said, today)


def _said_day(inbound: Inbound, now: datetime) -> inputs.ParseResult:
    """What was said, and the (UTC) day it came: "明天" counts from it only when the port
    did not say the committee's local day with the days it offered."""
    if not inbound.has_words or not inbound.text.strip():
        return inputs.Invalid(inputs.HINT_CHOICE)
    return inputs.Parsed({"text": inbound.text.strip(), "today": now.date().isoformat()})


SAID_DAY = InputKind("visit_day", _said_day, inputs.HINT_CHOICE)


def clock_of(text: str) -> tuple[int, int] | None:
    """(hour, minute) of a time said in everyday words, or None."""
    found = _TIME.fullmatch(_cleaned(text))
    if found is None:
        return None
    part, hour_text, minutes, after = found.groups()
    hour = _number(hour_text)
    if hour is None or hour > 23:
        return None
    if part in _AFTERNOON and hour < 12:
        hour += 12
    minute = 0
    if minutes:
        minute = int(minutes)
    elif after == "半":
        minute = 30
    elif after:
        minute = int(after.rstrip("分"))
    return (hour, minute) if minute < 60 else None


def pick_from(
    text: str, items: list[dict[str, Any]], words_of: Callable[[dict[str, Any]], tuple[str, ...]]
) -> dict[str, Any] | None:
    """The item a reply picks by its number or its words, or None."""
    options = [(str(n), words_of(item)) for n, item in enumerate(items)]
    chosen = inputs.parse_choice(text, options)
    return items[int(str(chosen.value))] if isinstance(chosen, inputs.Parsed) else None


class Visits:
    """The visit's steps and how they end, over _reviews.yaml's words and labels and the
    service catalogue's documents."""

    def __init__(self, content: Content) -> None:
        reviews = content.reviews
        self.reviews = reviews
        self.catalogue = content.services
        self.texts = reviews.words.texts
        self.labels = reviews.words.labels
        self.menu_item = content.bot.menu_item
        self.programmes = {p.key: p.name for p in reviews.programmes}
        self.footer = content.bot.menu_footer

    def say(self, key: str, **values: object) -> str:
        """One of the flow's sentences, filled in."""
        return self.texts[key].format(**values)

    def _lines(self, head: str, items: list[dict[str, Any]], item_key: str) -> str:
        lines = [head]
        lines += [
            self.menu_item.format(
                number=n, title=self.say(item_key, label=item["label"], left=item["left"])
            )
            for n, item in enumerate(items, 1)
        ]
        return "\n".join(lines)

    # -- the steps -----------------------------------------------------------------------------

    def steps(self, record_of: Callable[[Data], Mapping[str, Any]]) -> tuple[Step, ...]:
        """day → time → confirm (a booking or a move), and cancel."""

        def days(data: Data) -> list[dict[str, Any]]:
            return list(data["way"].get("days", []))

        def pick_day(value: Any, data: Data, port: Port) -> inputs.ParseResult:
            offered = days(data)
            said = dict(value)
            chosen = pick_from(said["text"], offered, lambda d: (d["label"],))
            # "明天" counts from the committee's local day, which the port read with the days.
            today = date.fromisoformat(offered[0].get("today") or said["today"])
            day = day_said(said["text"], today) if chosen is None else None
            if day is not None:
                chosen = next((d for d in offered if d["day"] == day.isoformat()), None)
                if chosen is None:
                    named = self.labels.of_day(day)
                    return inputs.Invalid(self.say("day_not_offered", day=named))
            if chosen is None:
                return inputs.Invalid(self.say("day_hint"))
            times = port.visit_times(int(record_of(data)["committee_id"]), chosen["day"])
            if not times:
                return inputs.Invalid(self.say("day_full", day=chosen["label"]))
            return inputs.Parsed({**chosen, "times": times})

        def pick_time(value: Any, data: Data, _port: Port) -> inputs.ParseResult:
            offered = list(data["day"]["times"])
            chosen = pick_from(str(value), offered, lambda t: (t["label"],))
            clock = clock_of(str(value)) if chosen is None else None
            if clock is not None:
                at = f"T{clock[0]:02d}:{clock[1]:02d}"
                chosen = next((t for t in offered if t["starts_at"].endswith(at)), None)
            return (
                inputs.Invalid(self.say("time_hint")) if chosen is None else inputs.Parsed(chosen)
            )

        def day_prompt(data: Data) -> str:
            return self._lines(self.say("days"), days(data), "day_item")

        def time_prompt(data: Data) -> str:
            head = self.say("times", day=data["day"]["label"])
            return self._lines(head, list(data["day"]["times"]), "time_item")

        def confirm_prompt(data: Data) -> str:
            record = record_of(data)
            when = f"{data['day']['label']}{data['time']['label']}"
            if data["way"]["action"] == MOVE and record.get("visit"):
                return self.say("confirm_move", old=record["visit"]["label"], when=when)
            return self.say("confirm", when=when, programme=self.name_of(record),
                            name=record["name_masked"])  # fmt: skip

        def cancel_prompt(data: Data) -> str:
            visit = record_of(data).get("visit") or {}
            return self.say("cancel_ask", when=visit.get("label", ""))

        return (
            Ask("day", prompt=day_prompt, accepts=SAID_DAY, lookup=pick_day),
            Ask("time", prompt=time_prompt, lookup=pick_time),
            Choose(
                "confirm",
                prompt=confirm_prompt,
                options=(
                    Option("yes", self.say("confirm_yes"), means=YES),
                    Option("other", self.say("confirm_other"), self.words_of("other_words")),
                    Option("no", self.say("confirm_no"), means=NO),
                ),
                next=lambda d: "day" if d.get("confirm") == "other" else None,
            ),
            Choose(
                "cancel",
                prompt=cancel_prompt,
                options=(
                    Option("yes", self.say("cancel_yes"), means=YES),
                    Option("no", self.say("cancel_no"), means=NO),
                ),
                next=lambda d: None,
            ),
        )

    def words_of(self, key: str) -> tuple[str, ...]:
        """A sentence that lists words ("换一天、换时间") as the words."""
        return tuple(w for w in re.split(r"[、,，\s]+", self.texts[key]) if w)

    def name_of(self, record: Mapping[str, Any]) -> str:
        """A record's programme as residents call it."""
        return self.programmes.get(record["programme"], record["programme"])

    # -- the one-visit check --------------------------------------------------------------------

    def service(self, record: Mapping[str, Any]) -> Service | None:
        """The service-catalogue entry whose documents and place the visit uses."""
        return self.catalogue.by_key.get(self.reviews.by_key[record["programme"]].service)

    def documents(self, record: Mapping[str, Any]) -> tuple[Document, ...]:
        """What to bring to the visit."""
        service = self.service(record)
        return documents_for(service, {}) if service is not None else ()

    def item_steps(self, record_of: Callable[[Data], Mapping[str, Any]]) -> tuple[Step, ...]:
        """One yes/no per document ("身份证（原件） —— 有吗？"), as many as the longest list."""
        walk = self.catalogue.words.walk

        def prompt(number: int) -> Callable[[Data], str]:
            def asked(data: Data) -> str:
                documents = self.documents(record_of(data))
                name = document_label(documents[number - 1], self.catalogue.words)
                said = walk.item.format(number=number, total=len(documents), name=name)
                return f"{self.say('documents_start')}\n{said}" if number == 1 else said

            return asked

        def after(number: int) -> Callable[[Data], str | None]:
            def following(data: Data) -> str | None:
                more = number < len(self.documents(record_of(data)))
                return f"item{number + 1}" if more else None

            return following

        most = max((len(documents_for(s, {})) for s in self.catalogue.services), default=0)
        return tuple(
            Ask(f"item{n}", prompt=prompt(n), accepts=YES_NO, next=after(n))
            for n in range(1, most + 1)
        )

    def checked(self, data: Data, record: Mapping[str, Any], openid: str, *, book: bool) -> Done:
        """The end of the check: everything there, or what is missing and where to get it
        (CheckedDocuments), then booking offered (`book`); a programme with no list says why."""
        service = self.service(record)
        documents = self.documents(record)
        if service is None or not documents:
            if service is not None and "documents" not in service.committee_fill:
                note = service.documents_note
                return Done(
                    replies=(
                        note.text.strip() if note.stated else self.say("no_documents"),
                        self.footer,
                    )
                )
            return Done(replies=(self.say("documents_not_filled"),))
        missing = tuple(d for n, d in enumerate(documents, 1) if data.get(f"item{n}") is False)
        words = self.catalogue.words
        said = missing_reply(service, missing, words) if missing else words.walk.ready
        effect = CheckedDocuments(
            openid, int(record["record_id"]), service.key, service.version,
            tuple(d.key for d in documents), tuple(d.key for d in missing),
        )  # fmt: skip
        after = (self.say("check_book"),) if book else ()
        return Done(replies=(said, *after), effects=(effect,))

    # -- how booking ends ------------------------------------------------------------------------

    def booked(self, data: Data, record: Mapping[str, Any], openid: str) -> Done:
        """The end of booking or moving: BookVisit, or nothing booked."""
        if not data["way"].get("days"):
            return Done(replies=(self.say("all_full"),))
        if data.get("confirm") != "yes":
            return Done(replies=(self.say("not_booked"), self.footer))
        effect = BookVisit(openid, int(record["record_id"]), str(data["time"]["starts_at"]),
                           move=data["way"]["action"] == MOVE)  # fmt: skip
        return Done(replies=("{" + BOOKING + "}",), effects=(effect,))

    def cancelled(self, data: Data, record: Mapping[str, Any], openid: str) -> Done:
        """The end of cancelling: CancelVisit, or the visit kept."""
        if data.get("cancel") != "yes":
            visit = record.get("visit") or {}
            return Done(replies=(self.say("cancel_kept", when=visit.get("label", "")), self.footer))
        effect = CancelVisit(openid, int(record["record_id"]))
        return Done(replies=("{" + VISIT_CANCELLED + "}",), effects=(effect,))
