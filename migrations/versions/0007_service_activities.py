"""Service activities: public sign-up of residents, attendance, the partner serving

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activity_signups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('post_id', 'phone', name='uq_activity_signup_phone')
    )
    with op.batch_alter_table('activity_signups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_signups_post_id'), ['post_id'], unique=False)

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('partner_org_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('place', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('public_signup', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('resident_capacity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('residents_signed', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('residents_served', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('held_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key('fk_posts_partner_org_id', 'orgs', ['partner_org_id'], ['id'])



def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint('fk_posts_partner_org_id', type_='foreignkey')
        batch_op.drop_column('held_at')
        batch_op.drop_column('residents_served')
        batch_op.drop_column('residents_signed')
        batch_op.drop_column('resident_capacity')
        batch_op.drop_column('public_signup')
        batch_op.drop_column('place')
        batch_op.drop_column('partner_org_id')

    with op.batch_alter_table('activity_signups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_signups_post_id'))

    op.drop_table('activity_signups')
