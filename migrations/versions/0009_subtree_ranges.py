"""Subtree ranges that use the indexes; seconds to resolve and a covering index for statistics

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

Subtree filters are ranges over the materialised path (app/core/paths.py). On SQLite the
default BINARY collation already orders paths byte by byte; on PostgreSQL the column takes
the "C" collation whatever the database's own is (indexes on it are rebuilt by the ALTER).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

COLUMNS = [('grid_nodes', 'path'), ('submissions', 'node_path'), ('posts', 'node_path'),
           ('resources', 'node_path'), ('point_entries', 'node_path'), ('notices', 'node_path'),
           ('meetings', 'node_path')]


def _retype(collation):
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=sa.String(255, collation=collation),
                        existing_nullable=False)


def upgrade():
    _retype('C')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolve_seconds', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        seconds = 'CAST(EXTRACT(EPOCH FROM resolved_at - created_at) AS INTEGER)'
    else:
        seconds = 'CAST((julianday(resolved_at) - julianday(created_at)) * 86400 AS INTEGER)'
    op.execute(f'UPDATE submissions SET resolve_seconds = {seconds} WHERE resolved_at IS NOT NULL')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_stats', ['node_path', 'form_id', 'state', 'created_at',
                                                       'resolve_seconds'], unique=False)
        batch_op.create_index('ix_submissions_resolve', ['resolve_seconds', 'node_path', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_resolve')
        batch_op.drop_index('ix_submissions_stats')
        batch_op.drop_column('resolve_seconds')
    _retype(None)
