"""Reference generation: one value that changes whenever users, roles, tokens, grid nodes or
forms change, so that processes may cache those rows (app/core/refcache.py)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29

"""
import secrets

from alembic import op
import sqlalchemy as sa

from app.core.refcache import trigger_names, trigger_statements


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# Frozen here: a later migration that watches more tables calls trigger_statements again.
TABLES = {
    "users": ("UPDATE", "DELETE"),
    "api_tokens": ("UPDATE", "DELETE"),
    "role_assignments": ("INSERT", "UPDATE", "DELETE"),
    "grid_nodes": ("INSERT", "UPDATE", "DELETE"),
    "forms": ("INSERT", "UPDATE", "DELETE"),
    "form_versions": ("INSERT", "UPDATE", "DELETE"),
}


def upgrade():
    op.create_table('reference_generation',
                    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('value', sa.String(length=40), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.execute(sa.text("INSERT INTO reference_generation (id, value) VALUES (1, :value)")
               .bindparams(value=secrets.token_hex(16)))
    for statement in trigger_statements(op.get_bind().dialect.name, TABLES):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for name in sorted(trigger_names(dialect, TABLES)):
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {name.removeprefix('refgen_')}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bump_reference_generation()")
    op.drop_table('reference_generation')
