"""residents in WeChat: bindings (self and family proxy), bind attempts, registrations, self-reports

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
import store.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# One resident has at most one WeChat user bound as themselves (store/binding/models.py).
ONE_SELF = "kind = 'self' AND status = 'active'"


def upgrade() -> None:
    op.create_table('bind_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('matched', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.Column('name_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['committee_id'], ['committee.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bind_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_bind_attempt_at', ['at'], unique=False)
        batch_op.create_index('ix_bind_attempt_name_hash_at', ['name_hash', 'at'], unique=False)
        batch_op.create_index('ix_bind_attempt_openid_at', ['openid', 'at'], unique=False)

    op.create_table('resident_binding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('relation', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=True),
    sa.Column('requested_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('ended_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['committee_id'], ['committee.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resident_binding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_binding_openid'), ['openid'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_binding_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index('ix_resident_binding_status_kind', ['status', 'kind'], unique=False)
        batch_op.create_index('uq_resident_binding_one_self', ['resident_id'], unique=True,
                              sqlite_where=sa.text(ONE_SELF), postgresql_where=sa.text(ONE_SELF))

    op.create_table('resident_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('mobile_sealed', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('room', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['committee_id'], ['committee.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resident_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_registration_openid'), ['openid'], unique=False)
        batch_op.create_index('ix_resident_registration_status', ['status'], unique=False)

    op.create_table('resident_self_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('by_proxy', sa.Boolean(), nullable=False),
    sa.Column('field', sa.String(length=24), nullable=False),
    sa.Column('value_sealed', sa.Text(), nullable=False),
    sa.Column('shown', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resident_self_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_self_report_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index('ix_resident_self_report_status', ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('resident_self_report', schema=None) as batch_op:
        batch_op.drop_index('ix_resident_self_report_status')
        batch_op.drop_index(batch_op.f('ix_resident_self_report_resident_id'))

    op.drop_table('resident_self_report')
    with op.batch_alter_table('resident_registration', schema=None) as batch_op:
        batch_op.drop_index('ix_resident_registration_status')
        batch_op.drop_index(batch_op.f('ix_resident_registration_openid'))

    op.drop_table('resident_registration')
    with op.batch_alter_table('resident_binding', schema=None) as batch_op:
        batch_op.drop_index('uq_resident_binding_one_self')
        batch_op.drop_index('ix_resident_binding_status_kind')
        batch_op.drop_index(batch_op.f('ix_resident_binding_resident_id'))
        batch_op.drop_index(batch_op.f('ix_resident_binding_openid'))

    op.drop_table('resident_binding')
    with op.batch_alter_table('bind_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_bind_attempt_openid_at')
        batch_op.drop_index('ix_bind_attempt_name_hash_at')
        batch_op.drop_index('ix_bind_attempt_at')

    op.drop_table('bind_attempt')
