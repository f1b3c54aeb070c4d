"""residents registry: dwellings, households (户籍户), residents with sealed numbers, residences, tags, change history

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import store.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dwelling',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('room', sa.String(length=16), nullable=False),
    sa.Column('occupancy', sa.String(length=8), nullable=True),
    sa.ForeignKeyConstraint(['committee_id'], ['committee.id'], ),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('committee_id', 'place_id', 'unit', 'room', name='uq_dwelling')
    )
    with op.batch_alter_table('dwelling', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dwelling_place_id'), ['place_id'], unique=False)

    # The household's head is a resident, and a resident's household a household: the head's
    # key is added once the resident table exists.
    op.create_table('household',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('head_resident_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['committee_id'], ['committee.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('committee_id', 'number', name='uq_household_number')
    )
    op.create_table('resident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('gender', sa.String(length=8), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('id_card_sealed', sa.Text(), nullable=True),
    sa.Column('id_card_hash', sa.String(length=64), nullable=True),
    sa.Column('mobile_sealed', sa.Text(), nullable=True),
    sa.Column('mobile_hash', sa.String(length=64), nullable=True),
    sa.Column('landline_sealed', sa.Text(), nullable=True),
    sa.Column('relation_to_head', sa.String(length=16), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('hukou_status', sa.String(length=16), nullable=True),
    sa.Column('residence_status', sa.String(length=16), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_confirmed_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['committee_id'], ['committee.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.create_index('ix_resident_committee_id_card', ['committee_id', 'id_card_hash'], unique=False)
        batch_op.create_index('ix_resident_committee_mobile', ['committee_id', 'mobile_hash'], unique=False)
        batch_op.create_index('ix_resident_committee_name', ['committee_id', 'name'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_household_id'), ['household_id'], unique=False)

    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_head_resident_id'), ['head_resident_id'], unique=False)
        batch_op.create_foreign_key('fk_household_head_resident_id', 'resident', ['head_resident_id'], ['id'])

    op.create_table('residence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('dwelling_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('moved_in', sa.Date(), nullable=True),
    sa.Column('moved_out', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['dwelling_id'], ['dwelling.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('residence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residence_dwelling_id'), ['dwelling_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residence_resident_id'), ['resident_id'], unique=False)

    op.create_table('resident_tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=32), nullable=False),
    sa.Column('certificate_number_sealed', sa.Text(), nullable=True),
    sa.Column('certificate_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('resident_id', 'tag', name='uq_resident_tag')
    )
    with op.batch_alter_table('resident_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_tag_resident_id'), ['resident_id'], unique=False)

    op.create_table('resident_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.Column('source_kind', sa.String(length=16), nullable=False),
    sa.Column('source_detail', sa.String(length=200), nullable=False),
    sa.Column('at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resident_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_change_resident_id'), ['resident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('resident_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_change_resident_id'))
    op.drop_table('resident_change')
    with op.batch_alter_table('resident_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_tag_resident_id'))
    op.drop_table('resident_tag')
    with op.batch_alter_table('residence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residence_resident_id'))
        batch_op.drop_index(batch_op.f('ix_residence_dwelling_id'))
    op.drop_table('residence')
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_constraint('fk_household_head_resident_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_household_head_resident_id'))
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_household_id'))
        batch_op.drop_index('ix_resident_committee_name')
        batch_op.drop_index('ix_resident_committee_mobile')
        batch_op.drop_index('ix_resident_committee_id_card')
    op.drop_table('resident')
    op.drop_table('household')
    with op.batch_alter_table('dwelling', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dwelling_place_id'))
    op.drop_table('dwelling')
