"""Applying in chat after a checklist (开具居住证明): the fields the service's file defines,
a summary to confirm, then SubmitApplication (the webhook fills in the reply's {reference}).

Unlisted: only the 办事清单 flow starts it, handing over the service (given={"service": key}).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from config.content import Content
from config.service_content import Apply, Service
from flows.effects import SubmitApplication
from flows.steps import (
    DATE,
    MOBILE,
    NO,
    TEXT,
    YES,
    Ask,
    Choose,
    Data,
    Done,
    Flow,
    InputKind,
    Option,
    Port,
    Step,
)

KINDS: dict[str, InputKind] = {"text": TEXT, "mobile": MOBILE, "date": DATE}


def field_step(service: Service, field: str) -> str:
    """The name of the step asking one field of a service's application."""
    return f"{service.key}:{field}"


def application_flow(content: Content) -> Flow:
    """The flow that takes an application in chat for the services that have `apply`."""
    catalogue = content.services
    words = catalogue.words.application
    applied = [s for s in catalogue.services if s.apply is not None]

    def service(data: Data) -> Service:
        return catalogue.by_key[str(data.get("service", ""))]

    def form(data: Data) -> Apply:
        found = service(data).apply
        assert found is not None  # only services with `apply` are handed over
        return found

    def first_field(data: Data) -> str | None:
        return field_step(service(data), form(data).fields[0].key)

    def after_field(index: int) -> Callable[[Data], str | None]:
        def following(data: Data) -> str | None:
            fields = form(data).fields
            return (
                field_step(service(data), fields[index].key) if index < len(fields) else "confirm"
            )

        return following

    def summary(data: Data) -> str:
        chosen = service(data)
        lines = [words.summary.format(service=chosen.name)]
        lines += [
            words.summary_line.format(label=f.label, value=data.get(field_step(chosen, f.key), ""))
            for f in form(data).fields
        ]
        return "\n".join(lines)

    def finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        if data.get("offer") != "apply" or data.get("confirm") == "drop":
            return Done(replies=(words.declined,))
        chosen = service(data)
        fields = tuple(
            (f.key, str(data.get(field_step(chosen, f.key), ""))) for f in form(data).fields
        )
        effect = SubmitApplication(openid, chosen.key, chosen.version, fields)
        said = words.submitted.format(service=chosen.name, reference="{reference}")
        return Done(replies=(said,), effects=(effect,))

    steps: list[Step] = [
        Choose(
            "offer",
            prompt=lambda data: form(data).offer,
            options=(
                Option("apply", words.apply, words.apply_words, means=YES),
                Option("decline", words.decline, words.decline_words, means=NO),
            ),
            next=lambda data: first_field(data) if data.get("offer") == "apply" else None,
        )
    ]
    for chosen in applied:
        assert chosen.apply is not None
        for index, f in enumerate(chosen.apply.fields, 1):
            steps.append(
                Ask(
                    field_step(chosen, f.key),
                    prompt=f.prompt,
                    accepts=KINDS[f.kind],
                    next=after_field(index),
                )
            )
    steps.append(
        Choose(
            "confirm",
            prompt=summary,
            options=(
                Option("submit", words.submit, words.submit_words, means=YES),
                Option("redo", words.redo, words.redo_words),
                Option("drop", words.drop, means=NO),
            ),
            next=lambda data: first_field(data) if data.get("confirm") == "redo" else None,
        )
    )
    return Flow(
        name="application",
        title=words.apply,
        steps=tuple(steps),
        done=finish,
        listed=False,
    )
