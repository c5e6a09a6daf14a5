"""A post may be for holders of one role only (a party-member captain post: `member`)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("posts", sa.Column("required_role", sa.String(length=32), nullable=True))


def downgrade():
    op.drop_column("posts", "required_role")
