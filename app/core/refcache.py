"""A per-process cache of reference rows, valid exactly as long as the database says so.

Every request needs the same few rows: the caller's token, user and roles, and for a
submission its form, version, building and who holds each tier above it. They change rarely
(a sign-in, a role granted, a form published, a grid imported) but were read on every
request: about half of a submission's time.

The database keeps one value, `reference_generation.value`, that triggers on the watched
tables (WATCHED) set to a new random value inside any transaction that updates or deletes
(or, on PostgreSQL, truncates) their rows, or inserts rows that could change a cached answer — whatever wrote them: the app, a migration,
psql. A request reads that value once (one indexed single-row read) and uses the process's
cached rows only if they were loaded under the same value; otherwise the cache is emptied and
refilled. Because the value changes in the writer's transaction, a reader sees the new value
no earlier than the new rows. Random rather than a counter: an emptied or restored database
must never present a value that an older cache was filled under.

No row (an emptied table) means "do not cache". Cached ORM objects are detached snapshots;
callers get a copy attached to their own session with `Session.merge(load=False)` (no SQL),
so that anything they change is saved as usual (`cached_object`) — or, where they only read
it, the shared snapshot itself (`snapshot`: the signed-in user, the lean submission path's
forms and nodes), which no session may take in.

A migration that recreates a watched table (SQLite's batch mode does) drops its triggers:
it must create them again (`trigger_statements`); `test_migrations` checks that they exist.
"""
import secrets
import threading

from flask import current_app, g
from sqlalchemy import DDL, String, event, inspect, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.extensions import db

# Table → the writes that change the generation. A new user or token cannot be in any cache
# (nothing caches "not found"), so sign-ups and sign-ins leave the caches alone; every
# update and delete, and a new role (it widens a scope), do not. Never cache a miss: it
# would make every INSERT a change.
WATCHED = {
    "users": ("UPDATE", "DELETE"),
    "api_tokens": ("UPDATE", "DELETE"),
    "user_sessions": ("UPDATE", "DELETE"),
    "role_assignments": ("INSERT", "UPDATE", "DELETE"),
    "grid_nodes": ("INSERT", "UPDATE", "DELETE"),
    "forms": ("INSERT", "UPDATE", "DELETE"),
    "form_versions": ("INSERT", "UPDATE", "DELETE"),
}
LIMIT = 20_000   # entries; past it the cache starts again (tokens are the many ones)


class ReferenceGeneration(db.Model):
    """One row: changes whenever a watched table does (see the module's docstring)."""

    __tablename__ = "reference_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[str] = mapped_column(String(40))


def trigger_statements(dialect: str, tables=WATCHED) -> list[str]:
    """The DDL that makes writes to `tables` change the generation."""
    if dialect == "postgresql":
        statements = ["""
            CREATE OR REPLACE FUNCTION bump_reference_generation() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO reference_generation (id, value)
                VALUES (1, md5(random()::text || clock_timestamp()::text))
                ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value;
                RETURN NULL;
            END $$"""]
        for table, ops in tables.items():
            events = " OR ".join((*ops, "TRUNCATE"))
            statements += [
                f"DROP TRIGGER IF EXISTS refgen_{table} ON {table}",
                f"CREATE TRIGGER refgen_{table} AFTER {events} "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_generation()"]
        return statements
    # SQLite: row triggers. An UPDATE, then an INSERT only if the row is missing (not an
    # upsert or INSERT OR REPLACE: an outer INSERT OR IGNORE would override their policy).
    fresh = "lower(hex(randomblob(16)))"
    body = (f"UPDATE reference_generation SET value = {fresh} WHERE id = 1; "
            f"INSERT INTO reference_generation (id, value) SELECT 1, {fresh} "
            f"WHERE NOT EXISTS (SELECT 1 FROM reference_generation WHERE id = 1);")
    statements = []
    for table, ops in tables.items():
        for op in ops:
            name = f"refgen_{table}_{op.lower()}"
            statements += [f"DROP TRIGGER IF EXISTS {name}",
                           f"CREATE TRIGGER {name} AFTER {op} ON {table} BEGIN {body} END"]
    return statements


def trigger_names(dialect: str, tables=WATCHED) -> set[str]:
    if dialect == "postgresql":
        return {f"refgen_{table}" for table in tables}
    return {f"refgen_{table}_{op.lower()}" for table, ops in tables.items() for op in ops}


@event.listens_for(db.metadata, "after_create")
def _create_triggers(target, connection, **kw):
    """create_all() (the tests' schema) gets the triggers the migrations make."""
    for statement in trigger_statements(connection.dialect.name):
        connection.execute(DDL(statement))
    connection.execute(text("INSERT INTO reference_generation (id, value) VALUES (1, :value)"),
                       {"value": secrets.token_hex(16)})


class ReferenceCache:
    """Cached values tagged with the generation they were loaded under."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self._state: tuple[str | None, dict] = (None, {})
        self._lock = threading.Lock()

    def entries(self, generation: str | None) -> dict | None:
        """The entries valid under `generation` (a fresh dict if it changed), or None."""
        if generation is None:
            return None
        state = self._state
        if state[0] != generation or len(state[1]) > self.limit:
            with self._lock:
                state = self._state
                if state[0] != generation or len(state[1]) > self.limit:
                    state = self._state = (generation, {})
        return state[1]

    def clear(self) -> None:
        self._state = (None, {})


def current_generation() -> str | None:
    """The database's generation, read once per request (or app context)."""
    state = g._get_current_object()   # asked several times a request: one proxy lookup
    try:
        return state._refgen
    except AttributeError:
        pass
    # Straight to the driver, in the session's transaction: every request pays for this
    # read, and SQLAlchemy's statement machinery cost more than the read itself.
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.execute("SELECT value FROM reference_generation WHERE id = 1")
        row = cursor.fetchone()
    finally:
        cursor.close()
    state._refgen = row[0] if row else None
    return state._refgen


def _cache() -> ReferenceCache:
    return current_app.extensions["tongxin_refcache"]


def cached(key: tuple, load):
    """The value for `key`: from the cache when it is current, else `load()` (and kept,
    unless it is None)."""
    entries = _cache().entries(current_generation())
    if entries is None:
        return load()
    try:
        return entries[key]
    except KeyError:
        value = load()
        if value is not None:
            entries[key] = value
        return value


def snapshot(key: tuple, load):
    """A read-only object through the cache: the detached snapshot itself, shared by every
    thread, for code that only reads its loaded columns (and never adds it, or an object
    pointing to it, to a session). Cheaper than cached_object by a merge."""
    entries = _cache().entries(current_generation())
    if entries is None:
        return load()
    value = entries.get(key)
    if value is None:
        obj = load()
        if obj is None:
            return None
        value = entries[key] = _detached_copy(obj)
    return value


def cached_object(key: tuple, load):
    """An ORM object through the cache, attached to this request's session.

    `load()` returns the object with everything callers read already loaded; the cache keeps
    a detached copy and each caller gets `merge(load=False)` of it: no SQL."""
    value = snapshot(key, load)
    return None if value is None else db.session.merge(value, load=False)


def _detached_copy(obj):
    """A detached object with the same loaded state (and loaded relationships) as `obj`,
    which stays in the session. Every object of the copy is marked as a snapshot, which no
    session may take in (see _refuse_snapshots)."""
    from sqlalchemy.orm import Session

    scratch = Session()
    copy = scratch.merge(obj, load=False)
    copies = list(scratch)
    scratch.expunge_all()
    scratch.close()
    for each in copies:
        inspect(each).info[SNAPSHOT] = True
    return copy


SNAPSHOT = "tongxin_refcache_snapshot"


@event.listens_for(Session, "before_attach")
def _refuse_snapshots(session, instance):
    """A snapshot is shared by every request of the process: attached to one session (say
    `item.org = user.roles[0].org`, then `session.add(item)`) it would be written through,
    expired and read by the others at once. Refused loudly instead; load the row
    (`db.session.get(Org, id)`) or merge the snapshot (cached_object)."""
    if inspect(instance).info.get(SNAPSHOT):
        raise RuntimeError(f"{instance!r} is a shared reference-cache snapshot: it cannot be "
                           "added to a session (load the row, or use cached_object)")


def init_app(app) -> None:
    app.extensions["tongxin_refcache"] = ReferenceCache()
