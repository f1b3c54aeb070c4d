"""service records (办事): checklists given, applications made in chat with their timeline,
and the per-day application counter

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_application_counter",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "checklist_given",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("committee_id", sa.Integer(), nullable=True),
        sa.Column("sub_district_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "missing",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committee.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["resident.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sub_district_id"],
            ["sub_district.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("checklist_given", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checklist_given_committee_id"), ["committee_id"], unique=False
        )
        batch_op.create_index(
            "ix_checklist_given_service_created", ["service", "created_at"], unique=False
        )

    op.create_table(
        "service_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("committee_id", sa.Integer(), nullable=True),
        sa.Column("sub_district_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("fields_sealed", sa.Text(), nullable=False),
        sa.Column(
            "fields_shown",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["staff_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committee.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["resident.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sub_district_id"],
            ["sub_district.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("service_application", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_application_committee_status", ["committee_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_service_application_openid"), ["openid"], unique=False)
        batch_op.create_index(
            "ix_service_application_service_created", ["service", "created_at"], unique=False
        )

    op.create_table(
        "service_application_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["staff_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["service_application.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("service_application_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_application_event_application_id"),
            ["application_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("service_application_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_application_event_application_id"))

    op.drop_table("service_application_event")
    with op.batch_alter_table("service_application", schema=None) as batch_op:
        batch_op.drop_index("ix_service_application_service_created")
        batch_op.drop_index(batch_op.f("ix_service_application_openid"))
        batch_op.drop_index("ix_service_application_committee_status")

    op.drop_table("service_application")
    with op.batch_alter_table("checklist_given", schema=None) as batch_op:
        batch_op.drop_index("ix_checklist_given_service_created")
        batch_op.drop_index(batch_op.f("ix_checklist_given_committee_id"))

    op.drop_table("checklist_given")
    op.drop_table("service_application_counter")
