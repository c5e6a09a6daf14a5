"""Each history event carries its submission's node path, for statistics without a join

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    path = sa.String(255).with_variant(sa.String(255, collation='C'), 'postgresql')
    with op.batch_alter_table('submission_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('node_path', path, server_default='', nullable=False))
    op.execute('UPDATE submission_events SET node_path = (SELECT node_path FROM submissions '
               'WHERE submissions.id = submission_events.submission_id)')
    with op.batch_alter_table('submission_events', schema=None) as batch_op:
        batch_op.create_index('ix_events_action_path', ['action', 'node_path', 'at', 'from_state', 'system'],
                              unique=False)
        batch_op.create_index('ix_events_partner_path', ['partner_org_id', 'node_path', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('submission_events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_partner_path')
        batch_op.drop_index('ix_events_action_path')
        batch_op.drop_column('node_path')
