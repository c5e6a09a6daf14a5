"""Load the four built-in forms (suggestion, volunteer-signup, member-registration, need)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

The definitions live in app/forms/definitions/*.json and app/workflow/definitions/*.json;
they are inserted once as version 1 of each form and are edited afterwards as data.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

forms = sa.table("forms", sa.column("id", sa.Integer), sa.column("slug", sa.String),
                 sa.column("kind", sa.String), sa.column("public", sa.Boolean),
                 sa.column("submit_scope", sa.String), sa.column("closed", sa.Boolean),
                 sa.column("current_version", sa.Integer), sa.column("created_at", sa.DateTime))
versions = sa.table("form_versions", sa.column("form_id", sa.Integer),
                    sa.column("number", sa.Integer), sa.column("definition", sa.JSON),
                    sa.column("workflow", sa.JSON), sa.column("created_at", sa.DateTime))


def upgrade():
    from app.forms.builtin import builtin_forms

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
    from app.forms.builtin import BUILTIN_SLUGS

    bind = op.get_bind()
    ids = [r[0] for r in bind.execute(sa.select(forms.c.id).where(forms.c.slug.in_(BUILTIN_SLUGS)))]
    if ids:
        bind.execute(versions.delete().where(versions.c.form_id.in_(ids)))
        bind.execute(forms.delete().where(forms.c.id.in_(ids)))
