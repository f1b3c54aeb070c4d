"""The console as a staff member uses it: sign in, change password, add a colleague, read the
audit log; forms need their CSRF token; secrets never reach the logs or the database file."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.main import create_app
from store.db import make_engine, unit_of_work
from store.migrate import upgrade
from store.staff import sessions as staff_sessions
from tests.chat import settings_for
from tests.production import PRODUCTION_SECRETS
from tests.staff_helpers import NOW, PASSWORD, create_staff, token_for

NEW_PASSWORD = "a brand new passphrase"
COLLEAGUE_PASSWORD = "colleague passphrase 1"
CONTENT = Path(__file__).resolve().parents[3] / "config" / "content" / "zh-CN"


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the form carries a CSRF token"
    return found.group(1)


def _sign_in(client: TestClient, username: str, password: str) -> str:
    form = client.get("/console/login")
    answer = client.post("/console/login", data={
        "username": username, "password": password, "csrf_token": _csrf(form.text)},
        follow_redirects=False)  # fmt: skip
    return answer.headers.get("location", "")


def test_an_admin_signs_in_adds_a_colleague_and_sees_it_in_the_audit_log(
    database: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    create_staff(database, "admin", role="subdistrict_admin", committee=None)
    create_staff(database, "clerk", committee="东风社区居委会")
    client = TestClient(create_app(settings_for(database), database=database))
    with caplog.at_level(logging.DEBUG):
        assert _sign_in(client, "admin", "wrong password") == "/console/login?failed=1"
        assert _sign_in(client, "admin", PASSWORD) == "/console"
        home = client.get("/console")
        assert "admin，您好" in home.text and "街道管理员" in home.text
        staff_page = client.get("/console/staff")
        committee_id = re.search(r'<option value="(\d+)">东风社区居委会', staff_page.text)
        assert committee_id
        added = client.post("/console/staff", data={
            "username": "grid7", "display_name": "李网格", "role": "grid_worker",
            "committee_id": committee_id.group(1), "password": COLLEAGUE_PASSWORD,
            "csrf_token": _csrf(staff_page.text)})  # fmt: skip
        assert "已添加工作人员" in added.text and "李网格" in added.text
        audit = client.get("/console/audit?action=staff.create")
        assert audit.text.count("staff.create") >= 3  # admin, clerk and grid7
        exported = client.get("/console/audit.csv?actor=admin")
        assert exported.headers["content-type"].startswith("text/csv")
        assert "grid7" in exported.text and "clerk" not in exported.text.split("\n", 1)[1]
    other = TestClient(create_app(settings_for(database), database=database))
    assert _sign_in(other, "grid7", COLLEAGUE_PASSWORD) == "/console"
    assert other.get("/console/staff", follow_redirects=False).status_code == 403
    for secret in (PASSWORD, COLLEAGUE_PASSWORD):
        assert secret not in caplog.text


def test_a_form_without_its_csrf_token_is_refused(database: Engine) -> None:
    create_staff(database, "clerk")
    client = TestClient(create_app(settings_for(database), database=database))
    assert _sign_in(client, "clerk", PASSWORD) == "/console"
    refused = client.post("/console/account", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD})  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["field"] == "csrf_token"
    login_without = client.post("/console/login", data={"username": "clerk", "password": PASSWORD})
    assert login_without.status_code == 403


def test_changing_the_password_and_signing_out(database: Engine) -> None:
    create_staff(database, "clerk")
    client = TestClient(create_app(settings_for(database), database=database))
    _sign_in(client, "clerk", PASSWORD)
    page = client.get("/console/account")
    weak = client.post("/console/account", data={"current_password": PASSWORD,
                       "new_password": "short", "csrf_token": _csrf(page.text)})  # fmt: skip
    assert "没有保存：new_password at least 10 characters" in weak.text
    done = client.post("/console/account", data={"current_password": PASSWORD,
                       "new_password": NEW_PASSWORD, "csrf_token": _csrf(page.text)})  # fmt: skip
    assert "密码已修改" in done.text
    out = client.post("/console/logout", data={"csrf_token": _csrf(page.text)},
                      follow_redirects=False)  # fmt: skip
    assert out.headers["location"] == "/console/login"
    assert client.get("/console", follow_redirects=False).status_code == 303
    fresh = TestClient(create_app(settings_for(database), database=database))
    assert _sign_in(fresh, "clerk", PASSWORD) == "/console/login?failed=1"
    assert _sign_in(fresh, "clerk", NEW_PASSWORD) == "/console"


def test_the_session_cookie_is_httponly_and_secure_in_production(database: Engine) -> None:
    create_staff(database, "clerk")
    settings = settings_for(database, **PRODUCTION_SECRETS)
    client = TestClient(create_app(settings, database=database), base_url="https://linli.test")
    form = client.get("/console/login")
    answer = client.post("/console/login", data={"username": "clerk", "password": PASSWORD,
                         "csrf_token": _csrf(form.text)}, follow_redirects=False)  # fmt: skip
    cookie = answer.headers["set-cookie"]
    assert "linli_session=" in cookie
    assert all(flag in cookie.lower() for flag in ("httponly", "secure", "samesite=lax"))


def test_no_password_or_token_is_stored_in_plaintext(tmp_path: Path) -> None:
    database = make_engine(f"sqlite:///{tmp_path / 'grep.db'}")
    upgrade(database)
    create_staff(database, "clerk")
    client = TestClient(create_app(settings_for(database), database=database))
    _sign_in(client, "clerk", PASSWORD)
    session_secret = client.cookies.get("linli_session") or ""
    with unit_of_work(database) as session:
        token = staff_sessions.issue_token(session, create_staff(database, "robot"), "x", NOW)
    database.dispose()
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("grep.db*"))
    assert session_secret and token
    for secret in (PASSWORD, session_secret, token):
        assert secret.encode() not in stored


def test_a_clerk_issues_an_api_token_uses_it_and_revokes_it(
    database: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    create_staff(database, "clerk")
    client = TestClient(create_app(settings_for(database), database=database))
    _sign_in(client, "clerk", PASSWORD)
    page = client.get("/console/account")
    issued = client.post("/console/account/tokens",
                         data={"name": "导出脚本", "csrf_token": _csrf(page.text)})  # fmt: skip
    secret = re.search(r"<code>(lnl_[^<]+)</code>", issued.text)
    assert secret and "只显示这一次" in issued.text
    api = TestClient(create_app(settings_for(database), database=database))
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    assert api.get("/api/v1/me", headers=bearer).json()["username"] == "clerk"
    again = client.get("/console/account")
    assert secret.group(1) not in again.text  # shown once only
    token_id = re.search(r"/console/account/tokens/(\d+)/revoke", again.text)
    assert token_id
    client.post(f"/console/account/tokens/{token_id.group(1)}/revoke",
                data={"csrf_token": _csrf(again.text)})  # fmt: skip
    assert api.get("/api/v1/me", headers=bearer).status_code == 401
    assert "已作废" in client.get("/console/account").text
    assert secret.group(1) not in caplog.text


def _wording(key: str) -> str:
    content = yaml.safe_load((CONTENT / "console.yaml").read_text(encoding="utf-8"))
    return content[key]


def test_a_password_change_signs_out_everywhere_else_and_revokes_tokens(database: Engine) -> None:
    clerk = create_staff(database, "clerk")
    bearer = token_for(database, clerk)
    app = create_app(settings_for(database), database=database)
    here, laptop = TestClient(app), TestClient(app)
    _sign_in(here, "clerk", PASSWORD)
    _sign_in(laptop, "clerk", PASSWORD)
    assert laptop.get("/api/v1/me", headers=bearer).status_code == 200
    page = here.get("/console/account")
    done = here.post("/console/account", data={"current_password": PASSWORD,
                     "new_password": NEW_PASSWORD, "csrf_token": _csrf(page.text)})  # fmt: skip
    told = _wording("signed_out_elsewhere").format(sessions=1, tokens=1)
    assert "密码已修改" in done.text and told in done.text
    assert here.get("/console/account", follow_redirects=False).status_code == 200
    assert laptop.get("/console/account", follow_redirects=False).status_code == 303
    assert TestClient(app).get("/api/v1/me", headers=bearer).status_code == 401


def test_disabling_ends_sessions_and_tokens_for_good(database: Engine) -> None:
    create_staff(database, "admin", role="subdistrict_admin", committee=None)
    clerk = create_staff(database, "clerk")
    bearer = token_for(database, clerk)
    app = create_app(settings_for(database), database=database)
    admin, browser = TestClient(app), TestClient(app)
    _sign_in(admin, "admin", PASSWORD)
    _sign_in(browser, "clerk", PASSWORD)
    for change in ("disable", "enable"):
        page = admin.get("/console/staff")
        admin.post(f"/console/staff/{clerk.id}/{change}", data={"csrf_token": _csrf(page.text)})
    assert browser.get("/console", follow_redirects=False).status_code == 303
    assert TestClient(app).get("/api/v1/me", headers=bearer).status_code == 401
    assert _sign_in(browser, "clerk", PASSWORD) == "/console"  # re-enabled: signs in anew


def test_signing_in_again_ends_the_session_the_browser_held(database: Engine) -> None:
    create_staff(database, "clerk")
    create_staff(database, "grid2", role="grid_worker")
    client = TestClient(create_app(settings_for(database), database=database))
    _sign_in(client, "clerk", PASSWORD)
    first = client.cookies.get("linli_session") or ""
    _sign_in(client, "grid2", PASSWORD)
    assert first and client.cookies.get("linli_session") not in ("", first)
    with unit_of_work(database) as session:
        assert staff_sessions.staff_for_session(session, first, NOW) is None
