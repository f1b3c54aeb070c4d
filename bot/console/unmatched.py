"""/console/unmatched (没看懂的话): what residents said that Linli did not understand, grouped by
similarity; a group is added in one step as the wording of a service, a report category, a
common question or a guide topic (the overlay file, effective at once) or ignored — audited.

Sub-district admins only: the log and the overlay belong to the whole installation, not one
committee."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.console.inputs import ConsoleRoute, clean_input, form_id
from bot.console.resident_views import when_local
from bot.console.routes import Csrf, page
from bot.understanding import synonyms
from bot.web.auth import Principal, check_csrf, require_admin
from bot.web.context import AppContext, context_of
from bot.web.db import WriteSession
from config.understanding_overlay import MAX_WORDING
from flows.understanding.intents import FAQ, FLOW, GUIDE, HUMAN, REPORT, SERVICE, SMALLTALK
from store.errors import Refused
from store.staff import audit
from store.understanding import unmatched
from store.understanding.models import IGNORED

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_admin), Depends(clean_input)],
)  # fmt: skip
Admin = Annotated[Principal, Depends(require_admin)]
PAGE = "/console/unmatched"
# The targets a group may be added to, in the order the form lists them.
TARGET_KINDS = (SERVICE, REPORT, FAQ, GUIDE, FLOW, SMALLTALK, HUMAN)
# A group's ids as the form sends them: "12,9,7" (at most MAX_GROUPED of them).
Ids = Annotated[str, Form(max_length=unmatched.MAX_GROUPED * 21)]
Wording = Annotated[str, Form(max_length=MAX_WORDING * 4)]
Label = Annotated[str, Form(max_length=80)]


def _targets(services: AppContext) -> list[tuple[str, list[tuple[str, str]]]]:
    """(kind in words, [(label, title)]) for every intent a wording may be added to."""
    t, matchers = services.content.console, services.understanding
    # Small talk is keyed in English (thanks); staff know it by what residents say.
    said = {s.key: s.variants[0] for s in services.content.understanding.small_talk}
    found: list[tuple[str, list[tuple[str, str]]]] = []
    for kind in TARGET_KINDS:
        intents = [i for i in matchers.intents.values() if i.kind == kind]
        titled = [(i.label, said.get(i.key, i.title) if kind == SMALLTALK else i.title)
                  for i in intents]  # fmt: skip
        if titled:
            found.append((t[f"unm_kind_{kind}"], titled))
    return found


def _page(request: Request, who: Principal, session: Session, **context: Any) -> HTMLResponse:
    services = context_of(request)
    groups = unmatched.groups(session, services.understanding.normalise)
    waiting = unmatched.open_count(session)
    shown = [{"key": ",".join(map(str, g.ids)), "ids": g.ids, "examples": g.examples,
              "count": g.count, "senders": g.senders, "first_seen": g.first_seen,
              "last_seen": g.last_seen, "wording": g.wording} for g in groups]  # fmt: skip
    return page(request, "unmatched.html", who, groups=shown, waiting=waiting,
                limited=waiting > unmatched.MAX_GROUPED, limit=unmatched.MAX_GROUPED,
                targets=_targets(services), ignored=IGNORED, longest=MAX_WORDING,
                when=when_local(services.settings.tz), **context)  # fmt: skip


@router.get("/unmatched", response_class=HTMLResponse)
def unmatched_page(
    request: Request,
    who: Admin,
    session: WriteSession,
    done: Annotated[str | None, Query(max_length=16)] = None,
    label: Annotated[str | None, Query(max_length=80)] = None,
) -> HTMLResponse:
    """The open messages in groups, the largest first, each with its one-step form."""
    services = context_of(request)
    t = services.content.console
    notice = None
    if done == "ignored":
        notice = t.unm_ignored
    elif done == "added" and label in services.understanding.intents:
        titles = {lbl: title for _, intents in _targets(services) for lbl, title in intents}
        notice = t.unm_added.format(title=titles.get(label, ""))
    return _page(request, who, session, notice=notice)


def _ids(given: str) -> list[int] | None:
    """The group's message ids as sent, or None when they cannot be a group's."""
    parts = given.split(",")
    ids = [form_id(part) for part in parts]
    if not given.strip() or len(ids) > unmatched.MAX_GROUPED or None in ids:
        return None
    return [i for i in ids if i is not None]


def _refusal(services: AppContext, refused: Refused, wording: str) -> str:
    """A refusal in the console's words."""
    t = services.content.console
    if refused.code == "taken":
        overlay = services.understanding.current().overlay
        owner = services.understanding.owner(wording, overlay)
        return t.unm_refused_taken.format(wording=wording.strip(),
                                          title=owner.title if owner else "")  # fmt: skip
    if refused.code == "wording_long":
        return t.unm_refused_wording_long.format(longest=MAX_WORDING)
    return t[f"unm_refused_{refused.code}"]


@router.post("/unmatched", response_class=HTMLResponse, response_model=None)
def resolve_group(
    request: Request,
    who: Admin,
    session: WriteSession,
    ids: Ids = "",
    wording: Wording = "",
    label: Label = "",
    token: Csrf = None,
) -> Response:
    """Add the group's wording as a synonym of the chosen intent (or ignore the group): the
    overlay file is written, the messages marked, an audit entry kept."""
    check_csrf(request, who, token)
    services = context_of(request)
    typed = {"ids": ids, "wording": wording, "label": label}
    chosen = _ids(ids)
    now, actor = services.clock(), audit.Actor.of(who.staff)
    try:
        if chosen is None:
            raise Refused("ids", "not a group", code="bad_group")
        if label != IGNORED and label not in services.understanding.intents:
            raise Refused("label", "unknown intent", code="label_unknown")
        with session.begin_nested():  # a refusal keeps nothing of the resolution
            added = None if label == IGNORED else " ".join(wording.split())
            count = unmatched.resolve(session, ids=chosen, label=label, wording=added,
                                      actor=actor, now=now)  # fmt: skip
            if count == 0:
                raise Refused("ids", "resolved already", conflict=True, code="already_resolved")
            if added is not None:
                synonyms.add(services.understanding, added, label, added_by=who.staff.username,
                             now=now)  # fmt: skip
    except Refused as refused:
        problem = _refusal(services, refused, wording)
        return _page(request, who, session, problem=problem, typed=typed)
    if label == IGNORED:
        return RedirectResponse(f"{PAGE}?done=ignored", status_code=303)
    return RedirectResponse(f"{PAGE}?done=added&label={label}", status_code=303)
