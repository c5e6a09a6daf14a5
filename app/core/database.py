"""Database engine behaviour shared by SQLite and PostgreSQL."""
import fcntl
import os
import sqlite3
import threading

from flask import current_app, g, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from app.core import watchdog

_holding = threading.local()   # paths whose write queue this thread holds


class QueuedConnection(sqlite3.Connection):
    """A SQLite connection whose writers queue in the kernel before asking SQLite.

    SQLite makes a writer that finds the write lock taken retry from its busy handler, which
    sleeps 1, 2, 5, 10 … 100 ms between tries: under load, workers spent most of their time
    in those sleeps while the lock was free. Here a writer first takes an exclusive flock on
    "<database>-writers" (every connection has its own, so threads and processes queue
    alike) and is woken the moment the last one is done; SQLite's own lock is then free.
    The flock is held from BEGIN IMMEDIATE until COMMIT or ROLLBACK has completed.

    Checkpoints (copying the WAL back into the database file) run after the flock is let
    go: SQLite's automatic checkpoint runs inside the COMMIT that fills the WAL past
    `wal_autocheckpoint` pages, and every other writer queued behind it meanwhile. At a
    million submissions a checkpoint reads and writes thousands of pages scattered over the
    file and syncs it. A passive checkpoint never waits for, nor blocks, a writer.
    """

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._queue_path = os.path.abspath(os.fspath(database)) + "-writers"
        self._queue_fd = os.open(self._queue_path, os.O_RDWR | os.O_CREAT, 0o600)
        self._queued: set | None = None
        self._writes = 0   # write transactions committed since this connection's checkpoint

    def begin_immediate(self) -> None:
        held = getattr(_holding, "paths", None)
        if held is None:
            held = _holding.paths = set()
        # A thread that already writes through another connection must not wait for itself:
        # it goes straight to SQLite (whose busy timeout then ends the wait).
        if self._queued is None and self._queue_path not in held:
            fcntl.flock(self._queue_fd, fcntl.LOCK_EX)
            self._queued = held   # the queueing thread's set, wherever the release happens
            held.add(self._queue_path)
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._leave_queue()
            raise

    def _leave_queue(self) -> None:
        if self._queued is not None:
            self._queued.discard(self._queue_path)
            self._queued = None
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)

    def commit(self):
        wrote = self._queued is not None
        try:
            super().commit()
        finally:
            self._leave_queue()
        if wrote:
            self._writes += 1
            if self._writes >= CHECKPOINT_EVERY:
                self._writes = 0
                try:
                    self.execute("PRAGMA wal_checkpoint(PASSIVE)").close()
                except sqlite3.Error:
                    pass   # the write is committed; the next checkpoint (or SQLite's) catches up

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._leave_queue()

    def close(self):
        try:
            super().close()
        finally:
            self._leave_queue()
            os.close(self._queue_fd)


def engine_options(uri: str, options: dict, config: dict | None = None) -> dict:
    """Engine options for this database: timeouts that turn a database that does not answer
    into a 503 (DB_CONNECT_TIMEOUT, DB_STATEMENT_TIMEOUT_MS on PostgreSQL; DB_BUSY_TIMEOUT_MS
    on SQLite), and QueuedConnections for SQLite files."""
    config = config or {}
    connect_args = dict(options.get("connect_args") or {})
    if uri.startswith("postgresql"):
        connect_args.setdefault("connect_timeout", int(config.get("DB_CONNECT_TIMEOUT", 5)))
        statement_ms = int(config.get("DB_STATEMENT_TIMEOUT_MS", 10_000))
        if statement_ms > 0 and "options" not in connect_args:
            connect_args["options"] = f"-c statement_timeout={statement_ms}"
        return dict(options, connect_args=connect_args)
    if not uri.startswith("sqlite:"):
        return options
    # sqlite3's `timeout` is SQLite's busy timeout: how long a statement waits for a lock.
    connect_args.setdefault("timeout", int(config.get("DB_BUSY_TIMEOUT_MS", 30_000)) / 1000)
    if not uri.startswith("sqlite:///") or ":memory:" in uri:
        return dict(options, connect_args=connect_args)
    # A file's connection does not drop like a server's: no ping before each checkout.
    return dict(options, pool_pre_ping=False,
                connect_args=dict(connect_args, factory=QueuedConnection))


def allow_long_statements(db) -> None:
    """This transaction may run statements up to DB_EXPORT_STATEMENT_TIMEOUT_MS (exports)."""

    if db.engine.dialect.name == "postgresql":
        ms = int(current_app.config.get("DB_EXPORT_STATEMENT_TIMEOUT_MS", 60_000))
        db.session.execute(text(f"SET LOCAL statement_timeout = {ms}"))
        watchdog.allow_longer(db.session.connection(), ms / 1000 + 5)


# The WAL file is cut back to this size whenever a checkpoint resets it (SQLite keeps the
# largest size it ever reached otherwise); `workflow tick` truncates it to nothing.
JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024


def truncate_wal(session) -> tuple | None:
    """SQLite: checkpoint the whole WAL into the database and truncate the file to zero
    bytes, if no reader holds it back (busy, log pages, checkpointed pages); None elsewhere."""
    engine = session.get_bind()
    if engine.dialect.name != "sqlite" or not isinstance(engine, Engine):
        return None   # a session bound to one connection holds its transaction open (tests)
    session.commit()
    # Outside any transaction (a checkpoint inside one finds its own tables locked).
    connection = engine.raw_connection()
    try:
        row = connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    return tuple(row) if row else None


PAGE_SIZE = 2048   # bytes, for new SQLite databases (see _sqlite_on_connect)
# A connection checkpoints after this many of its write transactions (QueuedConnection).
# A submission writes about 24 pages: with two workers, each checkpointing after its own
# 400, the WAL holds 5,000–10,000 pages at a checkpoint (SQLite's own came at 10,000).
CHECKPOINT_EVERY = 400


def _is_sqlite(dbapi_connection) -> bool:
    return isinstance(dbapi_connection, sqlite3.Connection)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    """WAL, foreign keys, a busy timeout, and transactions that we begin ourselves.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; we turn it off
    and emit BEGIN in the "begin" hook below (the recipe from SQLAlchemy's SQLite notes).
    """
    if not _is_sqlite(dbapi_connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # A new database gets 2 KiB pages (an existing one keeps its own: only VACUUM changes it).
    # A submission writes one leaf page of each of its ~20 indexes and tables, and the commit
    # copies every page it wrote into the WAL: with half the page, inserting and committing a
    # submission took 0.19 ms instead of 0.30 ms at 100,000 rows (docs/performance.md, round
    # 5). Must come before WAL mode, which fixes the page size of a new file.
    cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The commit that fills the WAL past this many pages copies it into the database and
    # syncs: every 1,000 pages (SQLite's default; a submission writes about 20) that was
    # every 50th submission. Every 10,000 pages coalesces the pages written again and again
    # between checkpoints: 776 → 898 submissions/s in alternating runs. A QueuedConnection
    # checkpoints by itself, outside the writers' queue, before that (CHECKPOINT_EVERY):
    # this is the backstop, for other connections and a WAL that a reader held back.
    cursor.execute("PRAGMA wal_autocheckpoint="
                   + ("40000" if isinstance(dbapi_connection, QueuedConnection) else "10000"))
    cursor.close()


@event.listens_for(Engine, "connect")
def _postgresql_on_connect(dbapi_connection, connection_record):
    """PostgreSQL plans every statement for its values.

    psycopg prepares a statement on the server once a connection has run it five times, and
    PostgreSQL may then plan it once for any values (a generic plan). Our reads depend on
    their values — a tier, a path, a user with 60,000 submissions or none — and a generic
    plan took the wrong index: a captain's inbox read all 60,712 of their own submissions to
    find none waiting for them (30 ms against 0.05 ms). A prepared statement still saves
    the parsing."""
    if _is_sqlite(dbapi_connection) or not hasattr(dbapi_connection, "prepare_threshold"):
        return
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    """Writes take SQLite's write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes fails at once with "database is locked"
    when another writer committed in between; taking the lock first makes concurrent writers
    queue on busy_timeout instead. Safe (GET/HEAD) requests read without the lock.
    """
    if conn.dialect.name != "sqlite":
        return
    # Straight to the driver: every request begins a transaction, and SQLAlchemy's
    # statement machinery cost more than the BEGIN.
    dbapi_connection = conn.connection.driver_connection
    if has_request_context() and (request.method in ("GET", "HEAD", "OPTIONS") or (
            _reads_first() and not g.get("writing"))):
        dbapi_connection.execute("BEGIN")
    else:
        _begin_immediate(dbapi_connection)


def _begin_immediate(dbapi_connection) -> None:
    if isinstance(dbapi_connection, QueuedConnection):
        dbapi_connection.begin_immediate()
    else:
        dbapi_connection.execute("BEGIN IMMEDIATE")


# Writes that read a lot first (authentication, form, grid and routing lookups, validation)
# and then write a couple of rows. Holding the write lock through all of it would make every
# other writer wait for the reading too: such a view is marked @reads_first, reads in a plain
# transaction and calls write_phase() just before it writes.
def reads_first(view):
    """Mark a view that reads first and calls write_phase() before its first write."""
    view.reads_first = True
    return view


def _reads_first() -> bool:
    """Whether the request's view is marked @reads_first."""
    return getattr(current_app.view_functions.get(request.endpoint), "reads_first", False)


def write_phase(db) -> None:
    """End the read transaction (nothing was written in it), so that the next statement
    begins with the write lock taken (BEGIN IMMEDIATE). Loaded objects stay loaded.
    Only for a @reads_first view; elsewhere the transaction writes from its BEGIN."""
    if g.get("writing") or not _reads_first():
        return
    g.writing = True
    if db.engine.dialect.name != "sqlite":
        return
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("write_phase() after a write: the read phase must only read")
    if not session.in_transaction():
        return   # nothing read yet: the first statement begins as a writer (g.writing)
    # SQLite's read transaction ends and its write transaction begins under the same
    # SQLAlchemy transaction: the session has nothing to flush and keeps its objects
    # loaded, and its commit at the end of the request commits the write. (Through the
    # session this was a commit and a new begin: 0.1 ms more for every submission.)
    dbapi_connection = session.connection().connection.driver_connection
    dbapi_connection.commit()
    _begin_immediate(dbapi_connection)


class DriverStatement:
    """A Core statement compiled once and run straight on the driver's cursor.

    For the hottest write (one submission: POST /submissions), SQLAlchemy's execution layer —
    the compiled-cache lookup, parameter set-up, the result object — cost more than SQLite's
    INSERT itself. The SQL and every parameter's conversion are still SQLAlchemy's, for the
    connection's dialect; only the execution is done here. It runs on the given Connection,
    in its transaction; engine events (before_cursor_execute) do not see it.
    """

    def __init__(self, statement, column_keys=None):
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys else None
        self._compiled = (None, None)   # (dialect, (sql, [(name, processor)], positional))

    def _for(self, dialect):
        compiled_for, found = self._compiled
        if compiled_for is not dialect:
            options = {"column_keys": self.column_keys} if self.column_keys else {}
            compiled = self.statement.compile(dialect=dialect, **options)
            bind_of = {name: bind for bind, name in compiled.bind_names.items()}
            names = compiled.positiontup if compiled.positional else list(bind_of)
            params = [(name, bind_of[name].type.dialect_impl(dialect).bind_processor(dialect))
                      for name in names]
            found = (compiled.string, params, compiled.positional)
            self._compiled = (dialect, found)
        return found

    def execute(self, connection, values: dict) -> list[tuple]:
        """Execute with `values` (by parameter name); the rows it returns, if any. The
        driver's errors are raised as SQLAlchemy's (IntegrityError …), as Core would."""
        dialect = connection.dialect
        sql, params, positional = self._for(dialect)
        converted = [(name, values[name] if convert is None else convert(values[name]))
                     for name, convert in params]
        args = tuple(value for _name, value in converted) if positional else dict(converted)
        cursor = connection.connection.driver_connection.cursor()
        try:
            cursor.execute(sql, args)
            return cursor.fetchall() if cursor.description else []
        except dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(sql, args, error, dialect.loaded_dbapi.Error,
                                      dialect=dialect) from error
        finally:
            cursor.close()


def end_write_phase(db) -> None:
    """Commit what the write phase wrote, before the response is built: on SQLite every
    other writer waits for the write lock while it is held, and serialising the answer
    (labels, history, allowed actions, JSON) took as long as the INSERTs and the commit.
    Only reads may follow (on SQLite each runs on its own, outside any BEGIN).

    The lean path writes on the driver (DriverStatement) and leaves nothing for the session
    to flush: its write is committed on the driver's connection, as write_phase began it,
    and the session's own transaction, now empty, ends with the request's commit. (Through
    the session this was SQLAlchemy's commit, a check-in of the connection to the pool and
    then a second, empty commit of the request: 5% of a submission.)"""
    session = db.session()
    if session.new or session.dirty or session.deleted or not session.in_transaction():
        session.commit()
    else:
        session.connection().connection.driver_connection.commit()
    g.writing = False


# PostgreSQL keeps its planner statistics itself (autovacuum); SQLite has none until ANALYZE
# runs, and without them it takes any index whose first column matches a filter — e.g. it
# sorted every suggestion by id for `?form=suggestion` (84 ms at 100,000 rows) instead of
# walking the primary key. A table is analysed again once it has grown by a quarter, from
# a sample: a full ANALYZE of a million submissions took 45 s, all of it holding the write
# lock; 10,000 rows of each index take 0.07 s and gave the same plans.
STATISTICS_GROWTH = 1.25
ANALYSIS_LIMIT = 10_000


def refresh_statistics(session) -> list[str]:
    """SQLite: ANALYZE the tables that have no planner statistics or have outgrown them.
    The names of the tables analysed; nothing to do on PostgreSQL."""
    if session.get_bind().dialect.name != "sqlite":
        return []
    conn = session.connection()
    tables = [name for (name,) in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name IN (SELECT tbl_name FROM sqlite_master WHERE type = 'index')")]
    known: dict[str, int] = {}
    if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        for table, stat in conn.exec_driver_sql("SELECT tbl, stat FROM sqlite_stat1"):
            rows = int((stat or "0").split(" ", 1)[0])
            known[table] = max(known.get(table, 0), rows)
    stale = []
    for table in tables:
        # The largest rowid bounds the row count and costs one step down the table's tree.
        (rows,) = conn.exec_driver_sql(f'SELECT coalesce(max(rowid), 0) FROM "{table}"').one()
        if rows and (table not in known or rows > known[table] * STATISTICS_GROWTH + 100):
            stale.append(table)
    if stale:
        conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
    for table in stale:
        conn.exec_driver_sql(f'ANALYZE "{table}"')
    session.commit()
    return stale
