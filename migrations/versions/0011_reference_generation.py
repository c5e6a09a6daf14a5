"""Reference generation: one value that changes whenever users, roles, tokens, grid nodes or
forms change, so that processes may cache those rows (app/core/refcache.py)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29

The trigger DDL is frozen here as app/core/refcache.py wrote it at this revision; a later
revision that watches more tables, or changes the triggers, writes its own.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# Table → the writes that change the generation.
TABLES = {
    "users": ("UPDATE", "DELETE"),
    "api_tokens": ("UPDATE", "DELETE"),
    "role_assignments": ("INSERT", "UPDATE", "DELETE"),
    "grid_nodes": ("INSERT", "UPDATE", "DELETE"),
    "forms": ("INSERT", "UPDATE", "DELETE"),
    "form_versions": ("INSERT", "UPDATE", "DELETE"),
}


def trigger_statements(dialect: str) -> list[str]:
    """The DDL that makes writes to TABLES change the generation."""
    if dialect == "postgresql":
        statements = ["""
            CREATE OR REPLACE FUNCTION bump_reference_generation() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO reference_generation (id, value)
                VALUES (1, md5(random()::text || clock_timestamp()::text))
                ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value;
                RETURN NULL;
            END $$"""]
        for table, ops in TABLES.items():
            events = " OR ".join((*ops, "TRUNCATE"))
            statements += [
                f"DROP TRIGGER IF EXISTS refgen_{table} ON {table}",
                f"CREATE TRIGGER refgen_{table} AFTER {events} "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_generation()"]
        return statements
    # SQLite: row triggers. An UPDATE, then an INSERT only if the row is missing.
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
    op.create_table('reference_generation',
                    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('value', sa.String(length=40), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.execute(sa.text("INSERT INTO reference_generation (id, value) VALUES (1, :value)")
               .bindparams(value=secrets.token_hex(16)))
    for statement in trigger_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for name in sorted(trigger_names(dialect)):
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {name.removeprefix('refgen_')}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bump_reference_generation()")
    op.drop_table('reference_generation')
