"""年审, declared over reviews/_reviews.yaml: for each open review record of the people a WeChat
user acts for (itself, and parents as an approved proxy) — which programme, for whom, by when,
its state — and the ways to do it: online (then 已完成 → self-reported), a visit booked at the
committee, where to go when there is no booking, and the one-visit check of the documents
(flows/review_visits.py). 已完成 said on its own reports the open record done, once confirmed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from config.content import Content
from config.review_content import Programme
from flows import inputs
from flows.effects import ReportReviewDone
from flows.review_visits import BOOK, CANCEL, MOVE, Visits, pick_from
from flows.steps import NO, TEXT, YES, Ask, Choose, Data, Done, Flow, Opened, Option, Port

REVIEWS = "reviews"
CHECKLIST = "checklist"  # the 办事清单 flow, offered for a programme the resident has no record of
# What the applier fills into the reply once the store has answered (bot/webhook/reviews.py).
REVIEW_DONE_RESULT = "review_done"
ONLINE, IN_PERSON, DOCUMENTS = "online", "in_person", "documents"
SELF_REPORTED, OVERDUE = "self_reported", "overdue"
# The conversation is about reporting a record done (已完成), not choosing a way.
DONE_MODE = "done"


class Reviews:
    """What the 年审 flows share: the content, the words, and a record in words."""

    def __init__(self, content: Content) -> None:
        self.reviews = content.reviews
        self.words = content.reviews.words
        self.texts = content.reviews.words.texts
        self.labels = content.reviews.words.labels
        self.menu_item = content.bot.menu_item
        # Said after a reply that ends the flow with nothing to do, so it is never a dead end.
        self.footer = content.bot.menu_footer
        self.visits = Visits(content)
        self.services = content.services

    def say(self, key: str, **values: object) -> str:
        """One of the flow's sentences, filled in."""
        return self.texts[key].format(**values)

    def words_of(self, key: str) -> tuple[str, ...]:
        """A sentence that lists words ("已完成、已办好") as the words."""
        return self.visits.words_of(key)

    def programme(self, record: Mapping[str, Any]) -> Programme:
        """The record's programme."""
        return self.reviews.by_key[record["programme"]]

    def named(self, said: str) -> Programme | None:
        """The programme a sentence names (its name or a synonym; the longest wins)."""
        folded = inputs.normalise(said).casefold()
        found = [
            (len(word), p)
            for p in self.reviews.programmes
            for word in (p.name, *p.synonyms)
            if word and inputs.normalise(word).casefold() in folded
        ]
        return max(found, key=lambda f: f[0])[1] if found else None

    def says_done(self, said: str) -> bool:
        """True when the words say it is done already (已完成, 我妈的年审办完了)."""
        folded = inputs.normalise(said).casefold()
        return any(inputs.normalise(w).casefold() in folded for w in self.words_of("done_words"))

    def item(self, record: Mapping[str, Any]) -> str:
        """A record in a numbered list: programme and person (masked)."""
        return self.say("pick_item", programme=self.programme(record).name,
                        name=record["name_masked"])  # fmt: skip

    def view(self, record: Mapping[str, Any]) -> str:
        """Which programme, for whom, by when, and where it stands."""
        programme = self.programme(record)
        lines = [self.say("heading", programme=programme.name, name=record["name_masked"])]
        closes = record.get("closes_on")
        if closes:
            lines.append(self.say("deadline", date=self.labels.of_date(date.fromisoformat(closes))))
        else:
            lines.append(self.say("no_deadline"))
        visit = record.get("visit")
        if record["state"] == SELF_REPORTED:
            lines.append(self.say("state_self_reported"))
        elif visit:
            lines.append(self.say("state_booked", when=visit["label"]))
        elif record["state"] == OVERDUE:
            lines.append(self.say("state_overdue"))
        else:
            lines.append(self.say("state_open"))
        return "\n".join(lines)

    def ways(self, record: Mapping[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
        """The ways offered for the record: (key, title, words)."""
        programme = self.programme(record)
        found = []
        if ONLINE in programme.ways:  # 已完成 here leads on to confirming it
            said = (*self.words_of("way_online_words"), *self.words_of("done_words"))
            found.append((ONLINE, self.say("way_online"), said))
        if IN_PERSON in programme.ways:
            if record.get("visit"):
                found.append((MOVE, self.say("way_move"), self.words_of("way_move_words")))
                found.append((CANCEL, self.say("way_cancel"), self.words_of("way_cancel_words")))
            elif programme.appointments and self.words.appointments.open:
                found.append((BOOK, self.say("way_book"), self.words_of("way_book_words")))
            else:
                found.append((IN_PERSON, self.say("way_in_person"), ()))
            if programme.service:
                words = self.words_of("way_documents_words")
                found.append((DOCUMENTS, self.say("way_documents"), words))
        return found

    def where(self, record: Mapping[str, Any]) -> str:
        """Where to go when no visit can be booked here."""
        if self.programme(record).appointments:
            return self.say("where_committee")
        service = self.visits.service(record)
        if service is not None and service.where.stated:
            return self.say("where_service", where=service.where.text.strip())
        return self.say("where_unknown")

    def pick_step(self, after: Callable[[Data], str | None]) -> Ask:
        """Which of several records: by number or the programme's words."""

        def prompt(data: Data) -> str:
            lines = [self.say("pick")]
            lines += [
                self.menu_item.format(number=n, title=self.item(r))
                for n, r in enumerate(data["records"], 1)
            ]
            return "\n".join(lines)

        def words(record: dict[str, Any]) -> tuple[str, ...]:
            programme = self.programme(record)
            return (self.item(record), programme.name, *programme.synonyms)

        def lookup(value: Any, data: Data, _port: Port) -> inputs.ParseResult:
            chosen = pick_from(str(value), list(data["records"]), words)
            return (
                inputs.Invalid(self.say("pick_hint")) if chosen is None else inputs.Parsed(chosen)
            )

        return Ask("pick", prompt=prompt, lookup=lookup, next=after)

    def opening(self, said: str, openid: str, port: Port) -> Opened | Done:
        """The open records the flow is about (those of a programme the words name), or the
        Done that ends it at once: not bound, or nothing due. A programme named that the
        resident has no record of leads to the offer of its 办事清单; words saying it is done
        lead to reporting it done."""
        named = self.named(said) if said else None
        people = port.people_of(openid)
        records = port.reviews_of(openid) if people else []
        if named is not None:
            records = [r for r in records if r["programme"] == named.key]
            if not records and named.service in self.services.by_key:
                return Opened({"guide": named.key, "bound": bool(people)}, step="guide_answer")
        if not people:
            return Done(replies=(self.say("not_bound"), self.footer))
        done = bool(said) and self.says_done(said)
        if done:
            records = [r for r in records if r["state"] != SELF_REPORTED]
        if not records:
            names = "、".join(p["name_masked"] for p in people)
            nothing = self.say("done_nothing") if done else self.say("nothing_due", names=names)
            return Done(replies=(nothing, self.footer))
        data: dict[str, Any] = {"records": records, DONE_MODE: done}
        if len(records) > 1:
            return Opened(data, step="pick")
        if done:
            return Opened(data, step="sure")
        if records[0]["state"] == SELF_REPORTED:
            return Done(replies=(self.view(records[0]), self.say("self_reported_end")))
        return Opened(data, step="way")


def chosen(data: Data) -> dict[str, Any]:
    """The record the conversation is about."""
    return dict(data.get("pick") or data["records"][0])


def reviews_flow(content: Content) -> Flow:
    """年审: the open records of the people an openid acts for, and the ways to do each."""
    r = Reviews(content)
    words = r.words
    programmes = (w for p in r.reviews.programmes for w in (p.name, *p.synonyms))
    keywords = tuple(dict.fromkeys((*words.keywords, *programmes, *r.words_of("done_words"))))

    def opening(said: str, *, openid: str, port: Port) -> Opened | Done:
        return r.opening(said, openid, port)

    def after_pick(data: Data) -> str | None:
        if data.get(DONE_MODE):
            return "sure"
        return None if chosen(data)["state"] == SELF_REPORTED else "way"

    def way_prompt(data: Data) -> str:
        record = chosen(data)
        lines = [r.view(record), r.say("ways")]
        lines += [
            r.menu_item.format(number=n, title=title)
            for n, (_, title, _w) in enumerate(r.ways(record), 1)
        ]
        return "\n".join(lines)

    def pick_way(value: Any, data: Data, port: Port) -> inputs.ParseResult:
        record = chosen(data)
        offered = [{"action": key, "words": (title, *said)} for key, title, said in r.ways(record)]
        way = pick_from(str(value), offered, lambda w: tuple(w["words"]))
        if way is None:
            return inputs.Invalid(r.say("way_hint"))
        action = way["action"]
        if action in (BOOK, MOVE):
            days = port.visit_days(record["committee_id"])
            return inputs.Parsed({"action": action, "days": days})
        return inputs.Parsed({"action": action})

    def after_way(data: Data) -> str | None:
        action = data["way"]["action"]
        if action == ONLINE:
            return ONLINE
        if action in (BOOK, MOVE):
            return "day" if data["way"].get("days") else None
        if action == CANCEL:
            return "cancel"
        if action == DOCUMENTS and r.visits.documents(chosen(data)):
            return "item1"
        return None

    def online_prompt(data: Data) -> str:
        online = r.programme(chosen(data)).online
        if online.steps:
            lines = [r.say("online_heading")]
            lines += [r.say("online_step", number=n, text=s) for n, s in enumerate(online.steps, 1)]
        else:
            lines = [r.say("online_not_filled")]
        if online.link:
            lines.append(r.say("online_link", link=online.link))
        lines.append(r.say("online_ask"))
        return "\n".join(lines)

    def sure_prompt(data: Data) -> str:
        record = chosen(data)
        return r.say("done_ask", programme=r.programme(record).name, name=record["name_masked"])

    def guide_prompt(data: Data) -> str:
        name = r.reviews.by_key[data["guide"]].name
        return r.say("guide" if data.get("bound") else "guide_unbound", programme=name)

    def finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        if "guide" in data:
            if data.get("guide_answer") != "yes":
                return Done(replies=(r.say("guide_declined"),))
            service = r.reviews.by_key[data["guide"]].service
            return Done(then=CHECKLIST, given={"service": service})
        record = chosen(data)
        report = ReportReviewDone(openid, int(record["record_id"]))
        if data.get(DONE_MODE):
            if data.get("sure") != "yes":
                return Done(replies=(r.say("done_not_yet"), r.footer))
            return Done(replies=("{" + REVIEW_DONE_RESULT + "}",), effects=(report,))
        action = data.get("way", {}).get("action")
        if action is None:  # a self-reported record picked: nothing more to do
            return Done(replies=(r.view(record), r.say("self_reported_end")))
        if action == ONLINE:
            if data.get(ONLINE) != "done":
                return Done(replies=(r.say("online_later_reply"), r.footer))
            return Done(replies=("{" + REVIEW_DONE_RESULT + "}",), effects=(report,))
        if action in (BOOK, MOVE):
            return r.visits.booked(data, record, openid)
        if action == CANCEL:
            return r.visits.cancelled(data, record, openid)
        if action == IN_PERSON:
            return Done(replies=(r.where(record), r.say("check_later")))
        bookable = any(key == BOOK for key, _t, _w in r.ways(record))
        return r.visits.checked(data, record, openid, book=bookable)

    def yes_no(
        name: str, prompt: Any, yes: str, no: str, yes_words: tuple[str, ...] = ()
    ) -> Choose:
        options = (
            Option("yes", r.say(yes), yes_words, means=YES),
            Option("no", r.say(no), means=NO),
        )
        return Choose(name, prompt=prompt, options=options, next=lambda d: None)

    return Flow(
        name=REVIEWS,
        title=words.title,
        keywords=keywords,
        opening=opening,
        steps=(
            r.pick_step(after_pick),
            Ask("way", prompt=way_prompt, accepts=TEXT, lookup=pick_way, next=after_way),
            Choose(
                ONLINE,
                prompt=online_prompt,
                options=(
                    Option("done", r.say("online_done"), r.words_of("done_words"), means=YES),
                    Option("later", r.say("online_later"), means=NO),
                ),
                next=lambda d: None,
            ),
            *r.visits.steps(chosen),
            *r.visits.item_steps(chosen),
            yes_no("sure", sure_prompt, "done_yes", "done_no", r.words_of("done_words")),
            yes_no("guide_answer", guide_prompt, "guide_yes", "guide_no"),
        ),
        done=finish,
    )
