"""The application factory, configuration and migrations."""
import os
import sqlite3
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from app import create_app
from app.config import ConfigError
from app.core import refcache
from app.core.database import PAGE_SIZE
from app.stats import tallies
from app.extensions import db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_factory_builds_independent_apps(tmp_path):
    a = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db", "TESTING": True})
    b = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/b.db", "TESTING": True})
    assert a is not b and a.config["SQLALCHEMY_DATABASE_URI"] != b.config["SQLALCHEMY_DATABASE_URI"]


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.setenv("TONGXIN_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "a-real-production-secret-value")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_unknown_database_scheme_is_refused():
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "mysql://x/y"})


def test_plain_postgresql_url_uses_psycopg(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_default_database_is_sqlite_in_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "sqlite:///" + os.path.join(app.instance_path, "tongxin.db"))


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite-only pragma check (this run uses another database)")
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        # The app's connections checkpoint by themselves outside the writers' queue
        # (QueuedConnection); SQLite's own checkpoint, inside a COMMIT, is the backstop.
        assert db.session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 40000


def test_postgresql_plans_every_statement_for_its_values(app):
    """psycopg prepares a statement that a connection ran five times; PostgreSQL's generic
    plan for it then ignored the values (a captain's inbox read all their own submissions:
    docs/performance.md, round 7). Here a statement prepared and run ten times is still
    planned for the value it is given."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's prepared statements (this run uses SQLite)")
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PREPARE waiting (text) AS "
                                 "SELECT count(*) FROM submissions WHERE tier = $1")
            for _ in range(10):
                conn.exec_driver_sql("EXECUTE waiting ('captain')")
            plan = "\n".join(row[0] for row in conn.exec_driver_sql(
                "EXPLAIN EXECUTE waiting ('captain')"))
            conn.exec_driver_sql("DEALLOCATE waiting")
        assert "'captain'" in plan and "$1" not in plan, plan


def _small_pages_and_wal(url: str) -> None:
    """2 KiB pages: a submission's commit copies every page it wrote (docs/performance.md)."""
    raw = sqlite3.connect(url.removeprefix("sqlite:///"))
    assert raw.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 2048
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


def test_new_sqlite_databases_get_small_pages(tmp_path):
    """A database made by create_all; one made by the migrations is checked in
    test_migrations_match_the_models (one `db upgrade` for both)."""
    url = f"sqlite:///{tmp_path}/created.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
    _small_pages_and_wal(url)


def test_passwords_are_hashed_with_scrypt_by_default(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/h.db"})
    from app.accounts.models import User
    with app.app_context():
        user = User()
        user.set_password("a-long-pass-1")
        assert user.password_hash.startswith("scrypt:")
        assert user.check_password("a-long-pass-1")


def _upgrade(url: str) -> None:
    env = dict(os.environ, DATABASE_URL=url)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def _fresh_url(app, tmp_path) -> str:
    """An empty database of the same kind as the suite's."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp_path}/migrated.db"
    base, _, name = url.rpartition("/")
    fresh = f"{name}_migrations_check"   # one per suite database: suites may run side by side
    admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{fresh}"'))
        conn.execute(text(f'CREATE DATABASE "{fresh}"'))
    admin.dispose()
    return f"{base}/{fresh}"


def test_migrations_match_the_models(app, tmp_path):
    """`db upgrade` from nothing, then autogenerate must find no difference."""
    url = _fresh_url(app, tmp_path)
    _upgrade(url)
    if url.startswith("sqlite"):
        _small_pages_and_wal(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
        forms = conn.execute(text("SELECT slug FROM forms ORDER BY slug")).scalars().all()
        dialect = conn.dialect.name
        triggers = set(conn.execute(text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal" if dialect == "postgresql"
            else "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
        generation = conn.execute(text("SELECT value FROM reference_generation")).scalars().all()
        statistics = set(conn.execute(text("SELECT stxname FROM pg_statistic_ext")).scalars()
                         ) if dialect == "postgresql" else None
    engine.dispose()
    assert diff == []
    # The reference cache is only as good as these triggers (a migration that recreates a
    # watched table must make them again).
    assert refcache.trigger_names(dialect) <= triggers
    assert tallies.trigger_names(dialect) <= triggers   # the statistics' running counts
    assert len(generation) == 1 and len(generation[0]) == 32
    # The inbox's walk is only chosen on PostgreSQL with statistics on its path expression.
    assert statistics is None or "st_submissions_path_walk" in statistics
    assert forms == ["member-registration", "need", "suggestion", "volunteer-signup"]


def test_database_down_answers_503_in_the_error_shape(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                      "TESTING": True})
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503
    r = client.get("/api/v1/forms")
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "unavailable"


@pytest.mark.committed
def test_sqlite_backup_command(runner, app, people, tmp_path):
    import sqlite3

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        result = runner.invoke(args=["backup", str(tmp_path / "x.db")])
        assert result.exit_code != 0 and "pg_dump" in result.output
        return
    target = tmp_path / "copy.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == len(people)


def test_sqlite_writers_queue_and_a_thread_never_waits_for_itself(app):
    """QueuedConnection (app/core/database.py): a second writer waits in the queue and goes
    on the moment the first commits; a thread writing through two connections at once is
    not queued behind itself (SQLite's busy timeout answers instead of a hang)."""
    import sqlite3
    import threading

    from app.core.database import QueuedConnection

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's write queue (this run uses another database)")
        engine = db.engine
    first, second = engine.raw_connection(), engine.raw_connection()
    try:
        one, two = first.driver_connection, second.driver_connection
        assert isinstance(one, QueuedConnection) and isinstance(two, QueuedConnection)
        one.begin_immediate()
        two.execute("PRAGMA busy_timeout=50")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            two.begin_immediate()                      # same thread: no self-deadlock
        entered = threading.Event()

        def other_writer():
            conn = engine.raw_connection()
            try:
                conn.driver_connection.begin_immediate()
                entered.set()
                conn.driver_connection.rollback()
            finally:
                conn.close()

        thread = threading.Thread(target=other_writer)
        thread.start()
        assert not entered.wait(0.3)                   # queued behind the open transaction
        one.rollback()
        assert entered.wait(10)                        # and in as soon as it ended
        thread.join()
    finally:
        first.close()
        second.close()


def test_sqlite_checkpoints_run_after_the_writers_queue_is_let_go(tmp_path, monkeypatch):
    """A connection copies the WAL back into the database every CHECKPOINT_EVERY writes of
    its own, after its commit has let the other writers in: SQLite's automatic checkpoint
    ran inside the COMMIT, with every writer queued behind it."""
    import fcntl

    from app.core import database

    monkeypatch.setattr(database, "CHECKPOINT_EVERY", 3)
    seen = []

    class Watched(database.QueuedConnection):
        def execute(self, sql, *args):
            if sql.startswith("PRAGMA wal_checkpoint"):
                other = os.open(self._queue_path, os.O_RDWR)   # as another writer would
                try:
                    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    seen.append("queue free")
                except BlockingIOError:
                    seen.append("queue held")
                finally:
                    os.close(other)
            return super().execute(sql, *args)

    conn = Watched(str(tmp_path / "c.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    for i in range(7):
        conn.begin_immediate()
        conn.execute("INSERT INTO t VALUES (?)", (i,))
        conn.commit()
        conn.execute("SELECT count(*) FROM t").fetchone()   # reads are not counted
        conn.commit()
    assert seen == ["queue free", "queue free"]           # after the 3rd and the 6th write
    busy, wal_pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and copied == wal_pages
    conn.close()
    assert sqlite3.connect(tmp_path / "c.db").execute("SELECT count(*) FROM t").fetchone()[0] == 7


def test_a_failed_checkpoint_never_fails_the_committed_write(tmp_path, monkeypatch):
    from app.core import database

    monkeypatch.setattr(database, "CHECKPOINT_EVERY", 1)

    class Failing(database.QueuedConnection):
        def execute(self, sql, *args):
            if sql.startswith("PRAGMA wal_checkpoint"):
                raise sqlite3.OperationalError("database is locked")
            return super().execute(sql, *args)

    conn = Failing(str(tmp_path / "f.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.begin_immediate()
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()                                          # no error: the row is stored
    conn.begin_immediate()                                 # and the queue was let go
    conn.rollback()
    conn.close()
    assert sqlite3.connect(tmp_path / "f.db").execute("SELECT count(*) FROM t").fetchone()[0] == 1
