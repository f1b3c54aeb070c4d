"""The flows this installation offers, in menu order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from config.content import Content
from flows.binding import binding_flow
from flows.binding_info import my_info_flow
from flows.binding_update import register_flow, update_flow
from flows.campaign import campaign_flow
from flows.checklist import checklist_flow, find_with
from flows.checklist_apply import application_flow
from flows.engine import Engine, menu_of
from flows.front_door import front_door_flow
from flows.office import office_guide
from flows.reports import follow_up_flow, my_reports_flow, report_flow
from flows.review_opt_out import opt_out_flow, resume_flow
from flows.reviews import reviews_flow
from flows.steps import Flow
from flows.understanding.entries import entries_of, vocabulary_of
from flows.understanding.intents import REPORT
from flows.understanding.matcher import Matcher, build_matcher


def build_flows(
    content: Content, *, matcher: Callable[[], Matcher] | None = None
) -> tuple[Flow, ...]:
    """Every registered flow; the main menu lists exactly these. With `matcher`, 我要报事 guesses
    a category from a sentence with it (the front door's, restricted to report categories)."""
    reports = content.reports
    guess = None if matcher is None else _category_guess(matcher)
    flows = (
        office_guide(content),
        report_flow(reports, guess=guess),
        my_reports_flow(reports),
        follow_up_flow(reports),
        follow_up_flow(reports, late=True),
        # Issue 12, after the first three so their menu numbers stay: 4 我的信息, 5 绑定身份,
        # 6 更新信息; 登记为新居民 is reached by its words (a failed bind offers them).
        my_info_flow(content),
        binding_flow(content),
        update_flow(content),
        # Issue 13: 7 办事清单; applying in chat (开具居住证明) follows a checklist, unlisted.
        checklist_flow(content, find=None if matcher is None else find_with(matcher)),
        application_flow(content),
        # Issue 14: 8 年审 (已完成 starts it too); 退订 and 恢复提醒 are unlisted, reached by words.
        reviews_flow(content),
        opt_out_flow(content),
        resume_flow(content),
        register_flow(content),
        # Unlisted: the answer to a campaign's message (核对信息), started by the invitation.
        campaign_flow(content.campaigns),
    )
    # Unlisted: close candidates offered by number, common questions and small talk answered.
    return (*flows, front_door_flow(content, menu_of(flows, content.bot)))


def _category_guess(matcher: Callable[[], Matcher]) -> Callable[[str], str | None]:
    def guess(text: str) -> str | None:
        found = matcher().likeliest(text, (REPORT,))
        return found.key if found is not None else None

    return guess


def matcher_of(content: Content, flows: Sequence[Flow], overlay: object = None) -> Matcher:
    """The front door's matcher over everything content (and the overlay) names; built once."""
    entries = entries_of(content, overlay, flows=flows)
    return build_matcher(entries, vocabulary_of(content.understanding))


def build_engine(
    content: Content,
    *,
    timeout_minutes: int,
    flows: Sequence[Flow] | None = None,
    matcher: Callable[[], Matcher] | None = None,
) -> Engine:
    """An engine over the registered flows (or the given ones) and the front door's matcher:
    `matcher` returns the current one (the overlay swaps it), else one is built here, once."""
    built: list[Matcher] = []
    current = matcher or (lambda: built[0])
    chosen = build_flows(content, matcher=current) if flows is None else tuple(flows)
    if matcher is None:
        built.append(matcher_of(content, chosen))
    timeout = timedelta(minutes=timeout_minutes)
    return Engine(chosen, content.bot, timeout=timeout, matcher=current)
