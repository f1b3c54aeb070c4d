"""How a report reads to people, the same on console pages, in the API, in Open311, in exports
and in WeCom notices: its category, status, place, handler and reporter."""

from __future__ import annotations

from config.content import Content
from config.report_content import Category
from flows.masking import mask_openid
from store.places.models import Place
from store.reports.models import Report
from store.staff.models import StaffUser


def category(content: Content, key: str) -> Category:
    """A report's category (a retired key reads as `other`, which reports.yaml must have)."""
    try:
        return content.reports.category(key)
    except KeyError:
        return content.reports.category("other")


def category_name(content: Content, key: str) -> str:
    """A category's name (an unknown key reads as 其他)."""
    return category(content, key).name


def status_name(content: Content, status: str) -> str:
    """A status in the committee's words."""
    return content.reports.status(status)


def address(report: Report, place: Place | None) -> str:
    """Where it is as data: the matched place, else what the resident typed ("" if nothing)."""
    return place.name if place is not None else report.place_text


def place_name(content: Content, report: Report, place: Place | None) -> str:
    """Where it is in words: the matched place, what the resident typed, or 未注明地点."""
    return address(report, place) or content.reports.staff.no_place


def handler_name(content: Content, handler: StaffUser | None) -> str:
    """The assigned member of staff, or the committee's staff as a whole."""
    return handler.display_name if handler is not None else content.reports.staff.unassigned


def reporter(report: Report) -> str:
    """The reporter as staff see them: the end of their openid, never all of it."""
    return mask_openid(report.reporter_openid)
