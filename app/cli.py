"""Flask CLI commands: grid/users import, seed-demo, workflow tick."""
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.core.clock import parse_iso, system_now
from app.extensions import db
from app.accounts import importer
from app.accounts import throttle
from app.accounts.sessions import prune_sessions
from app.core.database import refresh_statistics, truncate_wal
from app.stats import tallies
from app.submissions import export_jobs, retention
from app.submissions.timers import run_tick
from app.notifications.reminders import run_reminders
from app.demo.seed import database_is_empty, load_demo

grid_cli = AppGroup("grid", help="Grid nodes.")
users_cli = AppGroup("users", help="Users and role assignments.")
workflow_cli = AppGroup("workflow", help="Workflow timers.")


def _cli_lang() -> str:
    """The terminal's language: Chinese under a zh locale (LANG=zh_CN.UTF-8), else English."""
    for name in ("TONGXIN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _run_import(kind: str, path: str) -> None:
    """Check every row of the file; list every problem (row, column, reason) and change
    nothing, or write it all."""
    lang = _cli_lang()
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None
    try:
        plan = importer.plan_file(kind, data, path)
    except importer.SheetError as exc:
        click.echo(f"error: {path}: {exc.message[lang]}", err=True)
        sys.exit(1)
    if not plan.ok:
        db.session.rollback()
        for problem in plan.problems:
            click.echo(f"error: {path}: " + problem.text(
                lang, importer.column_label(kind, problem.column, lang)), err=True)
        click.echo("文件有误，什么都没有导入" if lang == "zh" else "nothing was imported", err=True)
        sys.exit(1)
    counts, generated = importer.apply_plan(plan)
    db.session.commit()
    for name, username, password in generated:
        click.echo(f"generated password for {username}: {password}  ({name})")
    click.echo(f"{kind}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@grid_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def grid_import(path):
    """Import grid nodes from CSV or .xlsx (code,name,level,parent_code; Chinese headers and
    level names accepted). All or nothing: every bad row is listed."""
    _run_import("grid", path)


@users_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def users_import(path):
    """Import users and roles from CSV or .xlsx (Chinese headers and role names accepted).
    All or nothing; re-import adds missing roles. Generated passwords are printed once."""
    _run_import("users", path)


@workflow_cli.command("tick")
@click.option("--now", "now_text", default=None, help="ISO 8601 time to evaluate timers at")
def workflow_tick(now_text):
    """Apply every timed transition due at --now (default: now). Safe to run twice.

    It also folds the changes of the statistics' running counts into them, and on SQLite
    refreshes the query planner's statistics of tables that outgrew them."""

    try:
        now = parse_iso(now_text) if now_text else system_now()
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {now_text}", param_hint="--now") from None
    previous = current_app.config.get("CLOCK")
    current_app.config["CLOCK"] = lambda: now
    try:
        result = run_tick(now)
        reminded = run_reminders(now)
    finally:
        current_app.config["CLOCK"] = previous
    click.echo(f"workflow tick at {now.isoformat()}Z: applied {result['applied']}, "
               f"skipped {result['skipped']}")
    if any(reminded.values()):
        click.echo("reminders: " + ", ".join(f"{k} {v}" for k, v in reminded.items()))
    folded = tallies.compact(db.session)
    if folded:
        click.echo(f"statistics tallies: {folded} changes folded")
    analysed = refresh_statistics(db.session)
    if analysed:
        click.echo(f"planner statistics refreshed: {', '.join(analysed)}")
    pruned = prune_sessions()
    throttle.prune()
    erased = retention.erase_expired(now)
    if erased:
        click.echo(f"residents' contact details erased (retention): {erased} letters")
    expired = export_jobs.remove_expired(now)
    if expired:
        click.echo(f"expired exports removed: {expired}")
    db.session.commit()
    if pruned:
        click.echo(f"ended sessions removed: {pruned}")
    checkpoint = truncate_wal(db.session)
    if checkpoint is not None:
        click.echo(f"SQLite WAL checkpointed and truncated (busy, log, checkpointed: "
                   f"{', '.join(map(str, checkpoint))})")


@click.command("seed-demo")
@with_appcontext
@click.option("--force", is_flag=True, help="Load even if the database already has data")
@click.option("--if-empty", is_flag=True, help="Do nothing (exit 0) if the database has data")
def seed_demo(force, if_empty):
    """Load the demo grid, users, posts and resources documented in README."""

    if if_empty and not database_is_empty():
        click.echo("The database already has data; the demo was not loaded.")
        return
    if not force and not database_is_empty():
        click.echo("The database is not empty; use --force to load the demo anyway.", err=True)
        sys.exit(1)
    summary = load_demo()
    db.session.commit()
    click.echo("demo loaded: " + ", ".join(f"{k} {v}" for k, v in summary.items()))


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
def backup(path):
    """Copy the SQLite database to PATH while it is in use (SQLite's online backup API).
    For PostgreSQL use pg_dump (README)."""
    import sqlite3

    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise click.ClickException("backup is for SQLite; on PostgreSQL use pg_dump -Fc")
    source = sqlite3.connect(engine.url.database)
    target = sqlite3.connect(path)
    try:
        with target:
            source.backup(target)
    finally:
        source.close()
        target.close()
    click.echo(f"backed up {engine.url.database} to {path}")


def register_cli(app) -> None:
    app.cli.add_command(backup)
    app.cli.add_command(grid_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(workflow_cli)
    app.cli.add_command(seed_demo)
