"""security: audit entries carry their sub-district, sign-in attempts per address, sealed numbers, outbox scope

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
import json

from alembic import op
import sqlalchemy as sa
import store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Entries written before this revision get the sub-district of their committee, of the staff
# member who acted, or of the report they are about (reports of no committee keep theirs).
_BACKFILL = (
    "UPDATE audit_entry SET sub_district_id = (SELECT c.sub_district_id FROM committee c "
    "WHERE c.id = audit_entry.committee_id) WHERE committee_id IS NOT NULL",
    "UPDATE audit_entry SET sub_district_id = (SELECT r.sub_district_id FROM report r "
    "WHERE r.reference = audit_entry.object_id) "
    "WHERE sub_district_id IS NULL AND object_type = 'report'",
    "UPDATE audit_entry SET sub_district_id = (SELECT s.sub_district_id FROM staff_user s "
    "WHERE s.id = audit_entry.actor_id) WHERE sub_district_id IS NULL AND actor_id IS NOT NULL",
)
_SQLITE_GUARDS = (
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update")
    else:
        op.execute("DROP TRIGGER audit_entry_no_update")
        op.execute("DROP TRIGGER audit_entry_no_delete")
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sub_district_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_entry_sub_district_id'), ['sub_district_id'], unique=False)
        batch_op.create_foreign_key('fk_audit_entry_sub_district_id', 'sub_district', ['sub_district_id'], ['id'])
    for statement in _BACKFILL:
        op.execute(statement)
    if postgres:
        op.execute("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_update")
    else:
        for statement in _SQLITE_GUARDS:
            op.execute(statement)

    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_address_at', ['address', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_at'), ['at'], unique=False)

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_sealed', sa.Text(), nullable=True))

    # A resident message belongs to the committee (or sub-district) of the record that caused
    # it, so the call list shows staff only their own residents.
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('committee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sub_district_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_committee_id'), ['committee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_sub_district_id'), ['sub_district_id'], unique=False)
    _scope_outbox()


def _scope_outbox() -> None:
    """Messages about a report (status pushes, 回访, notes) belong to that report's scope."""
    bind = op.get_bind()
    outbox = sa.table(
        'outbox_message', sa.column('id', sa.Integer), sa.column('payload', sa.JSON),
        sa.column('committee_id', sa.Integer), sa.column('sub_district_id', sa.Integer),
    )
    report = sa.table(
        'report', sa.column('reference', sa.String), sa.column('committee_id', sa.Integer),
        sa.column('sub_district_id', sa.Integer),
    )
    scopes = {
        reference: (committee_id, sub_district_id)
        for reference, committee_id, sub_district_id in bind.execute(
            sa.select(report.c.reference, report.c.committee_id, report.c.sub_district_id)
        )
    }
    for message_id, payload in bind.execute(sa.select(outbox.c.id, outbox.c.payload)).all():
        if isinstance(payload, str):
            payload = json.loads(payload)
        found = scopes.get((payload or {}).get('report')) if isinstance(payload, dict) else None
        if found is not None:
            bind.execute(
                outbox.update().where(outbox.c.id == message_id)
                .values(committee_id=found[0], sub_district_id=found[1])
            )


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_sub_district_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_committee_id'))
        batch_op.drop_column('sub_district_id')
        batch_op.drop_column('committee_id')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('description_sealed')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempt_at'))
        batch_op.drop_index('ix_login_attempt_address_at')
    op.drop_table('login_attempt')
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        op.execute("DROP TRIGGER audit_entry_no_update")
        op.execute("DROP TRIGGER audit_entry_no_delete")
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_constraint('fk_audit_entry_sub_district_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_entry_sub_district_id'))
        batch_op.drop_column('sub_district_id')
    if not postgres:
        for statement in _SQLITE_GUARDS:
            op.execute(statement)
