"""Session records (cookie sessions that really end) and sign-in throttles per account and
client (a lock that never locks the owner out everywhere)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# Frozen here: the reference cache reads session records like tokens.
TABLES = {"user_sessions": ("UPDATE", "DELETE")}


def trigger_statements(dialect: str) -> list[str]:
    """Writes to TABLES change the reference generation (the function is 0011's)."""
    if dialect == "postgresql":
        statements = []
        for table, ops in TABLES.items():
            events = " OR ".join((*ops, "TRUNCATE"))
            statements += [
                f"DROP TRIGGER IF EXISTS refgen_{table} ON {table}",
                f"CREATE TRIGGER refgen_{table} AFTER {events} "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_generation()"]
        return statements
    fresh = "lower(hex(randomblob(16)))"
    body = (f"UPDATE reference_generation SET value = {fresh} WHERE id = 1; "
            f"INSERT INTO reference_generation (id, value) SELECT 1, {fresh} "
            f"WHERE NOT EXISTS (SELECT 1 FROM reference_generation WHERE id = 1);")
    statements = []
    for table, ops in TABLES.items():
        for op_ in ops:
            name = f"refgen_{table}_{op_.lower()}"
            statements += [f"DROP TRIGGER IF EXISTS {name}",
                           f"CREATE TRIGGER {name} AFTER {op_} ON {table} BEGIN {body} END"]
    return statements


def trigger_names(dialect: str) -> set[str]:
    if dialect == "postgresql":
        return {f"refgen_{table}" for table in TABLES}
    return {f"refgen_{table}_{op_.lower()}" for table, ops in TABLES.items() for op_ in ops}


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
    for statement in trigger_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for name in sorted(trigger_names(dialect)):
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON user_sessions")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index('ix_sign_in_throttles_username', table_name='sign_in_throttles')
    op.drop_table('sign_in_throttles')
    op.drop_index('ix_user_sessions_user_id', table_name='user_sessions')
    op.drop_table('user_sessions')
