"""Planner statistics: PostgreSQL statistics on the subtree walk's path expression; SQLite's
first ANALYZE (`flask workflow tick` keeps both current afterwards)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        if bind.dialect.server_version_info >= (14,):
            op.execute("CREATE STATISTICS IF NOT EXISTS st_submissions_path_walk "
                       "ON ((node_path || '')) FROM submissions")
            op.execute("ANALYZE submissions")
    else:
        op.execute("PRAGMA analysis_limit=10000")   # a sample: see refresh_statistics
        op.execute("ANALYZE")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_submissions_path_walk")
