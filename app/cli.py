"""Flask CLI commands: grid/users import, seed-demo, workflow tick."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.core.clock import parse_iso, system_now
from app.extensions import db
from app.grid.services import ImportError_
from app.grid.services import import_grid
from app.accounts import throttle
from app.accounts.services import import_users
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


def _read(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path} is not UTF-8 (byte {exc.start}); "
                                   "save it from Excel as 'CSV UTF-8'") from None


def _run_import(fn, path: str, what: str) -> None:
    text = _read(path)
    try:
        counts = fn(text)
        db.session.commit()
    except ImportError_ as exc:
        db.session.rollback()
        click.echo(f"error: {path}: line {exc.line}: {exc.reason}", err=True)
        click.echo("nothing was imported", err=True)
        sys.exit(1)
    click.echo(f"{what}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@grid_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def grid_import(path):
    """Import grid nodes from CSV (code,name,level,parent_code). All or nothing."""
    _run_import(import_grid, path, "grid")


@users_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def users_import(path):
    """Import users and roles from CSV. All or nothing; re-import adds missing roles."""
    _run_import(import_users, path, "users")


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
