"""Migrations are frozen: a revision does today what it did when it was written.

A revision that imported the app (its built-in forms, its trigger SQL) changed with the app;
each now carries its own data and SQL (migrations/frozen/ holds the larger data). Only
migrations/env.py may import the app, for the models' metadata.
"""
import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from app.extensions import db
from app.forms.builtin import builtin_forms
from tests.test_app import ROOT, _fresh_url, _upgrade

MIGRATIONS = Path(ROOT) / "migrations"


def _imported_modules(tree: ast.AST):
    """Every module a file imports, at any depth: import statements, importlib and __import__."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or "")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.args[0].value


def test_no_revision_imports_the_app():
    files = sorted(p for p in MIGRATIONS.rglob("*.py") if p.name != "env.py")
    assert any(p.parent.name == "versions" for p in files)
    offending = {}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names = [m for m in _imported_modules(tree)
                 if m.split(".")[0] in ("app", "wsgi") or m.startswith(".")]
        if names:
            offending[str(path.relative_to(ROOT))] = names
    assert offending == {}


def test_the_import_check_sees_imports_inside_functions():
    tree = ast.parse("def upgrade():\n    from app.forms.builtin import builtin_forms\n"
                     "    import app.core\n    importlib.import_module('app.stats')\n")
    assert list(_imported_modules(tree)) == ["app.forms.builtin", "app.core", "app.stats"]


def _upgrade_then_downgrade_to_base(url: str) -> None:
    """One process for both (each `flask db` call starts the app anew)."""
    script = ("from flask_migrate import downgrade, upgrade\n"
              "from wsgi import app\n"
              "with app.app_context():\n"
              "    upgrade()\n"
              "    downgrade(revision='base')\n")
    env = dict(os.environ, DATABASE_URL=url)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr


def _leftovers(conn) -> dict:
    """What the schema holds besides Alembic's own table."""
    left = {"tables": sorted(set(inspect(conn).get_table_names()) - {"alembic_version"})}
    if conn.dialect.name == "postgresql":
        left["functions"] = conn.execute(text(
            "SELECT proname FROM pg_proc JOIN pg_namespace n ON n.oid = pronamespace "
            "WHERE nspname = 'public'")).scalars().all()
        left["statistics"] = conn.execute(text("SELECT stxname FROM pg_statistic_ext")).scalars().all()
        left["sequences"] = conn.execute(text(
            "SELECT relname FROM pg_class WHERE relkind = 'S'")).scalars().all()
    else:
        left["other"] = conn.execute(text(
            "SELECT type || ' ' || name FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%' AND tbl_name != 'alembic_version'")).scalars().all()
    return left


def _builtin_forms_at(conn) -> list[dict]:
    rows = conn.execute(text(
        "SELECT f.slug, f.kind, f.public, f.submit_scope, v.definition, v.workflow FROM forms f "
        "JOIN form_versions v ON v.form_id = f.id AND v.number = f.current_version "
        "ORDER BY f.id")).all()
    def loads(value):   # text on SQLite, parsed by the driver on PostgreSQL
        return json.loads(value) if isinstance(value, str) else value

    return [{"slug": slug, "kind": kind, "public": bool(public), "submit_scope": scope,
             "definition": loads(definition), "workflow": loads(workflow)}
            for slug, kind, public, scope, definition, workflow in rows]


@pytest.mark.slow
def test_downgrade_to_base_and_upgrade_again_match_the_models(app, tmp_path):
    """Head, down to nothing, head again: the schema equals the models', and the built-in
    forms a database gets equal the ones the test fixtures load (app/forms/builtin.py)."""
    url = _fresh_url(app, tmp_path)
    _upgrade_then_downgrade_to_base(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        emptied = _leftovers(conn)
    engine.dispose()
    assert all(not names for names in emptied.values()), emptied

    _upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                db.metadata)
        forms = _builtin_forms_at(conn)
    engine.dispose()
    assert diff == []
    # A built-in form changed in app/ reaches databases only through a new revision.
    assert forms == builtin_forms()
