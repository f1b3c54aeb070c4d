"""registry imports: sheet imports with progress, conflicts left for staff, accepted flags

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
import store.types
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('registry_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=200), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('counts', _json(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('mapping', _json(), nullable=False),
    sa.Column('decisions', _json(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sheet_removed_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['committee_id'], ['committee.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('registry_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_import_committee_id'), ['committee_id'], unique=False)

    op.create_table('registry_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('sheet_value', sa.Text(), nullable=True),
    sa.Column('sheet_value_sealed', sa.Text(), nullable=True),
    sa.Column('source_detail', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['committee.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['import_id'], ['registry_import.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('registry_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_conflict_committee_id'), ['committee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registry_conflict_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registry_conflict_resident_id'), ['resident_id'], unique=False)

    op.create_table('resident_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('accepted_by', sa.Integer(), nullable=True),
    sa.Column('source_detail', sa.String(length=200), nullable=False),
    sa.Column('given', sa.String(length=200), nullable=True),
    sa.Column('at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('resident_id', 'field', name='uq_resident_flag')
    )
    with op.batch_alter_table('resident_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_flag_resident_id'), ['resident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('resident_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_flag_resident_id'))
    op.drop_table('resident_flag')
    with op.batch_alter_table('registry_conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_conflict_resident_id'))
        batch_op.drop_index(batch_op.f('ix_registry_conflict_import_id'))
        batch_op.drop_index(batch_op.f('ix_registry_conflict_committee_id'))
    op.drop_table('registry_conflict')
    with op.batch_alter_table('registry_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_import_committee_id'))
    op.drop_table('registry_import')
