"""The front door (unlisted): close candidates offered by number, and the answers it gives
itself — a common question, small talk (with the menu), a person asked for in everyday words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from config.content import Content
from flows import inputs
from flows.effects import RequestHuman
from flows.steps import TEXT, Ask, Data, Done, Flow, Port
from flows.understanding.acts import FRONT_DOOR, handing, intent_of
from flows.understanding.intents import FAQ, HUMAN, SMALLTALK


def front_door_flow(content: Content, menu: str) -> Flow:
    """Started by the engine: given `choice` (an intent understood at once) it answers or hands
    over straight away; given `candidates`, it asks which one was meant."""
    words, bot = content.understanding, content.bot
    choice = words.choice
    questions = {q.key: q for q in content.faq.questions}
    talk = {s.key: s for s in words.small_talk}

    def prompt(data: Data) -> str:
        lines = [choice.prompt]
        lines += [
            choice.item.format(number=n, title=c["title"])
            for n, c in enumerate(data.get("candidates", []), 1)
        ]
        lines.append(choice.footer)
        return "\n".join(lines)

    def pick(value: Any, data: Data, port: Port) -> inputs.ParseResult:
        offered = data.get("candidates", [])
        options = [(str(n), (c["title"],)) for n, c in enumerate(offered)]
        chosen = inputs.parse_choice(str(value), options)
        if isinstance(chosen, inputs.Parsed):
            return inputs.Parsed(offered[int(str(chosen.value))])
        return inputs.Invalid(choice.hint)

    def human(said: str, openid: str, port: Port) -> Done:
        if port.human_request_open(openid):
            return Done(replies=(bot.human_already_waiting,))
        return Done(
            replies=(bot.human_requested,), effects=(RequestHuman(openid, said, None, None),)
        )

    def finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        intent, said = intent_of(data["choice"]), str(data.get("said", ""))
        handed = handing(intent, said)
        if handed is not None:
            return Done(then=handed[0], given=handed[1])
        if intent.kind == FAQ and intent.key in questions:
            return Done(replies=(questions[intent.key].answer.strip(), content.faq.after_answer))
        if intent.kind == SMALLTALK and intent.key in talk:
            return Done(replies=(talk[intent.key].answer.strip(), menu))
        if intent.kind == HUMAN:
            return human(said, openid, port)
        return Done(replies=(bot.not_understood, menu))

    return Flow(
        name=FRONT_DOOR,
        title=choice.prompt,
        listed=False,
        steps=(Ask("choice", prompt=prompt, accepts=TEXT, lookup=pick),),
        done=finish,
    )
