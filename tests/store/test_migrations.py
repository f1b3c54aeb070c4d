"""The schema comes only from migrations, and the models agree with them."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from store.db import make_engine
from store.migrate import upgrade


def test_models_and_migrations_do_not_drift(database: Engine) -> None:
    with database.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_migrations_build_every_table(database: Engine) -> None:
    tables = set(inspect(database).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_revision_0005_gives_old_audit_entries_and_messages_their_scope(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0004")
    now = "2026-11-01 02:00:00"
    with engine.begin() as db:
        db.execute(
            text("INSERT INTO sub_district (id, name) VALUES (1, '示例街道'), (2, '别的街道')")
        )
        db.execute(text("INSERT INTO committee (id, sub_district_id, name) VALUES (1, 1, '东风')"))
        db.execute(
            text(
                "INSERT INTO staff_user (id, username, display_name, password_hash, role, "
                "sub_district_id, committee_id, disabled, failed_logins, created_at, "
                "password_changed_at) VALUES (1, 'admin2', 'a', 'x', 'subdistrict_admin', 2, NULL, "
                f"0, 0, '{now}', '{now}')"
            )
        )
        db.execute(
            text(
                "INSERT INTO report (id, reference, committee_id, sub_district_id, category, "
                "urgent, description, answers, source, place_text, status, created_at, "
                "updated_at, reopened) VALUES (1, 'BS-20261101-0001', NULL, 1, 'other', 0, 'd', "
                f"'[]', 'wechat', '', 'submitted', '{now}', '{now}', 0)"
            )
        )
        entries = [
            ("report.create", "report", "BS-20261101-0001", "NULL", "NULL"),  # no committee
            ("place.create", "place", "7", "1", "NULL"),  # a committee's
            ("api_token.revoke", "api_token", "3", "NULL", "1"),  # an admin's own
        ]
        for action, kind, object_id, committee, actor in entries:
            db.execute(
                text(
                    "INSERT INTO audit_entry (at, actor_id, actor, action, object_type, object_id, "
                    f"committee_id) VALUES ('{now}', {actor}, 'x', '{action}', '{kind}', "
                    f"'{object_id}', {committee})"
                )
            )
        db.execute(
            text(
                "INSERT INTO outbox_message (idempotency_key, audience, recipient, kind, payload, "
                "urgent, status, attempts, next_attempt_at, created_at) VALUES ('k1', 'resident', "
                "'o_1', 'status_update', '{\"report\": \"BS-20261101-0001\"}', 0, "
                f"'unreachable', 1, '{now}', '{now}')"
            )
        )
    upgrade(engine)
    with engine.connect() as db:
        scoped = db.execute(text("SELECT action, sub_district_id FROM audit_entry ORDER BY id"))
        assert scoped.all() == [("report.create", 1), ("place.create", 1), ("api_token.revoke", 2)]
        message = db.execute(text("SELECT committee_id, sub_district_id FROM outbox_message"))
        assert message.one() == (None, 1)
