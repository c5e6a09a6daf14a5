"""Notice board: notices published to a subtree and captains' relay confirmations

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('grid_node_id', sa.Integer(), nullable=False),
    sa.Column('node_path', sa.String(length=255), nullable=False),
    sa.Column('photo_id', sa.String(length=36), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['grid_node_id'], ['grid_nodes.id'], ),
    sa.ForeignKeyConstraint(['photo_id'], ['uploads.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_node_path'), ['node_path'], unique=False)

    op.create_table('notice_relays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('grid_node_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['grid_node_id'], ['grid_nodes.id'], ),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('notice_id', 'user_id', 'grid_node_id', name='uq_notice_relay')
    )
    with op.batch_alter_table('notice_relays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_relays_notice_id'), ['notice_id'], unique=False)



def downgrade():
    with op.batch_alter_table('notice_relays', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_relays_notice_id'))

    op.drop_table('notice_relays')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_node_path'))

    op.drop_table('notices')
