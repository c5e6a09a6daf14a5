"""Partial indexes on columns that are mostly NULL (partner unit, post, resolve time);
indexes for lists filtered by form or by state alone, newest first

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# (table, index, columns, the column that must be set)
INDEXES = [
    ("submissions", "ix_submissions_partner", ["partner_org_id", "id"], "partner_org_id"),
    ("submissions", "ix_submissions_post", ["post_id", "state", "id"], "post_id"),
    ("submissions", "ix_submissions_resolve", ["resolve_seconds", "node_path", "created_at"], "resolve_seconds"),
    ("submission_events", "ix_events_partner_path", ["partner_org_id", "node_path", "at"], "partner_org_id"),
]


def upgrade():
    # Plain op.create_index, not batch mode: SQLite keeps the table (and its triggers).
    for table, name, columns, column in INDEXES:
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)
    op.create_index("ix_submissions_form_id", "submissions", ["form_id", "id"])
    op.create_index("ix_submissions_state_id", "submissions", ["state", "id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA analysis_limit=10000")   # a sample: see refresh_statistics
        op.execute("ANALYZE")


def downgrade():
    op.drop_index("ix_submissions_state_id", table_name="submissions")
    op.drop_index("ix_submissions_form_id", table_name="submissions")
    for table, name, columns, _column in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
