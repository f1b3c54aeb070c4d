"""The webhook's appliers of GiveChecklist and SubmitApplication: whose they are (the
resident's binding, else the installation's only committee), stored through store/services;
an application's number goes into the reply ({reference})."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.reports.service import resident
from flows.effects import GiveChecklist, SubmitApplication
from store.services import applications, checklists
from store.staff import installation

if TYPE_CHECKING:
    from bot.webhook.effects import Context, Facts


def _whose(session: Session, openid: str) -> tuple[int | None, int | None, int | None]:
    """(resident, committee, sub-district): the bound resident's committee, else the only
    committee of a one-committee installation, else none (its sub-district's admins see it)."""
    bound = checklists.bound_resident(session, openid)
    if bound is not None:
        return bound[0], bound[1], None
    return None, installation.sole_committee(session), installation.sole_sub_district(session)


def give_checklist(session: Session, effect: GiveChecklist, context: Context) -> None:
    """Keep the checklist a resident was given, for the demand figures."""
    resident_id, committee_id, sub_district_id = _whose(session, effect.openid)
    given = checklists.GivenChecklist(
        openid=effect.openid, service=effect.service, version=effect.version,
        answers=tuple(effect.answers), items=tuple(effect.items), missing=effect.missing,
        committee_id=committee_id, sub_district_id=sub_district_id, resident_id=resident_id,
    )  # fmt: skip
    checklists.record(session, given, now=context.now)


def submit_application(session: Session, effect: SubmitApplication, context: Context) -> Facts:
    """Save an application made in chat; its number fills the reply's {reference}."""
    resident_id, committee_id, sub_district_id = _whose(session, effect.openid)
    new = applications.NewApplication(
        openid=effect.openid, service=effect.service, version=effect.version,
        fields=tuple(effect.fields), committee_id=committee_id,
        sub_district_id=sub_district_id, resident_id=resident_id,
    )  # fmt: skip
    application = applications.submit(
        session, context.sealer, new, now=context.now, resident=resident(context.content),
        tz=context.tz,
    )  # fmt: skip
    return {"reference": application.reference}
