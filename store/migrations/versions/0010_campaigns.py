"""confirmation campaigns (核对信息): campaigns and their targets, one per resident asked

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from alembic import op
import sqlalchemy as sa
import store.types
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column(
            "filter",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminder_after_days", sa.Integer(), nullable=False),
        sa.Column("reminded_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committee.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_committee_id"), ["committee_id"], unique=False
        )

    op.create_table(
        "campaign_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("via", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["resident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "resident_id", name="uq_campaign_target"),
    )
    with op.batch_alter_table("campaign_target", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_target_campaign_status", ["campaign_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_campaign_target_openid_status", ["openid", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaign_target_resident_id"), ["resident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_target_resident_id"))
        batch_op.drop_index("ix_campaign_target_openid_status")
        batch_op.drop_index("ix_campaign_target_campaign_status")

    op.drop_table("campaign_target")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_committee_id"))

    op.drop_table("campaign")
