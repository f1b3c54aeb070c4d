"""办事指南: office hours, address and phone, and the catalogue's services, by number or word.

A topic is answered here; a service hands over to 办事清单 (Done.then). After an answer the
list is shown again, so a number then picks what the resident can see.
"""

from __future__ import annotations

from datetime import datetime

from config.content import Content
from flows.steps import Choose, Data, Done, Flow, Option, Port

SERVICE = "service:"  # a guide option naming a catalogue service, not a topic


def office_guide(content: Content) -> Flow:
    """The office-information flow: the guide's topics, then the catalogue's services."""
    guide = content.office
    answers = {topic.key: topic.answer.strip() for topic in guide.topics}
    titles = {topic.key: topic.title for topic in guide.topics}
    options = tuple(Option(t.key, t.title, t.keywords) for t in guide.topics) + tuple(
        Option(f"{SERVICE}{s.key}", s.name, s.synonyms) for s in content.services.services
    )
    listing = "\n".join(
        content.bot.menu_item.format(number=n, title=o.title) for n, o in enumerate(options, 1)
    )

    def answer(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        key = str(data["topic"])
        if key.startswith(SERVICE):
            return Done(then="checklist", given={"service": key.removeprefix(SERVICE)})
        text = answers[key] or guide.not_filled
        reply = guide.answer_format.format(title=titles[key], answer=text)
        return Done(replies=(reply, f"{guide.after_answer}\n{listing}"))

    return Flow(
        name="office",
        title=guide.title,
        keywords=guide.keywords,
        shortcuts=tuple(word for topic in guide.topics for word in topic.keywords),
        steps=(Choose("topic", prompt=guide.prompt, options=options),),
        done=answer,
        linger=True,
    )
