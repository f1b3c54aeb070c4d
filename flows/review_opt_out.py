"""No more 年审 reminders (退订, 不要再提醒 …): of which programme — numbered, plus 全部 — or
straight away when the words name one; and 恢复提醒, which lifts every opt-out. Both unlisted,
started by the words in reviews/_reviews.yaml `opt_out`."""

from __future__ import annotations

from datetime import datetime

from config.content import Content
from flows.effects import ResumeReminders, StopReminders
from flows.reviews import Reviews
from flows.steps import Choose, Data, Done, Flow, Opened, Option, Port

STOP_REMINDERS, RESUME_REMINDERS = "review_opt_out", "review_resume"
ALL = "*"  # every programme (the store keeps the same mark)


def opt_out_flow(content: Content) -> Flow:
    """退订: which programme's reminders to stop (or all), then StopReminders."""
    r = Reviews(content)
    words = r.words.opt_out
    names = {p.key: p.name for p in r.reviews.programmes}

    def stop(which: str, openid: str) -> Done:
        if which == ALL:
            return Done(replies=(words.stopped_all,), effects=(StopReminders(openid, None),))
        said = words.stopped.format(name=names[which])
        return Done(replies=(said,), effects=(StopReminders(openid, which),))

    def opening(said: str, *, openid: str, port: Port) -> Opened | Done:
        named = r.named(said) if said else None
        # 不要再提醒长寿金: the words name the programme, so nothing is asked.
        return stop(named.key, openid) if named is not None else Opened()

    def finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        return stop(str(data["which"]), openid)

    options = tuple(Option(p.key, p.name, p.synonyms) for p in r.reviews.programmes)
    every = Option(ALL, words.all_title, r.words_of("all_words"))
    return Flow(
        name=STOP_REMINDERS,
        title=words.stop_words[0],  # unlisted: never shown in the menu
        keywords=words.stop_words,
        listed=False,
        opening=opening,
        steps=(Choose("which", prompt=words.which, options=(*options, every)),),
        done=finish,
    )


def resume_flow(content: Content) -> Flow:
    """恢复提醒: every opt-out of the WeChat user lifted (ResumeReminders)."""
    words = content.reviews.words.opt_out

    def finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        if not port.reminders_stopped(openid):
            return Done(replies=(words.nothing_to_resume,))
        return Done(replies=(words.resumed,), effects=(ResumeReminders(openid),))

    return Flow(
        name=RESUME_REMINDERS,
        title=words.resume_words[0],  # unlisted: never shown in the menu
        keywords=words.resume_words,
        listed=False,
        steps=(),
        done=finish,
    )
