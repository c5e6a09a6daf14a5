"""Session records (cookie sessions that really end) and sign-in throttles per account and
client (a lock that never locks the owner out everywhere)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa

from app.core.refcache import trigger_names, trigger_statements


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# Frozen here: the reference cache reads session records like tokens.
TABLES = {"user_sessions": ("UPDATE", "DELETE")}


def upgrade():
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('sid_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sid_hash'))
    op.create_index('ix_user_sessions_user_id', 'user_sessions', ['user_id'])
    op.create_table(
        'sign_in_throttles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=150), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failed_at', sa.DateTime(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username', 'client', name='uq_sign_in_throttle'))
    op.create_index('ix_sign_in_throttles_username', 'sign_in_throttles', ['username'])
    for statement in trigger_statements(op.get_bind().dialect.name, TABLES):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for name in sorted(trigger_names(dialect, TABLES)):
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON user_sessions")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index('ix_sign_in_throttles_username', table_name='sign_in_throttles')
    op.drop_table('sign_in_throttles')
    op.drop_index('ix_user_sessions_user_id', table_name='user_sessions')
    op.drop_table('user_sessions')
