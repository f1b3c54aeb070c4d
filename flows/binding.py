"""绑定身份, declared as data over binding.yaml: binding oneself (name, then the last 6 characters
of the ID number or the mobile), asking to act for a family member, and unbinding; with the
readers of names, proofs and picks the other binding flows share."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from config.binding_content import BindingContent, BindText
from config.content import Content
from flows import inputs
from flows.effects import BindResident, RequestProxy, Unbind
from flows.inbound import Inbound
from flows.steps import (
    NO,
    TEXT,
    YES,
    Ask,
    Choose,
    Data,
    Done,
    Flow,
    InputKind,
    Lookup,
    Opened,
    Option,
    Port,
)

BINDING = "binding"
# What the appliers fill into the reply once the store has answered (bot/webhook/effects.py).
BIND_RESULT, UNBIND_RESULT = "bind_result", "unbind_result"
# The store's answers to a bind or a proxy request (store/binding/bindings.py).
BOUND, FAILED, REQUESTED, LIMITED = "bound", "failed", "requested", "limited"
ACTIVE, PENDING = "active", "pending"

# "我叫张秀英", "我妈叫李桂兰", "姓名：张秀英": the name is what follows.
_NAME_MARK = re.compile(r"叫|名字是|姓名是|名字[:：]?|姓名[:：]?")
_NAME_LEAD = re.compile(r"^(?:我是|本人是|本人)")
_NAME = re.compile(r"[^\W\d_]+(?:[·•][^\W\d_]+)*")
_SPACE_IN_HAN = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")
_RUN = re.compile(r"[0-9]+X?")
_TRAILING = " 。.!！~～"


def name_kind(hint: str) -> InputKind:
    """A person's name as on the ID card: "我叫张秀英" and "张 秀英" read as 张秀英."""

    def parse(inbound: Inbound, _now: datetime) -> inputs.ParseResult:
        if not inbound.has_words:
            return inputs.Invalid(hint)
        said = inputs.normalise(inbound.text).rstrip(_TRAILING)
        said = _NAME_LEAD.sub("", _NAME_MARK.split(said)[-1].strip()).strip()
        name = _SPACE_IN_HAN.sub("", said)
        if not 2 <= len(name) <= 30 or not _NAME.fullmatch(name.replace(" ", "")):
            return inputs.Invalid(hint)
        return inputs.Parsed(name)

    return InputKind("person_name", parse, hint)


def parse_proof(text: str, hint: str) -> inputs.ParseResult:
    """The last 6 characters of an ID number (a whole one is cut to them) or an 11-digit mobile,
    said alone or in a sentence ("后6位是12301x"); Parsed("12301X") or Parsed("139…")."""
    mobile = inputs.parse_mobile(text)
    if isinstance(mobile, inputs.Parsed):
        return mobile
    said = re.sub(r"[\s\-]", "", inputs.normalise(text)).upper()
    found = []
    for run in _RUN.findall(said):
        if len(run) in (6, 18):
            found.append(run[-6:])
        elif len(run) == 11 and isinstance(inputs.parse_mobile(run), inputs.Parsed):
            found.append(run)
    return inputs.Parsed(found[0]) if len(found) == 1 else inputs.Invalid(hint)


def proof_kind(hint: str) -> InputKind:
    """An answer to "身份证号后6位或手机号"."""

    def parse(inbound: Inbound, _now: datetime) -> inputs.ParseResult:
        return parse_proof(inbound.text, hint) if inbound.has_words else inputs.Invalid(hint)

    return InputKind("bind_proof", parse, hint)


def said_word(text: str, options: Sequence[tuple[str, Sequence[str]]]) -> str | None:
    """The option one of whose words the text says (never picked by a bare number), or None."""
    folded = inputs.normalise(text).casefold()
    if not any(inputs.normalise(w).casefold() in folded for _, words in options for w in words):
        return None
    chosen = inputs.parse_choice(text, options)
    return str(chosen.value) if isinstance(chosen, inputs.Parsed) else None


def numbered(menu_item: str, titles: Sequence[str]) -> list[str]:
    """Lines "1. …", "2. …" as the bot words a menu."""
    return [menu_item.format(number=n, title=title) for n, title in enumerate(titles, 1)]


def person_words(binding: BindingContent, person: Mapping[str, Any]) -> tuple[str, ...]:
    """Words that pick a person a WeChat user acts for: 本人 for themselves, how one calls the
    family member (我妈) for a proxy, and the masked name as shown."""
    if person.get("kind") == "self":
        return (*binding.self_words, person["name_masked"])
    relation = binding.relations.get(person.get("relation") or "")
    return (*(relation.called if relation else ()), person["name_masked"])


def _fits(typed: str, masked: str) -> bool:
    """True when a name typed in full fits its mask (张秀英 fits 张*英)."""
    if len(typed) != len(masked) or not masked:
        return False
    return all(m in ("*", t) for t, m in zip(typed, masked, strict=True))


def pick_lookup(
    hint: str,
    items: Callable[[Data], list[dict[str, Any]]],
    words_of: Callable[[dict[str, Any]], Sequence[str]],
) -> Lookup:
    """A lookup picking one of a list kept in the data, by its number, its words, or a person's
    name typed in full."""

    def lookup(value: Any, data: Data, _port: Port) -> inputs.ParseResult:
        listed = items(data)
        typed = inputs.normalise(str(value))
        named = [item for item in listed if _fits(typed, str(item.get("name_masked") or ""))]
        if len(named) == 1:
            return inputs.Parsed(named[0])
        options = [(str(n), words_of(item)) for n, item in enumerate(listed)]
        chosen = inputs.parse_choice(str(value), options)
        if isinstance(chosen, inputs.Parsed):
            return inputs.Parsed(listed[int(str(chosen.value))])
        return inputs.Invalid(hint)

    return lookup


def day_text(pattern: str, iso: str) -> str:
    """An ISO date in the committee's words (2026年3月1日)."""
    day = date.fromisoformat(iso[:10])
    return pattern.format(year=day.year, month=day.month, day=day.day)


def bind_reply(words: BindText, status: str, name: str = "") -> str:
    """What a bind or proxy request comes to, in words: every failure says the same."""
    if status == BOUND:
        return words.bound.format(name=name)
    if status == REQUESTED:
        return words.requested
    if status == LIMITED:
        return words.limited
    return words.failed


def unbind_reply(words: BindText, ended: bool) -> str:
    """What unbinding comes to, in words."""
    return words.unbound if ended else words.unbind_gone


def binding_item(content: BindingContent, binding: Data) -> str:
    """One of an openid's bindings in a list: the person masked, or a request without detail."""
    words, relation = content.bind, content.relation(binding.get("relation"))
    if binding["status"] == PENDING:
        date_text = day_text(content.my_info.date, binding["requested_on"])
        return words.item_pending.format(date=date_text, relation=relation)
    if binding["kind"] == "self":
        return words.item_self.format(name=binding["name_masked"])
    return words.item_proxy.format(name=binding["name_masked"], relation=relation)


def binding_flow(content: Content) -> Flow:
    """绑定身份: bind oneself, ask to act for a family member, or end a binding."""
    binding, menu_item = content.binding, content.bot.menu_item
    words = binding.bind
    called = [(code, r.called) for code, r in binding.relations.items()]
    choices = [
        (key, (c.name, *c.words, *(w for _, ws in called for w in ws if key == "proxy")))
        for key, c in words.choices.items()
    ]

    def parse_who(inbound: Inbound, _now: datetime) -> inputs.ParseResult:
        if not inbound.has_words:
            return inputs.Invalid(inputs.HINT_CHOICE)
        chosen = inputs.parse_choice(inbound.text, choices)
        if not isinstance(chosen, inputs.Parsed):
            return chosen
        # "帮我妈绑定": the family member is named already, so the relation is known.
        relation = said_word(inbound.text, called) if chosen.value == "proxy" else None
        return inputs.Parsed({"choice": chosen.value, "relation": relation})

    def bindings(data: Data) -> list[dict[str, Any]]:
        return list(data.get("bindings", []))

    def own(data: Data) -> dict[str, Any] | None:
        selves = [b for b in bindings(data) if b["kind"] == "self" and b["status"] == ACTIVE]
        return selves[0] if selves else None

    def after_who(data: Data) -> str | None:
        choice = data["who"]["choice"]
        if choice == "self":
            return None if own(data) else "name"
        if choice == "proxy":
            return "family_name" if data["who"]["relation"] else "relation"
        count = len(bindings(data))
        return "unbind_pick" if count > 1 else "unbind_confirm" if count == 1 else None

    def chosen(data: Data) -> dict[str, Any]:
        return data.get("unbind_pick") or bindings(data)[0]

    def opening(said: str, *, openid: str, port: Port) -> Opened:
        return Opened({"bindings": port.bindings_of(openid)})

    def finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        choice = data["who"]["choice"]
        if choice == "self":
            mine = own(data)
            if mine is not None:
                return Done(replies=(words.already_bound.format(name=mine["name_masked"]),))
            effect = BindResident(openid, data["name"], data["proof"])
            return Done(replies=("{" + BIND_RESULT + "}",), effects=(effect,))
        if choice == "proxy":
            relation = data.get("relation") or data["who"]["relation"]
            proxy = RequestProxy(openid, data["family_name"], data["family_proof"], relation)
            return Done(replies=("{" + BIND_RESULT + "}",), effects=(proxy,))
        if not bindings(data):
            return Done(replies=(words.nothing_to_unbind,))
        if data.get("unbind_confirm") != "yes":
            return Done(replies=(words.kept,))
        ending = Unbind(openid, int(chosen(data)["binding_id"]))
        return Done(replies=("{" + UNBIND_RESULT + "}",), effects=(ending,))

    find = pick_lookup(words.pick_hint, bindings,
                       lambda b: (binding_item(binding, b), *person_words(binding, b)))  # fmt: skip
    who_lines = numbered(menu_item, [c.name for c in words.choices.values()])
    return Flow(
        name=BINDING,
        title=words.title,
        keywords=words.keywords,
        shortcuts=words.shortcuts,
        opening=opening,
        steps=(
            Ask(
                "who",
                prompt="\n".join([words.who_prompt, *who_lines]),
                accepts=InputKind("bind_choice", parse_who, inputs.HINT_CHOICE),
                next=after_who,
            ),
            Ask("name", prompt=words.name_prompt, accepts=name_kind(words.name_hint)),
            Ask(
                "proof",
                prompt=words.proof_prompt,
                accepts=proof_kind(words.proof_hint),
                next=lambda d: None,
                secret=True,
            ),
            Choose(
                "relation",
                prompt=words.relation_prompt,
                options=tuple(
                    Option(code, r.name, r.words) for code, r in binding.relations.items()
                ),
                next=lambda d: "family_name",
            ),
            Ask(
                "family_name",
                prompt=words.family_name_prompt,
                accepts=name_kind(words.name_hint),
            ),
            Ask(
                "family_proof",
                prompt=words.family_proof_prompt,
                accepts=proof_kind(words.proof_hint),
                next=lambda d: None,
                secret=True,
            ),
            Ask(
                "unbind_pick",
                prompt=lambda d: "\n".join(
                    [
                        words.unbind_prompt,
                        *numbered(menu_item, [binding_item(binding, b) for b in bindings(d)]),
                    ]
                ),
                accepts=TEXT,
                lookup=find,
                next=lambda d: "unbind_confirm",
            ),
            Choose(
                "unbind_confirm",
                prompt=lambda d: words.unbind_confirm.format(who=binding_item(binding, chosen(d))),
                options=(
                    Option("yes", words.unbind_yes, means=YES),
                    Option("no", words.unbind_no, means=NO),
                ),
                next=lambda d: None,
            ),
        ),
        done=finish,
    )
