"""没看懂的话: what residents said that Linli did not understand reaches sub-district admins in
groups of like wordings; one step adds a group's wording as a service's (or a category's, a
question's…) and the very next resident who says it is understood — in this web worker and in
any other — with no restart; a wording already another's is refused in words; each step is
audited and a group dealt with leaves the list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from config.understanding_overlay import load_overlay
from store.staff.models import AuditEntry
from store.understanding.models import IGNORED, UnmatchedMessage
from tests.chat import WORDS, Chat, open_chat, settings_for
from tests.staff_helpers import PASSWORD, create_staff

PAGE = "/console/unmatched"
UNCOVERED = "屋企冇钱开饭"  # Cantonese: no money at home to put food on the table (低保)
DIBAO = "service:dibao"
NOT_UNDERSTOOD = WORDS.bot.not_understood
T = WORDS.console


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _signed_in(app: object, username: str) -> TestClient:
    client = TestClient(app)  # type: ignore[arg-type]
    form = client.get("/console/login").text
    client.post("/console/login", data={"username": username, "password": PASSWORD,
                                        "csrf_token": _csrf(form)})  # fmt: skip
    return client


def _group_ids(page: str, example: str) -> str:
    """The ids field of the group whose examples hold `example`."""
    for card in re.findall(r'<li id="unmatched-\d+">(.*?)</li>', page, re.S):
        if f"「{example}」" in card:
            found = re.search(r'name="ids" value="([^"]+)"', card)
            assert found
            return found.group(1)
    raise AssertionError(f"no group shows {example}")


def _resident(chat: Chat, openid: str, text: str) -> str | None:
    chat.openid = openid
    return chat.says(text)


@pytest.fixture
def chat(database: Engine, tmp_path: Path) -> Chat:
    """An app whose overlay file is the test's own; an admin, a clerk; three residents said
    UNCOVERED (or nearly), one said something else Linli did not understand either."""
    create_staff(database, "admin", role="subdistrict_admin", committee=None)
    create_staff(database, "clerk")
    talk = open_chat(database, overlay_path=tmp_path / "overlay.yaml")
    said = [("o_resident_0001", UNCOVERED), ("o_resident_0002", UNCOVERED),
            ("o_resident_0003", f"{UNCOVERED}啊"), ("o_resident_0004", "嘟嘟嘟嘀嘀")]  # fmt: skip
    for openid, text in said:
        assert NOT_UNDERSTOOD in (_resident(talk, openid, text) or "")
    return talk


def _open(database: Engine) -> list[UnmatchedMessage]:
    with Session(database) as session:
        query = select(UnmatchedMessage).where(UnmatchedMessage.resolved_at == None)  # noqa: E711
        return list(session.exec(query))


def _audited(database: Engine, action: str) -> list[AuditEntry]:
    with Session(database) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))


def test_admins_see_like_wordings_grouped_the_largest_first(chat: Chat) -> None:
    admin = _signed_in(chat.client.app, "admin")
    page = admin.get(PAGE)
    assert page.status_code == 200
    assert T.unm_count.format(count=4, groups=2) in page.text
    assert f'<a href="{PAGE}">{T.nav_unmatched}</a>' in page.text
    first, second = re.findall(r'<li id="unmatched-\d+">(.*?)</li>', page.text, re.S)
    assert T.unm_times.format(count=3, senders=3) in first
    assert f"「{UNCOVERED}」" in first and f"「{UNCOVERED}啊」" in first
    assert f'name="wording" maxlength="60" value="{UNCOVERED}"' in first
    assert "「嘟嘟嘟嘀嘀」" in second
    dibao = WORDS.services.by_key["dibao"].name
    assert f'<option value="{DIBAO}">{dibao}</option>' in first
    assert f'<option value="{IGNORED}">{T.unm_ignore}</option>' in first
    assert "o_resident_0001" not in page.text


def test_committee_staff_do_not_see_the_page(chat: Chat) -> None:
    clerk = _signed_in(chat.client.app, "clerk")
    assert clerk.get(PAGE).status_code == 403
    assert T.nav_unmatched not in clerk.get("/console").text


def test_a_group_added_as_a_services_wording_is_understood_at_the_next_message(
    chat: Chat, tmp_path: Path, database: Engine
) -> None:
    other_worker = open_chat(database, overlay_path=tmp_path / "overlay.yaml")
    admin = _signed_in(chat.client.app, "admin")
    page = admin.get(PAGE).text
    done = admin.post(PAGE, data={"csrf_token": _csrf(page), "ids": _group_ids(page, UNCOVERED),
                                  "wording": f" {UNCOVERED} ", "label": DIBAO})  # fmt: skip
    dibao = WORDS.services.by_key["dibao"].name
    assert done.status_code == 200 and T.unm_added.format(title=dibao) in done.text
    assert f"「{UNCOVERED}」" not in done.text and "「嘟嘟嘟嘀嘀」" in done.text
    assert [m.text for m in _open(database)] == ["嘟嘟嘟嘀嘀"]
    [kept] = load_overlay(tmp_path / "overlay.yaml").synonyms
    assert (kept.wording, kept.label, kept.added_by) == (UNCOVERED, DIBAO, "admin")
    [entry] = _audited(database, "unmatched.synonym")
    assert entry.actor == "admin" and entry.after == {
        "label": DIBAO, "messages": 3, "wording": UNCOVERED}  # fmt: skip

    for talk in (chat, other_worker):  # this worker, and one that only sees the file change
        reply = _resident(talk, "o_resident_0005", UNCOVERED) or ""
        assert NOT_UNDERSTOOD not in reply and dibao in reply
        talk.says("菜单")
    assert [m.text for m in _open(database)] == ["嘟嘟嘟嘀嘀"]  # understood: nothing new logged


def test_a_restarted_app_still_understands_the_added_wording(
    chat: Chat, tmp_path: Path, database: Engine
) -> None:
    admin = _signed_in(chat.client.app, "admin")
    page = admin.get(PAGE).text
    admin.post(PAGE, data={"csrf_token": _csrf(page), "ids": _group_ids(page, UNCOVERED),
                           "wording": UNCOVERED, "label": DIBAO})  # fmt: skip
    restarted = open_chat(database, overlay_path=tmp_path / "overlay.yaml")
    reply = _resident(restarted, "o_resident_0006", UNCOVERED) or ""
    assert WORDS.services.by_key["dibao"].name in reply


def test_a_wording_another_item_already_has_is_refused_in_words(
    chat: Chat, tmp_path: Path, database: Engine
) -> None:
    admin = _signed_in(chat.client.app, "admin")
    page = admin.get(PAGE).text
    taken = WORDS.services.by_key["dibao"].name
    refused = admin.post(PAGE, data={"csrf_token": _csrf(page), "ids": _group_ids(page, UNCOVERED),
                                     "wording": taken, "label": "report:noise"})  # fmt: skip
    assert refused.status_code == 200
    assert T.unm_refused_taken.format(wording=taken, title=taken) in refused.text
    assert f'value="{taken}"' in refused.text  # what was typed stays in its form
    assert len(_open(database)) == 4 and not (tmp_path / "overlay.yaml").exists()
    assert _audited(database, "unmatched.synonym") == []


@pytest.mark.parametrize(
    ("wording", "label", "key"),
    [
        ("", DIBAO, "unm_refused_wording_empty"),
        (UNCOVERED, "", "unm_refused_label_unknown"),
        (UNCOVERED, "service:no_such_service", "unm_refused_label_unknown"),
    ],
)
def test_an_incomplete_form_is_refused_in_words(
    chat: Chat, tmp_path: Path, database: Engine, wording: str, label: str, key: str
) -> None:
    admin = _signed_in(chat.client.app, "admin")
    page = admin.get(PAGE).text
    refused = admin.post(PAGE, data={"csrf_token": _csrf(page), "ids": _group_ids(page, UNCOVERED),
                                     "wording": wording, "label": label})  # fmt: skip
    assert refused.status_code == 200 and T[key] in refused.text
    assert len(_open(database)) == 4 and not (tmp_path / "overlay.yaml").exists()


def test_a_group_ignored_leaves_the_list_and_adds_no_wording(
    chat: Chat, tmp_path: Path, database: Engine
) -> None:
    admin = _signed_in(chat.client.app, "admin")
    page = admin.get(PAGE).text
    ids = _group_ids(page, "嘟嘟嘟嘀嘀")
    done = admin.post(PAGE, data={"csrf_token": _csrf(page), "ids": ids, "wording": "嘟嘟嘟嘀嘀",
                                  "label": IGNORED})  # fmt: skip
    assert T.unm_ignored in done.text and "「嘟嘟嘟嘀嘀」" not in done.text
    assert not (tmp_path / "overlay.yaml").exists()
    [entry] = _audited(database, "unmatched.ignore")
    assert entry.after == {"label": IGNORED, "messages": 1}
    again = admin.post(PAGE, data={"csrf_token": _csrf(done.text), "ids": ids,
                                   "wording": "嘟嘟嘟嘀嘀", "label": IGNORED})  # fmt: skip
    assert T.unm_refused_already_resolved in again.text
    assert len(_audited(database, "unmatched.ignore")) == 1


def test_ids_that_are_no_group_are_refused_in_words(chat: Chat) -> None:
    admin = _signed_in(chat.client.app, "admin")
    page = admin.get(PAGE).text
    for ids in ("", "1,x", ",".join(["1"] * 2001)):
        refused = admin.post(PAGE, data={"csrf_token": _csrf(page), "ids": ids,
                                         "wording": UNCOVERED, "label": DIBAO})  # fmt: skip
        assert refused.status_code == 200 and T.unm_refused_bad_group in refused.text


def test_with_nothing_waiting_the_page_says_so(database: Engine) -> None:
    create_staff(database, "admin", role="subdistrict_admin", committee=None)
    app = create_app(settings_for(database), database=database)
    assert T.unm_none in _signed_in(app, "admin").get(PAGE).text
