"""The lean write path: plain new submissions stored with two INSERTs.

POST /submissions stores one this way, and POST /sync a whole run of submit ops (an outbox
that has been offline for a day replays hundreds at once). The lookups are made once per call
(forms, versions, nodes, routes), every body is validated as create_submission would, and the
rows go in with one INSERT … RETURNING for the submissions and one for their first events —
instead of a savepoint and two ORM flushes each.

Only what is certain to be stored takes this path; everything else is left to
create_submission, which gives it its usual answer: replays (uuid already stored or repeated
in the run), invalid or refused bodies, volunteer claims (a post's places) and bodies carrying
photos (uploads to attach). A uuid already stored (even by a
concurrent request) is skipped by the INSERT (ON CONFLICT DO NOTHING) and left to it too.
"""

from contextlib import nullcontext

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.core.clock import isoformat, utcnow
from app.core.database import DriverStatement
from app.core.events import emit_each
from app.core.refcache import snapshot
from app.core.errors import ApiError
from app.extensions import db
from app.forms import services as forms
from app.grid.services import node_by_code
from app.submissions import services as submissions
from app.submissions.models import Submission, SubmissionEvent
from app.workflow.definition import tier_of
from app.workflow.engine import initial_route

SLOW_FIELD_TYPES = {"post", "photo"}
COLUMNS = ("uuid", "form_id", "form_version_id", "form_version", "grid_node_id", "node_path",
           "state", "tier", "state_since", "submitter_id", "data", "content_hash",
           "tracking_code", "client_created_at", "created_at", "updated_at", "lock_version",
           "supporters")


class _Memo(dict):
    def get_or(self, key, make):
        if key not in self:
            self[key] = make()
        return self[key]


def store_plain(bodies: list[tuple[int, dict]], user) -> dict[int, Submission]:
    """Store the plain new submissions among `bodies` ((key, body) pairs, in order).
    Returns the stored ones by key (transient objects carrying their ids); the others are
    absent."""
    return insert_prepared(prepare_plain(bodies, user), user)


def prepare_plain(bodies: list[tuple[int, dict]], user) -> list[tuple[int, Submission]]:
    """The plain bodies among `bodies`, validated and routed: reads only, nothing stored."""
    memo = {name: _Memo() for name in ("forms", "versions", "nodes", "routes")}
    now = utcnow()
    taken: list[tuple[int, Submission]] = []
    seen: set[str] = set()
    for index, body in bodies:
        sub = _prepare(body, user, memo, now) if isinstance(body, dict) else None
        if sub is None or sub.uuid in seen:
            continue
        seen.add(sub.uuid)
        taken.append((index, sub))
    return taken


def insert_prepared(prepared: list[tuple[int, Submission]], user,
                    savepoint: bool = True) -> dict[int, Submission]:
    """Store what prepare_plain made, but for uuids already stored (left to the caller).

    Without a savepoint (a request that has written nothing else) a failed INSERT rolls the
    whole transaction back before the caller takes the one-by-one path."""
    if not prepared:
        return {}
    try:
        with db.session.begin_nested() if savepoint else nullcontext():
            ids = _insert(prepared, user)
    except IntegrityError:
        if not savepoint:
            db.session.rollback()
        return {}   # e.g. a clashing tracking code: one by one instead
    emit_each(db.session, "submission.created", (s for _i, s in prepared if s.uuid in ids), actor=user)
    return {index: sub for index, sub in prepared if sub.uuid in ids}


def _insert(prepared: list[tuple[int, Submission]], user) -> dict[str, int]:
    """INSERT the submissions (a uuid already stored is skipped: ON CONFLICT DO NOTHING) and
    the first event of each one stored. Returns {uuid: id} of those stored."""
    # RETURNING in any order (asking for parameter order makes SQLAlchemy insert row by row
    # on SQLite): uuids are unique within the run, so they map rows back.
    # Core statements on the tables: the ORM's bulk machinery costs more than the INSERT.
    # On the session's connection, in its transaction, without the ORM's execution layer;
    # a single submission without Core's either (DriverStatement).
    conn = db.session.connection()
    rows = [{c: getattr(sub, c) for c in COLUMNS} for _index, sub in prepared]
    if len(rows) == 1:
        return _insert_one(conn, prepared[0][1], rows[0], user)
    ids = dict(conn.execute(_INSERT_SUBMISSIONS[conn.dialect.name], rows).all())
    stored = [sub for _index, sub in prepared if sub.uuid in ids]
    for sub in stored:
        sub.id = ids[sub.uuid]
    if stored:
        conn.execute(_INSERT_EVENTS, [first_event(sub, user) for sub in stored])
    return ids


def _insert_one(conn, sub: Submission, row: dict, user) -> dict[str, int]:
    """One submission (POST /submissions), on the driver's cursor (DriverStatement). On
    PostgreSQL both rows go in one statement, one round trip fewer: the event is made from
    whatever the INSERT returned, nothing if the uuid was already stored."""
    if conn.dialect.name == "postgresql":
        event = {f"event_{k}": v for k, v in first_event(sub, user).items() if k != "submission_id"}
        ids = dict(_INSERT_ONE_WITH_EVENT.execute(conn, row | event))
        if ids:
            sub.id = ids[sub.uuid]
        return ids
    ids = dict(_INSERT_ONE.execute(conn, row))
    if ids:
        sub.id = ids[sub.uuid]
        _INSERT_EVENT.execute(conn, first_event(sub, user))
    return ids


_SUBMISSIONS, _EVENTS = Submission.__table__, SubmissionEvent.__table__
_INSERT_EVENTS = insert(_EVENTS)
_EVENT_COLUMNS = [c.name for c in _EVENTS.c if c.name != "id"]   # what first_event gives
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
    columns = [c for c in _EVENT_COLUMNS if c != "submission_id"]
    event = insert(_EVENTS).from_select(["submission_id", *columns], select(
        stored.c.id, *(bindparam(f"event_{c}", type_=_EVENTS.c[c].type) for c in columns))).cte("e")
    return select(stored.c.uuid, stored.c.id).add_cte(event)


_INSERT_ONE_WITH_EVENT = DriverStatement(_insert_one_with_event())
_INSERT_ONE = DriverStatement(_INSERT_SUBMISSIONS["sqlite"], COLUMNS)
_INSERT_EVENT = DriverStatement(_INSERT_EVENTS, _EVENT_COLUMNS)


def first_event(sub: Submission, user) -> dict:
    """The "submit" event of a submission stored here, as a row."""
    return {"submission_id": sub.id, "node_path": sub.node_path, "seq": 1, "action": "submit",
            "from_state": None, "to_state": sub.state, "from_tier": None,
            "waited_seconds": None, "actor_id": user.id if user else None,
            "actor_label": user.display_name if user else _("Resident"), "comment": None,
            "partner_org_id": None, "at": sub.created_at, "system": False,
            "public_reply": False}


def first_history(sub: Submission, user) -> list[dict]:
    """The history of a submission just stored here, as services.read_history would read it."""
    event = first_event(sub, user)
    return [{"seq": 1, "action": "submit", "from_state": None, "to_state": sub.state,
             "actor": user.username if user else None, "actor_name": event["actor_label"],
             "actor_id": event["actor_id"], "comment": None, "waited_seconds": None,
             "at": isoformat(sub.created_at), "system": False}]


def _prepare(payload: dict, user, memo: dict, now) -> Submission | None:
    """A transient, validated and routed Submission, or None to leave the op to the one-by-one
    path (which reports whatever is wrong with it)."""
    try:
        body = submissions.parse_body(payload)
        form = memo["forms"].get_or(body["form"], lambda: snapshot(
            ("form", body["form"]), lambda: forms.form_by_slug(body["form"])))
        if form is None or form.closed or (not form.public and user is None):
            return None
        number = body.get("form_version") or form.current_version
        version = memo["versions"].get_or((form.id, number), lambda: snapshot(
            ("version", form.id, number), lambda: forms.get_version(form, number)))
        node = memo["nodes"].get_or(body["grid_code"], lambda: snapshot(
            ("node", body["grid_code"]), lambda: node_by_code(body["grid_code"])))
        if version is None or node is None:
            return None
        data = forms.validate_data(version, body["data"])
        if any(f["type"] in SLOW_FIELD_TYPES and data.get(f["name"])
               for f in version.definition["fields"]):
            return None
        submissions.check_submit_node(form, node, user)
    except ApiError:
        return None
    workflow = version.workflow
    state = memo["routes"].get_or((version.id, node.id), lambda: initial_route(workflow, node))
    return _transient(
        uuid=str(body["uuid"]), form_id=form.id, form_version_id=version.id,
        form_version=version.number, grid_node_id=node.id, node_path=node.path, state=state,
        tier=tier_of(workflow, state), state_since=now, data=data,
        content_hash=submissions.content_hash(form.slug, body["grid_code"], body["data"]),
        submitter_id=user.id if user else None, client_created_at=body.get("client_created_at"),
        created_at=now, updated_at=now, lock_version=1, supporters=0,
        tracking_code=submissions.tracking_code(),
        # Read-only snapshots shared through the reference cache: the submission is never
        # added to a session (it is INSERTed as a row), so they never are either.
        node=node, form=form, version=version)


_new_submission = inspect(Submission).class_manager.new_instance


def _transient(**values) -> Submission:
    """A Submission holding `values` (columns and loaded relationships), to read and to
    INSERT as a row; never added to a session. Filled in directly: the ORM's constructor
    records every attribute's history for a flush that never comes (19 µs against 1 µs)."""
    sub = _new_submission()
    sub.__dict__.update(values)
    return sub
