"""核对信息's answer, declared over campaigns.yaml: a resident (or the family member acting for
them) who was sent their details answers 1 — right — or 2 — to be changed, which goes straight on
into 更新信息 for that resident. Linli starts it itself (the Port's invitation) only when the
answer reads as one: anything else the resident says means what it always does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from config.campaign_content import CampaignContent
from flows import inputs
from flows.binding_update import UPDATE
from flows.effects import AnswerCampaign
from flows.steps import TEXT, Ask, Data, Done, Flow, Port

CAMPAIGN = "campaign_answer"
CONFIRMED, CHANGED = "confirmed", "changed"


def campaign_flow(words: CampaignContent, *, update: str = UPDATE) -> Flow:
    """The answer to a campaign's message; the invitation's data names the message's `person`
    (binding_id, resident_id, kind, relation, name_masked, as the Port's people_of)."""

    def answer(value: Any, data: Data, port: Port) -> inputs.ParseResult:
        said = words.answer_of(str(value))
        return inputs.Parsed(said) if said else inputs.Invalid(words.replies.hint)

    def finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        person = dict(data["person"])
        name = person["name_masked"]
        effect = AnswerCampaign(openid=openid, answer=data["answer"])
        if data["answer"] == CONFIRMED:
            return Done(replies=(words.replies.confirmed.format(name=name),), effects=(effect,))
        # 更新信息 goes on about this resident: whom it is about is not asked again.
        return Done(
            replies=(words.replies.changed.format(name=name),), effects=(effect,),
            then=update, given={"who": person},
        )  # fmt: skip

    return Flow(
        name=CAMPAIGN,
        title=words.answers[CONFIRMED].name,  # unlisted: never shown in the menu
        listed=False,
        steps=(Ask("answer", prompt=words.replies.hint, accepts=TEXT, lookup=answer),),
        done=finish,
    )
