"""The lean insert: new submissions and their first events as plain rows.

POST /submissions stores one this way, and POST /sync a whole run of submit ops (an outbox
that has been offline for a day replays hundreds at once): one INSERT … RETURNING for the
submissions and one for their first events, instead of a savepoint and two ORM flushes each.
`write.store` sends here what `write.prepare` found plain (no claim, no upload to attach);
a uuid already stored (even by a concurrent request) is skipped by the INSERT (ON CONFLICT DO
NOTHING) and left to the store's replay answer.

The rows are the model's: every column of `submissions` but its id, each one's value from
`prepare` or else the model's default (worked out once, at import). A new column is written
in the model and its migration only.
"""
from contextlib import nullcontext

from sqlalchemy import bindparam, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.core.database import DriverStatement
from app.core.events import emit_each
from app.extensions import db
from app.submissions.events import first_event_row
from app.submissions.models import Submission, SubmissionEvent

_SUBMISSIONS, _EVENTS = Submission.__table__, SubmissionEvent.__table__


def insertable(table) -> list:
    """The columns an INSERT gives a value: all but the table's generated id."""
    return [c for c in table.columns if c is not table.autoincrement_column]


def _defaults(table) -> tuple[dict, list]:
    """({column: fixed default}, [(column, default to call)]) for the lean rows: None for a
    column without a default. A default only the database knows (server_default alone) would
    be overwritten by that None: the model must state it in Python too."""
    fixed, calls = {}, []
    for column in insertable(table):
        default = column.default
        if default is None and column.server_default is not None:
            raise TypeError(f"{table.name}.{column.key}: give the model a Python default too "
                            "(the lean insert writes every column)")
        if default is not None and default.is_callable:
            calls.append((column.key, default.arg))
        else:
            fixed[column.key] = default.arg if default is not None else None
    return fixed, calls


COLUMNS = tuple(c.key for c in insertable(_SUBMISSIONS))
EVENT_COLUMNS = tuple(c.key for c in insertable(_EVENTS))
_FIXED, _CALLED = _defaults(_SUBMISSIONS)


def row(values: dict) -> dict:
    """A full `submissions` row: `values` over the model's defaults."""
    out = _FIXED | values
    for key, make in _CALLED:
        if key not in values:
            out[key] = make(None)
    return out


_new_submission = inspect(Submission).class_manager.new_instance


def transient(values: dict, **loaded) -> Submission:
    """A Submission holding the row `values` and the `loaded` relationships, to read and to
    INSERT as a row; never added to a session. Filled in directly: the ORM's constructor
    records every attribute's history for a flush that never comes (19 µs against 1 µs)."""
    sub = _new_submission()
    sub.__dict__.update(values)
    sub.__dict__.update(loaded)
    return sub


def insert_rows(subs: list[Submission], actor, savepoint: bool = True) -> list[Submission]:
    """INSERT `subs` (transients with distinct uuids) and the first event of each one stored;
    the ones stored, their ids set. A uuid already stored is skipped (ON CONFLICT DO NOTHING).

    On any other IntegrityError (e.g. a clashing tracking code) nothing is stored: with a
    savepoint its work is undone; without one (a request that has written nothing else) the
    whole transaction is rolled back."""
    if not subs:
        return []
    try:
        with db.session.begin_nested() if savepoint else nullcontext():
            ids = _insert(subs, actor)
    except IntegrityError:
        if not savepoint:
            db.session.rollback()
        return []
    stored = [sub for sub in subs if sub.uuid in ids]
    emit_each(db.session, "submission.created", stored, actor=actor)
    return stored


def _insert(subs: list[Submission], actor) -> dict[str, int]:
    """{uuid: id} of the submissions stored, with their first events."""
    # RETURNING in any order (asking for parameter order makes SQLAlchemy insert row by row
    # on SQLite): uuids are unique within the run, so they map rows back.
    # Core statements on the tables: the ORM's bulk machinery costs more than the INSERT.
    # On the session's connection, in its transaction, without the ORM's execution layer;
    # a single submission without Core's either (DriverStatement).
    conn = db.session.connection()
    if len(subs) == 1:
        return _insert_one(conn, subs[0], actor)
    rows = [{c: sub.__dict__[c] for c in COLUMNS} for sub in subs]
    ids = dict(conn.execute(_INSERT_SUBMISSIONS[conn.dialect.name], rows).all())
    stored = [sub for sub in subs if sub.uuid in ids]
    for sub in stored:
        sub.id = ids[sub.uuid]
    if stored:
        conn.execute(_INSERT_EVENTS, [first_event_row(sub, actor) for sub in stored])
    return ids


def _insert_one(conn, sub: Submission, actor) -> dict[str, int]:
    """One submission (POST /submissions), on the driver's cursor (DriverStatement). On
    PostgreSQL both rows go in one statement, one round trip fewer: the event is made from
    whatever the INSERT returned, nothing if the uuid was already stored."""
    values = sub.__dict__
    if conn.dialect.name == "postgresql":
        event = {f"event_{k}": v for k, v in first_event_row(sub, actor).items()
                 if k != "submission_id"}
        ids = dict(_INSERT_ONE_WITH_EVENT.execute(conn, values | event))
        if ids:
            sub.id = ids[sub.uuid]
        return ids
    ids = dict(_INSERT_ONE.execute(conn, values))
    if ids:
        sub.id = ids[sub.uuid]
        _INSERT_EVENT.execute(conn, first_event_row(sub, actor))
    return ids


_INSERT_EVENTS = insert(_EVENTS)
# INSERT … ON CONFLICT (uuid) DO NOTHING RETURNING uuid, id, per dialect.
_INSERT_SUBMISSIONS = {
    name: dialect.insert(_SUBMISSIONS).on_conflict_do_nothing(index_elements=["uuid"])
    .returning(_SUBMISSIONS.c.uuid, _SUBMISSIONS.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}


def _insert_one_with_event():
    """PostgreSQL: WITH s AS (INSERT a submission … ON CONFLICT DO NOTHING RETURNING id),
    e AS (INSERT its first event FROM s) SELECT uuid, id FROM s."""
    stored = (postgresql.insert(_SUBMISSIONS)
              .values({c: bindparam(c, type_=_SUBMISSIONS.c[c].type) for c in COLUMNS})
              .on_conflict_do_nothing(index_elements=["uuid"])
              .returning(_SUBMISSIONS.c.id, _SUBMISSIONS.c.uuid).cte("s"))
    columns = [c for c in EVENT_COLUMNS if c != "submission_id"]
    event = insert(_EVENTS).from_select(["submission_id", *columns], select(
        stored.c.id, *(bindparam(f"event_{c}", type_=_EVENTS.c[c].type) for c in columns))).cte("e")
    return select(stored.c.uuid, stored.c.id).add_cte(event)


_INSERT_ONE_WITH_EVENT = DriverStatement(_insert_one_with_event())
_INSERT_ONE = DriverStatement(_INSERT_SUBMISSIONS["sqlite"], COLUMNS)
_INSERT_EVENT = DriverStatement(_INSERT_EVENTS, EVENT_COLUMNS)
