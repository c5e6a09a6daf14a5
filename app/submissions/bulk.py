"""The lean write path: plain new submissions stored with two INSERTs.

POST /submissions stores one this way, and POST /sync a whole run of submit ops (an outbox
that has been offline for a day replays hundreds at once). The lookups are made once per call
(forms, versions, nodes, routes), every body is validated as create_submission would, and the
rows go in with one INSERT … RETURNING for the submissions and one for their first events —
instead of a savepoint and two ORM flushes each.

Only what is certain to be stored takes this path; everything else is left to
create_submission, which gives it its usual answer: replays (uuid already stored or repeated
in the run), invalid or refused bodies, volunteer claims (a post's places) and bodies carrying
photos (uploads to attach). If the INSERT meets a concurrent copy of a uuid, all fall back.
"""

from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app.core.clock import utcnow
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


def insert_prepared(prepared: list[tuple[int, Submission]], user) -> dict[int, Submission]:
    """Store what prepare_plain made, but for uuids already stored (left to the caller)."""
    stored = _stored_uuids([sub.uuid for _, sub in prepared])
    taken = [(index, sub) for index, sub in prepared if sub.uuid not in stored]
    if not taken:
        return {}
    try:
        with db.session.begin_nested():
            # RETURNING in any order (asking for parameter order makes SQLAlchemy insert row
            # by row on SQLite): uuids are unique within the run, so they map rows back.
            ids = dict(db.session.execute(
                insert(Submission).returning(Submission.uuid, Submission.id),
                [{c: getattr(sub, c) for c in COLUMNS} for _index, sub in taken]).all())
            for _index, sub in taken:
                sub.id = ids[sub.uuid]
            label = user.display_name if user else _("Resident")
            db.session.execute(insert(SubmissionEvent), [
                {"submission_id": sub.id, "node_path": sub.node_path, "seq": 1, "action": "submit",
                 "from_state": None,
                 "to_state": sub.state, "from_tier": None, "waited_seconds": None,
                 "actor_id": user.id if user else None, "actor_label": label, "comment": None,
                 "partner_org_id": None, "at": sub.created_at, "system": False, "public_reply": False}
                for _index, sub in taken])
    except IntegrityError:
        return {}   # a concurrent request stored one of these uuids: one by one instead
    return dict(taken)


def _stored_uuids(uuids: list) -> set[str]:
    wanted = [str(u) for u in uuids if isinstance(u, str)]
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(db.session.execute(select(Submission.uuid).where(
            Submission.uuid.in_(wanted[start:start + 500]))).scalars())
    return found


def _prepare(payload: dict, user, memo: dict, now) -> Submission | None:
    """A transient, validated and routed Submission, or None to leave the op to the one-by-one
    path (which reports whatever is wrong with it)."""
    try:
        body = submissions.parse_body(payload)
        form = memo["forms"].get_or(body["form"], lambda: forms.form_by_slug(body["form"]))
        if form is None or form.closed or (not form.public and user is None):
            return None
        version = memo["versions"].get_or((form.id, body.get("form_version")),
                                          lambda: forms.get_version(form, body.get("form_version")))
        node = memo["nodes"].get_or(body["grid_code"], lambda: node_by_code(body["grid_code"]))
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
    sub = Submission(
        uuid=str(body["uuid"]), form_id=form.id, form_version_id=version.id,
        form_version=version.number, grid_node_id=node.id, node_path=node.path, state=state,
        tier=tier_of(workflow, state), state_since=now, data=data,
        content_hash=submissions.content_hash(form.slug, body["grid_code"], body["data"]),
        submitter_id=user.id if user else None, client_created_at=body.get("client_created_at"),
        created_at=now, updated_at=now, lock_version=1, supporters=0,
        tracking_code=submissions.tracking_code())
    sub.node, sub.form, sub.version = node, form, version
    return sub
