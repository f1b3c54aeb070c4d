"""办事清单: find a service, ask its conditions, send the personal checklist in short replies,
and (if the resident wants) check the documents one by one.

Steps are built from the catalogue (config/content/zh-CN/services/): one numbered question per
service condition, one step per reply of the longest checklist, one yes/no per document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from config.content import Content
from config.service_checklist import (
    ChecklistText,
    ServiceCatalogue,
    checklist_replies,
    document_label,
    documents_for,
    missing_reply,
)
from config.service_content import Document, Service
from flows import inputs
from flows.effects import GiveChecklist
from flows.steps import NO, YES, YES_NO, Ask, Choose, Data, Done, Flow, Option, Port, Step
from flows.understanding.intents import SERVICE
from flows.understanding.matcher import Matcher

# Finds services by loose wording: keys, best first (the front door's matcher, SERVICE only).
Find = Callable[[str], Sequence[str]]
MAX_CHOICES = 3  # an unclear answer offers at most this many services by number


def service_key(data: Data) -> str:
    """The service chosen so far (by its words, a number, or the front door's hand-over)."""
    picked = data.get("which") or data.get("service")
    return picked if isinstance(picked, str) else ""


def condition_step(service: Service, condition: str) -> str:
    """The name of the step asking one service's condition."""
    return f"{service.key}:{condition}"


def answers_of(service: Service, data: Data) -> dict[str, str]:
    """The resident's answers to the service's conditions (condition key → option key)."""
    return {
        c.key: data[condition_step(service, c.key)]
        for c in service.conditions
        if condition_step(service, c.key) in data
    }


class Checklist:
    """The checklist of one conversation, rebuilt from the answers whenever a step needs it."""

    def __init__(self, catalogue: ServiceCatalogue, data: Data) -> None:
        self.service = catalogue.by_key[service_key(data)]
        self.answers = answers_of(self.service, data)
        self.words = catalogue.words
        self.documents: tuple[Document, ...] = documents_for(self.service, self.answers)
        self.replies = checklist_replies(self.service, self.answers, self.words)

    def missing(self, data: Data) -> tuple[Document, ...]:
        """The documents the resident said they do not have."""
        return tuple(d for n, d in enumerate(self.documents, 1) if data.get(f"item{n}") is False)


def _matching(catalogue: ServiceCatalogue, text: str) -> list[str]:
    """Services named in the text, or whose name holds the text: the fallback matcher."""
    said = inputs.normalise(text).casefold()
    named: list[tuple[str, str]] = [
        (s.key, inputs.normalise(w).casefold())
        for s in catalogue.services
        for w in (s.name, *s.synonyms)
    ]
    exact = [key for key, w in named if w == said]
    if exact:
        return list(dict.fromkeys(exact))
    hits = [(said.find(w), len(w), key) for key, w in named if w and w in said]
    # A name inside a longer one found at the same place does not count (居住证 in 居住证明).
    kept = [
        key
        for start, length, key in hits
        if not any(s2 <= start and start + length <= s2 + l2 and l2 > length for s2, l2, _ in hits)
    ]
    if kept:
        return list(dict.fromkeys(kept))
    if len(said) >= 2:
        return list(dict.fromkeys(key for key, w in named if said in w))
    return []


def checklist_flow(content: Content, find: Find | None = None) -> Flow:
    """The 办事清单 flow over the content's service catalogue."""
    catalogue = content.services
    words = catalogue.words
    services = catalogue.services
    line = content.bot.menu_item

    def numbered(keys: Sequence[str]) -> list[str]:
        return [
            line.format(number=n, title=catalogue.by_key[k].name) for n, k in enumerate(keys, 1)
        ]

    listing = "\n".join([words.prompt, *numbered([s.key for s in services])])

    def pick_service(value: Any, _data: Data, _port: Port) -> inputs.ParseResult:
        text = str(value)
        options = [(s.key, (s.name,)) for s in services]
        by_number = inputs.parse_choice(text, options)
        if isinstance(by_number, inputs.Parsed) and inputs.normalise(text).isdigit():
            return by_number
        found = [k for k in (find(text) if find else ()) if k in catalogue.by_key]
        found = found or _matching(catalogue, text)
        if len(found) == 1:
            return inputs.Parsed(found[0])
        if found:
            return inputs.Parsed({"among": found[:MAX_CHOICES]})
        return inputs.Invalid(words.not_found)

    def among(data: Data) -> list[str]:
        picked = data.get("service")
        return list(picked.get("among", ())) if isinstance(picked, Mapping) else []

    def which_prompt(data: Data) -> str:
        return "\n".join([words.which, *numbered(among(data))])

    def pick_among(value: Any, data: Data, _port: Port) -> inputs.ParseResult:
        keys = among(data)
        options = [(k, (catalogue.by_key[k].name, *catalogue.by_key[k].synonyms)) for k in keys]
        return inputs.parse_choice(str(value), options)

    def after_service(data: Data) -> str | None:
        return "which" if among(data) and "which" not in data else after_answers(data, 0)

    def after_answers(data: Data, asked: int) -> str | None:
        """The next condition to ask, else the first reply of the checklist."""
        service = catalogue.by_key.get(service_key(data))
        if service is None:
            return None
        if asked < len(service.conditions):
            return condition_step(service, service.conditions[asked].key)
        return after_page(data, 0)

    def after_page(data: Data, shown: int) -> str | None:
        """After `shown` replies: the next one, the offer to check the documents, or done."""
        checklist = Checklist(catalogue, data)
        if shown + 1 < len(checklist.replies):
            return f"page{shown + 1}"
        return "walk" if checklist.documents else None

    def page_prompt(number: int) -> Callable[[Data], str]:
        return lambda data: Checklist(catalogue, data).replies[number - 1]

    def walk_prompt(data: Data) -> str:
        return f"{Checklist(catalogue, data).replies[-1]}\n\n{words.walk.offer}"

    def item_prompt(number: int) -> Callable[[Data], str]:
        def prompt(data: Data) -> str:
            documents = Checklist(catalogue, data).documents
            name = document_label(documents[number - 1], words)
            return words.walk.item.format(number=number, total=len(documents), name=name)

        return prompt

    def after_item(number: int) -> Callable[[Data], str | None]:
        def following(data: Data) -> str | None:
            more = number < len(Checklist(catalogue, data).documents)
            return f"item{number + 1}" if more else None

        return following

    def finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        checklist = Checklist(catalogue, data)
        service = checklist.service
        walked = data.get("walk")
        missing = checklist.missing(data) if walked == "check" else None
        said = _closing(checklist, walked, missing, words)
        effect = GiveChecklist(
            openid,
            service.key,
            service.version,
            tuple(checklist.answers.items()),
            tuple(d.key for d in checklist.documents),
            None if missing is None else tuple(d.key for d in missing),
        )
        if service.apply is not None:
            return Done(replies=said, effects=(effect,), then="application",
                        given={"service": service.key})  # fmt: skip
        return Done(replies=(*said, words.closing), effects=(effect,))

    steps: list[Step] = [
        Ask("service", prompt=listing, lookup=pick_service, next=after_service),
        Ask("which", prompt=which_prompt, lookup=pick_among, next=lambda d: after_answers(d, 0)),
    ]
    for service in services:
        for index, condition in enumerate(service.conditions, 1):
            steps.append(
                Choose(
                    condition_step(service, condition.key),
                    prompt=words.asking.format(name=service.name, question=condition.question),
                    options=tuple(
                        Option(o.key, o.title, o.words, means=o.means) for o in condition.options
                    ),
                    next=lambda d, asked=index: after_answers(d, asked),
                )
            )
    pages = max(
        (len(checklist_replies(s, a, words)) for s in services for a in s.every_answer()),
        default=1,
    )
    following = Option("next", words.next, words.next_words, means=YES)
    for number in range(1, pages):
        steps.append(
            Choose(
                f"page{number}",
                prompt=page_prompt(number),
                options=(following,),
                next=lambda d, shown=number: after_page(d, shown),
            )
        )
    walk = words.walk
    steps.append(
        Choose(
            "walk",
            prompt=walk_prompt,
            options=(
                Option("check", walk.check, walk.check_words, means=YES),
                Option("skip", walk.skip, walk.skip_words, means=NO),
            ),
            next=lambda d: "item1" if d.get("walk") == "check" else None,
        )
    )
    most = max((len(s.documents) for s in services), default=0)
    for number in range(1, most + 1):
        steps.append(
            Ask(
                f"item{number}", prompt=item_prompt(number), accepts=YES_NO, next=after_item(number)
            )
        )
    return Flow(
        name="checklist",
        title=words.title,
        keywords=words.keywords,
        shortcuts=words.shortcuts,
        steps=tuple(steps),
        done=finish,
    )


def _closing(
    checklist: Checklist, walked: Any, missing: tuple[Document, ...] | None, words: ChecklistText
) -> tuple[str, ...]:
    """What ends the checklist: the last reply when it was never shown, or the check's result."""
    if walked is None:  # nothing to check: the last reply was not shown yet
        return (checklist.replies[-1],)
    if missing is None:
        return ()
    if not missing:
        return (words.walk.ready,)
    return (missing_reply(checklist.service, missing, words),)


def find_with(matcher: Callable[[], Matcher]) -> Find:
    """Services by loose wording with the front door's matcher (services only): the one that
    clearly leads, else the close ones."""

    def find(text: str) -> list[str]:
        current = matcher()
        words = current.vocabulary
        ranked = [m for m in current.rank(text, (SERVICE,)) if m.score >= words.candidate]
        if not ranked:
            return []
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        if ranked[0].score >= words.confident and ranked[0].score - runner_up >= words.margin:
            return [ranked[0].intent.key]
        return [m.intent.key for m in ranked[: words.most_candidates]]

    return find
