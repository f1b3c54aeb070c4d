"""the not-understood log (没看懂的话): messages that reached the front door's fallback, numbers
masked, until staff add them as an intent's wording or ignore them

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from alembic import op
import sqlalchemy as sa
import store.types

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unmatched_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("received_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_label", sa.String(length=80), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["staff_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("unmatched_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_unmatched_message_open", ["resolved_at", "received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("unmatched_message", schema=None) as batch_op:
        batch_op.drop_index("ix_unmatched_message_open")

    op.drop_table("unmatched_message")
