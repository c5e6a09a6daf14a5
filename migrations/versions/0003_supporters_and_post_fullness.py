"""Me-too supporters, the resource a dispatch names, and when posts fill up

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('full_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reopened_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supporters', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('resource_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_submissions_resource_id', 'resources', ['resource_id'], ['id'])



def downgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_submissions_resource_id', type_='foreignkey')
        batch_op.drop_column('resource_id')
        batch_op.drop_column('supporters')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('reopened_at')
        batch_op.drop_column('full_since')

