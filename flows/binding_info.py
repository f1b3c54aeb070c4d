"""我的信息, declared over binding.yaml: the details of each person an openid is bound to (itself
and approved proxies), masked, with the day they were last confirmed; requests still waiting for
staff are listed without any detail of the person."""

from __future__ import annotations

from datetime import datetime

from config.content import Content
from flows.binding import PENDING, day_text
from flows.steps import Data, Done, Flow, Port

MY_INFO = "my_info"


def person_block(content: Content, person: Data) -> str:
    """One bound person's details as 我的信息 shows them (numbers already masked)."""
    words, registry = content.binding.my_info, content.registry

    def coded(kind: str, code: str | None) -> str:
        return registry.word(kind, code) if code else words.blank

    who = words.self_label if person["kind"] == "self" else words.proxy_label.format(
        relation=content.binding.relation(person.get("relation"))
    )  # fmt: skip
    confirmed = person.get("confirmed_on")
    return words.person.format(
        name=person["name"],
        who=who,
        gender=coded("gender", person.get("gender")),
        birth_year=words.year.format(year=person["birth_year"])
        if person.get("birth_year") else words.blank,
        id_card=person.get("id_card") or words.blank,
        mobile=person.get("mobile") or words.blank,
        address=person.get("address") or words.blank,
        residence_status=coded("residence_status", person.get("residence_status")),
        confirmed=words.confirmed.format(date=day_text(words.date, confirmed))
        if confirmed else words.never_confirmed,
    )  # fmt: skip


def my_info_flow(content: Content) -> Flow:
    """我的信息: the bound people's details masked; requests waiting for staff, without any."""
    binding = content.binding
    words = binding.my_info

    def answer(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        people = port.details_of(openid)
        waiting = [b for b in port.bindings_of(openid) if b["status"] == PENDING]
        if not people and not waiting:
            return Done(replies=(words.not_bound,))
        lines = [words.header] if people else []
        lines += [person_block(content, person) for person in people]
        lines += [
            words.pending.format(
                date=day_text(words.date, b["requested_on"]),
                relation=binding.relation(b.get("relation")),
            )
            for b in waiting
        ]
        return Done(replies=("\n\n".join(lines), words.footer))

    return Flow(name=MY_INFO, title=words.title, keywords=words.keywords, steps=(), done=answer)
