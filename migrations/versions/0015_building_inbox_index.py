"""The (tier, node_path) index carries the waiting order too: a building's inbox walks it in
order and stops after a page instead of reading and sorting every waiting row

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # Plain op.create_index, not batch mode: SQLite keeps the table (and its triggers).
    op.drop_index("ix_submissions_tier_path", table_name="submissions")
    op.create_index("ix_submissions_tier_path", "submissions", ["tier", "node_path", "state_since", "id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA analysis_limit=10000")   # a sample: see refresh_statistics
        op.execute("ANALYZE submissions")


def downgrade():
    op.drop_index("ix_submissions_tier_path", table_name="submissions")
    op.create_index("ix_submissions_tier_path", "submissions", ["tier", "node_path"])
