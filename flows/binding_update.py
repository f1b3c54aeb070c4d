"""登记为新居民 and 更新信息, declared as data over binding.yaml: someone who matched nobody
registers (address, name, mobile), and a bound resident or approved proxy changes a mobile, an
address within the committee or the residence status (已去世: a proxy only)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from config.content import Content
from flows import inputs, place_names
from flows.binding import name_kind, numbered, person_words, pick_lookup, said_word
from flows.effects import RegisterResident, SubmitSelfReport
from flows.masking import mask_mobile
from flows.steps import MOBILE, NO, TEXT, YES, Ask, Choose, Data, Done, Flow, Opened, Option, Port

REGISTER, UPDATE = "binding_register", "update_info"
# What the applier fills into the reply once the store has answered (bot/webhook/effects.py).
UPDATE_RESULT = "update_result"
# What a change came to: staff check it first, it was made, the openid may no longer, or the
# registry refused the value (e.g. a building of another committee).
PENDING, APPLIED, GONE, REFUSED = "pending", "applied", "gone", "refused"
STEP_OF = {"mobile": "mobile", "dwelling": "dwelling", "residence_status": "status"}
ADDRESS_LONGEST = 100

_BUILDING_END = re.compile(r"号楼|栋|幢|座|楼")
_UNIT = re.compile(r"([0-9]{1,3}|[一二两三四五六七八九十]{1,3})单元")
_ROOM = re.compile(r"([0-9]{1,6}[A-Z]?)(?:室|房|号房|号)?$")
_TRAILING = " 。.!！~～"


def split_address(text: str) -> tuple[str, str]:
    """The unit and room of a typed address ("3栋2单元502" → "2", "502"); "" when not said."""
    folded = "".join(inputs.normalise(text).split()).rstrip(_TRAILING).upper()
    rest = _BUILDING_END.split(folded, maxsplit=1)[-1]
    unit = ""
    found = _UNIT.search(rest)
    if found:
        unit = place_names.building_key(found.group(1) + "栋") or found.group(1)
        rest = rest[found.end() :]
    room = _ROOM.search(rest)
    return unit, room.group(1) if room else ""


def address_of(text: str, port: Port) -> dict[str, Any]:
    """A typed address with the committee's building it names (if any), its unit and room."""
    place = port.match_place(text)
    unit, room = split_address(text)
    return {
        "text": text,
        "place_id": place["id"] if place else None,
        "building": place["name"] if place else "",
        "unit": unit,
        "room": room,
    }


def register_flow(content: Content) -> Flow:
    """登记为新居民: reached from a failed bind (or 登记); staff review it in the console."""
    binding = content.binding
    words = binding.registration

    def address(value: Any, data: Data, port: Port) -> inputs.ParseResult:
        if len(str(value)) > ADDRESS_LONGEST:
            return inputs.Invalid(inputs.HINT_TEXT_LONG)
        return inputs.Parsed(address_of(str(value), port))

    def summary(data: Data) -> str:
        return words.confirm_prompt.format(
            name=data["name"], mobile=data["mobile"], address=data["address"]["text"]
        )

    def finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        if data["confirm"] != "submit":
            return Done(replies=(words.discarded,))
        place = data["address"]
        effect = RegisterResident(
            openid=openid, name=data["name"], mobile=data["mobile"], address=place["text"],
            place_id=place["place_id"], unit=place["unit"], room=place["room"],
        )  # fmt: skip
        return Done(replies=(words.submitted,), effects=(effect,))

    return Flow(
        name=REGISTER,
        title=words.title,
        keywords=words.keywords,
        listed=False,
        steps=(
            Ask("address", prompt=words.address_prompt, accepts=TEXT, lookup=address),
            Ask("name", prompt=words.name_prompt, accepts=name_kind(binding.bind.name_hint)),
            Ask("mobile", prompt=words.mobile_prompt, accepts=MOBILE),
            Choose(
                "confirm",
                prompt=summary,
                options=(
                    Option("submit", words.submit, means=YES),
                    Option("discard", words.discard, means=NO),
                ),
            ),
        ),
        done=finish,
    )


def update_flow(content: Content) -> Flow:
    """更新信息: whom (when one acts for several), what, the new value, confirm."""
    binding, menu_item = content.binding, content.bot.menu_item
    words = binding.update
    field_options = [(code, words.field_words.get(code, ())) for code in binding.fields]

    def label(person: dict[str, Any]) -> str:
        if person["kind"] == "self":
            return words.person_self.format(name=person["name_masked"])
        relation = binding.relation(person.get("relation"))
        return words.person_proxy.format(name=person["name_masked"], relation=relation)

    def people(data: Data) -> list[dict[str, Any]]:
        return list(data["people"])

    def person(data: Data) -> dict[str, Any]:
        return data.get("who") or people(data)[0]

    def field(data: Data) -> str:
        return str(data.get("what") or data["preset"])

    def statuses(data: Data) -> list[dict[str, Any]]:
        proxy = person(data)["kind"] == "proxy"
        return [
            {"code": code, "name": status.name, "words": list(status.words)}
            for code, status in binding.statuses.items()
            if proxy or code != "deceased"  # only family may say that someone has died
        ]

    def opening(said: str, *, openid: str, port: Port) -> Opened | Done:
        found = port.people_of(openid)
        if not found:
            return Done(replies=(words.not_bound,))
        # "改手机号", "搬家": the field is said already, so it is not asked.
        preset = said_word(said, field_options)
        data = {"people": found, "preset": preset}
        if len(found) > 1:
            return Opened(data)
        if preset is None:
            return Opened(data, step="what")
        return Opened(data, step=STEP_OF[preset], history=("what",))

    def dwelling(value: Any, data: Data, port: Port) -> inputs.ParseResult:
        found = address_of(str(value)[:ADDRESS_LONGEST], port)
        if found["place_id"] is None or not found["room"]:
            return inputs.Invalid(words.dwelling_hint)
        return inputs.Parsed(found)

    def new_value(data: Data) -> tuple[Any, str, str]:
        """What the registry takes, what staff see (masked), and what the resident checks."""
        chosen = field(data)
        if chosen == "mobile":
            return data["mobile"], mask_mobile(data["mobile"]), data["mobile"]
        if chosen == "dwelling":
            home = data["dwelling"]
            unit = words.unit_shown.format(unit=home["unit"]) if home["unit"] else ""
            shown = words.dwelling_shown.format(building=home["building"], unit=unit,
                                                room=home["room"])  # fmt: skip
            value = {"place_id": home["place_id"], "unit": home["unit"], "room": home["room"]}
            return value, shown, shown
        return data["status"]["code"], data["status"]["name"], data["status"]["name"]

    def summary(data: Data) -> str:
        return words.confirm_prompt.format(
            name=person(data)["name_masked"], field=binding.fields[field(data)],
            value=new_value(data)[2],
        )  # fmt: skip

    def finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        if data["confirm"] != "submit":
            return Done(replies=(words.discarded,))
        value, shown, _ = new_value(data)
        chosen = person(data)
        effect = SubmitSelfReport(
            openid=openid, resident_id=int(chosen["resident_id"]),
            by_proxy=chosen["kind"] == "proxy", field=field(data), value=value, shown=shown,
            needs_approval=field(data) in binding.needs_approval,
        )  # fmt: skip
        return Done(replies=("{" + UPDATE_RESULT + "}",), effects=(effect,))

    return Flow(
        name=UPDATE,
        title=words.title,
        keywords=words.keywords,
        opening=opening,
        steps=(
            Ask(
                "who",
                prompt=lambda d: "\n".join(
                    [words.who_prompt, *numbered(menu_item, [label(p) for p in people(d)])]
                ),
                accepts=TEXT,
                lookup=pick_lookup(
                    words.pick_hint, people, lambda p: (label(p), *person_words(binding, p))
                ),
                next=lambda d: STEP_OF[d["preset"]] if d.get("preset") else "what",
            ),
            Choose(
                "what",
                prompt=words.what_prompt,
                options=tuple(
                    Option(code, binding.fields[code], words.field_words.get(code, ()))
                    for code in binding.fields
                ),
                next=lambda d: STEP_OF[d["what"]],
            ),
            Ask("mobile", prompt=words.mobile_prompt, accepts=MOBILE, next=lambda d: "confirm"),
            Ask(
                "dwelling",
                prompt=words.dwelling_prompt,
                accepts=TEXT,
                lookup=dwelling,
                next=lambda d: "confirm",
            ),
            Ask(
                "status",
                prompt=lambda d: "\n".join(
                    [words.status_prompt, *numbered(menu_item, [s["name"] for s in statuses(d)])]
                ),
                accepts=TEXT,
                lookup=pick_lookup(words.pick_hint, statuses, lambda s: (s["name"], *s["words"])),
                next=lambda d: "confirm",
            ),
            Choose(
                "confirm",
                prompt=summary,
                options=(
                    Option("submit", words.submit, means=YES),
                    Option("discard", words.discard, means=NO),
                ),
                next=lambda d: None,
            ),
        ),
        done=finish,
    )


def update_reply(content: Content, status: str) -> str:
    """What a change came to, in words: staff check it first, it was made, or not."""
    words = content.binding.update
    said = {PENDING: words.pending, APPLIED: words.applied, REFUSED: words.refused}
    return said.get(status, words.gone)
