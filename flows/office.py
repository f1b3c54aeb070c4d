"""办事指南: office hours, address, phone and service guides, by number or keyword."""

from __future__ import annotations

from datetime import datetime

from config.content import OfficeGuide
from flows.steps import Choose, Data, Done, Flow, Option, Port


def office_guide(guide: OfficeGuide) -> Flow:
    """The office-information flow for a committee's guide content."""
    answers = {topic.key: topic.answer.strip() for topic in guide.topics}
    titles = {topic.key: topic.title for topic in guide.topics}

    def answer(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        key = data["topic"]
        text = answers[key] or guide.not_filled
        reply = guide.answer_format.format(title=titles[key], answer=text)
        return Done(replies=(reply, guide.after_answer))

    return Flow(
        name="office",
        title=guide.title,
        keywords=guide.keywords,
        shortcuts=tuple(word for topic in guide.topics for word in topic.keywords),
        steps=(
            Choose(
                "topic",
                prompt=guide.prompt,
                options=tuple(Option(t.key, t.title, t.keywords) for t in guide.topics),
            ),
        ),
        done=answer,
        linger=True,
    )
