"""A client-side deadline for PostgreSQL: a database that stops answering becomes a 503.

The server's `statement_timeout` ends a slow statement, but only while the server runs: a
frozen server (SIGSTOP, a paused VM, a network that still acknowledges packets but delivers
nothing) never answers, and every worker waited for it without end. Here each statement,
commit and rollback is given a deadline, DB_CLIENT_TIMEOUT_MS — by default the statement
timeout plus five seconds, so that a live server's own timeout always answers first. One
watchdog thread per process shuts down the socket of a connection whose deadline has passed;
the wait inside psycopg then ends with an OperationalError in whatever thread made it (sync or
gthread workers alike), SQLAlchemy invalidates that connection (never reused) and the request
answers the documented 503 with Retry-After (app.core.errors).
"""
import os
import socket
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

_INFO_KEY = "tongxin_client_timeout_s"
_state = {"seconds": 0.0, "pid": None}
_lock = threading.Lock()
_wake = threading.Event()
_watched: dict[int, tuple[float, int]] = {}   # id(DBAPI connection) -> (deadline, socket fd)
_cut: set[int] = set()                        # connections whose socket the watchdog shut


def install(config) -> None:
    """Called by create_app: deadlines on PostgreSQL unless DB_CLIENT_TIMEOUT_MS is 0."""
    uri = str(config.get("SQLALCHEMY_DATABASE_URI", ""))
    if not uri.startswith("postgresql"):
        return
    statement_ms = int(config.get("DB_STATEMENT_TIMEOUT_MS", 10_000))
    default = statement_ms + 5_000 if statement_ms > 0 else 0
    configured = config.get("DB_CLIENT_TIMEOUT_MS")
    ms = default if configured in (None, "") else int(configured)
    _state["seconds"] = ms / 1000 if ms > 0 else 0.0


def allow_longer(connection, seconds: float) -> None:
    """This connection's statements may run up to `seconds` (exports), until it is returned."""
    connection.info[_INFO_KEY] = seconds


def _key(conn, with_socket: bool = True):
    try:
        dbapi = conn.connection.dbapi_connection
        return id(dbapi), (dbapi.pgconn.socket if with_socket else None)
    except Exception:   # closed, invalidated, or not psycopg: nothing to watch
        return None, None


def watch_pings(engine) -> None:
    """The pool's ping before each checkout talks to the driver directly (no engine event):
    it gets the same deadline, so a frozen server fails the ping, then the connect (its
    connect_timeout), and the request answers 503."""
    if not _state["seconds"] or engine.dialect.name != "postgresql":
        return
    dialect = engine.dialect
    if getattr(dialect.do_ping, "watched", False):
        return
    ping = dialect.do_ping

    def do_ping(dbapi_connection):
        key = id(dbapi_connection)
        try:
            _watch_key(key, dbapi_connection.pgconn.socket, _state["seconds"])
        except Exception:
            return ping(dbapi_connection)
        try:
            return ping(dbapi_connection)
        finally:
            with _lock:
                _watched.pop(key, None)
                _cut.discard(key)
    do_ping.watched = True
    dialect.do_ping = do_ping


def _arm(conn, *args) -> None:
    if not _state["seconds"] or conn.dialect.name != "postgresql":
        return
    key, fd = _key(conn)
    if key is None:
        return
    _watch_key(key, fd, conn.info.get(_INFO_KEY) or _state["seconds"])


def _watch_key(key: int, fd: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    with _lock:
        was_idle = not _watched
        _watched[key] = (deadline, fd)
    if _state["pid"] != os.getpid():   # first use in this process (gunicorn forks workers)
        _state["pid"] = os.getpid()
        threading.Thread(target=_watch, name="db-watchdog", daemon=True).start()
    if was_idle:
        _wake.set()


def _disarm(conn, *args) -> None:
    if _watched:
        key, _fd = _key(conn, with_socket=False)
        with _lock:
            _watched.pop(key, None)


def _watch() -> None:
    while True:
        _wake.wait(0.5 if _watched else None)
        _wake.clear()
        now = time.monotonic()
        with _lock:
            late = [(key, fd) for key, (deadline, fd) in _watched.items() if deadline <= now]
            for key, _fd in late:
                del _watched[key]
                _cut.add(key)
        for fd in (fd for _k, fd in late):
            try:
                # shutdown() on a duplicate reaches the shared socket: the waiting read ends.
                with socket.socket(fileno=os.dup(fd)) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@event.listens_for(Engine, "before_cursor_execute")
def _before_execute(conn, cursor, statement, parameters, context, executemany):
    _arm(conn)


@event.listens_for(Engine, "after_cursor_execute")
def _after_execute(conn, cursor, statement, parameters, context, executemany):
    _disarm(conn)


event.listen(Engine, "commit", _arm)
event.listen(Engine, "rollback", _arm)


@event.listens_for(Pool, "checkin")
def _checkin(dbapi_connection, record):
    # The session hands its connection back right after a commit or rollback: the deadline
    # ends there, and a longer allowance ends with the transaction that asked for it.
    if _watched and dbapi_connection is not None:
        with _lock:
            _watched.pop(id(dbapi_connection), None)
    if record is not None:
        record.info.pop(_INFO_KEY, None)


@event.listens_for(Engine, "handle_error")
def _handle_error(context):
    key, _fd = (_key(context.connection, with_socket=False) if context.connection is not None
                else (None, None))
    with _lock:
        _watched.pop(key, None)
        cut = key in _cut
        _cut.discard(key)
    if cut:
        context.is_disconnect = True   # mid-protocol and shut: close it, never reuse it

