"""Load the four built-in forms (suggestion, volunteer-signup, member-registration, need)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Each form is inserted once as version 1 and edited afterwards as data. The rows are frozen in
migrations/frozen/0002_builtin_forms.json: each form's definition and workflow exactly as
app/forms/definitions/*.json and app/workflow/definitions/*.json made them when this revision
was written. The app's files may change; what this revision inserts does not (a changed
built-in form reaches existing databases through a new revision).
"""
import json
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ROWS = Path(__file__).resolve().parent.parent / "frozen" / "0002_builtin_forms.json"
SLUGS = ("suggestion", "volunteer-signup", "member-registration", "need")

forms = sa.table("forms", sa.column("id", sa.Integer), sa.column("slug", sa.String),
                 sa.column("kind", sa.String), sa.column("public", sa.Boolean),
                 sa.column("submit_scope", sa.String), sa.column("closed", sa.Boolean),
                 sa.column("current_version", sa.Integer), sa.column("created_at", sa.DateTime))
versions = sa.table("form_versions", sa.column("form_id", sa.Integer),
                    sa.column("number", sa.Integer), sa.column("definition", sa.JSON),
                    sa.column("workflow", sa.JSON), sa.column("created_at", sa.DateTime))


def builtin_forms() -> list[dict]:
    """Each built-in form: its row values and its first version's definition and workflow."""
    return json.loads(ROWS.read_text(encoding="utf-8"))


def upgrade():
    bind = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for item in builtin_forms():
        exists = bind.execute(sa.select(forms.c.id).where(forms.c.slug == item["slug"])).first()
        if exists:
            continue
        bind.execute(forms.insert().values(
            slug=item["slug"], kind=item["kind"], public=item["public"],
            submit_scope=item["submit_scope"], closed=False, current_version=1, created_at=now))
        form_id = bind.execute(sa.select(forms.c.id).where(forms.c.slug == item["slug"])).scalar_one()
        bind.execute(versions.insert().values(form_id=form_id, number=1,
                                              definition=item["definition"],
                                              workflow=item["workflow"], created_at=now))


def downgrade():
    bind = op.get_bind()
    ids = [r[0] for r in bind.execute(sa.select(forms.c.id).where(forms.c.slug.in_(SLUGS)))]
    if ids:
        bind.execute(versions.delete().where(versions.c.form_id.in_(ids)))
        bind.execute(forms.delete().where(forms.c.id.in_(ids)))
