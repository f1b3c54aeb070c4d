"""The flows this installation offers, in menu order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from config.content import Content
from flows.binding import binding_flow
from flows.binding_info import my_info_flow
from flows.binding_update import register_flow, update_flow
from flows.campaign import campaign_flow
from flows.engine import Engine
from flows.office import office_guide
from flows.reports import follow_up_flow, my_reports_flow, report_flow
from flows.steps import Flow


def build_flows(content: Content) -> tuple[Flow, ...]:
    """Every registered flow; the main menu lists exactly these."""
    reports = content.reports
    return (
        office_guide(content.office),
        report_flow(reports, content.bot.answers.yes_words, content.bot.answers.no_words),
        my_reports_flow(reports),
        follow_up_flow(reports),
        follow_up_flow(reports, late=True),
        # Issue 12, after the first three so their menu numbers stay: 4 我的信息, 5 绑定身份,
        # 6 更新信息; 登记为新居民 is reached by its words (a failed bind offers them).
        my_info_flow(content),
        binding_flow(content),
        update_flow(content),
        register_flow(content),
        # Unlisted: the answer to a campaign's message (核对信息), started by the invitation.
        campaign_flow(content.campaigns),
    )


def build_engine(
    content: Content, *, timeout_minutes: int, flows: Sequence[Flow] | None = None
) -> Engine:
    """An engine over the registered flows (or the given ones)."""
    chosen = build_flows(content) if flows is None else tuple(flows)
    return Engine(chosen, content.bot, timeout=timedelta(minutes=timeout_minutes))
