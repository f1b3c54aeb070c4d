"""What staff do to one report from its page: the form read into one bot.reports.service step
(the same the API takes), and a refusal put in the committee's words."""

from __future__ import annotations

from dataclasses import dataclass

from bot.reports.service import StaffStep
from config.content import Content
from store.errors import Refused
from store.reports import service as reports

STEPS = reports.STAFF_ACTIONS


@dataclass(frozen=True)
class ActionForm:
    """The fields of an action's form (each action reads the ones it needs)."""

    note: str = ""
    public: bool = False
    referred_to: str = ""
    assignee_id: str = ""

    def step(self, action: str) -> StaffStep:
        """The staff step this form asks for."""
        staff_id = self.assignee_id
        return StaffStep(
            action, note=self.note, public=self.public, referred_to=self.referred_to,
            staff_id=int(staff_id) if staff_id.isdigit() and len(staff_id) <= 9 else None,
        )  # fmt: skip


def refusal(content: Content, status: str, action: str, refused: Refused) -> str:
    """Why an action was refused, in the committee's words."""
    t = content.console
    if refused.code == "action":
        return t.report_refused_status.format(
            status=content.reports.status(status), action=t[f"action_{action}"]
        )
    words = {
        "note": t.report_need_note,
        "referred_to": t.report_need_where,
        "assignee": t.report_bad_assignee,
    }
    return words.get(refused.code) or t.refused.format(field=refused.field, reason=refused.reason)
