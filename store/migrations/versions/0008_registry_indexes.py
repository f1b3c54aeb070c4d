"""registry search indexes: a resident's name found by any part of it on PostgreSQL

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Names are searched for any part of them (LIKE '%王秀%'), which no B-tree serves, and Chinese
# names are two or three characters, too short for trigrams. A GIN index on the name's characters
# finds the rows holding every character typed; LIKE then checks their order. SQLite has no
# such index and scans the committee's names (store/registry/search.py adds the test only on
# PostgreSQL).
NAME_CHARS = 'ix_resident_name_chars'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            f'CREATE INDEX {NAME_CHARS} ON resident USING gin (string_to_array(name, NULL))'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP INDEX {NAME_CHARS}')

