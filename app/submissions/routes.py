"""Submissions API: create, list, read, act, inbox, track."""
import base64

from flask import jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import and_, func, or_, select

from app.accounts.models import User
from app.core.paths import under, unindexed
from app.core.clock import isoformat, parse_iso, utcnow
from app.core.database import end_write_phase, reads_first, write_phase
from app.core.errors import ApiError
from app.core.ids import as_id
from app.core.ratelimit import public_intake_guard
from app.grid.scope import is_wide, scope_for
from app.core.security import optional_user, require_user
from app.extensions import db, limiter
from app.submissions import display, services, write
from app.submissions.inbox import inbox_notices
from app.submissions.models import Submission
from app.submissions.query import FILTER_PARAMETERS, filtered
from app.submissions.timers import time_left
from app.core.openapi import answers
from app.submissions.schemas import (InboxSchema, SubmissionCreateSchema, SubmissionPageSchema,
                                     TrackSchema, TransitionSchema)

blp = Blueprint("submissions", __name__, url_prefix="/api/v1",
                description="Submissions, their workflow transitions and the inbox")


def _public_limit():
    from flask import current_app
    return current_app.config["PUBLIC_SUBMIT_LIMIT"]


# Anonymous submissions (public forms) count against PUBLIC_SUBMIT_LIMIT per client; signed-in
# ones are not limited. Checked in the view, for anonymous callers only: as a decorator with
# exempt_when, Flask-Limiter worked out the exemption on every signed-in submission too
# (~6% of one).
_PUBLIC_SUBMIT = limiter.limit(_public_limit)


@blp.route("/submissions", methods=["POST"])
@blp.doc(requestBody={"content": {"application/json": {"schema": SubmissionCreateSchema}}})
@blp.doc(**answers(display.SubmissionDetailSchema, "201", "200", description=
                   "201 stored; 200 the same uuid and content again (nothing new stored). The "
                   "submission as GET answers it, with its `tracking_code`"))
@reads_first
def create():
    """Submit a form (client-made uuid; replays are idempotent)."""
    user = optional_user()
    if user is None:
        with _PUBLIC_SUBMIT:
            pass   # 429 once this client has used up the public limit
    payload = request.get_json()
    if user is None:
        public_intake_guard(payload.get("grid_code") if isinstance(payload, dict) else None)
    prepared = write.prepare(payload, user)
    write_phase(db)   # reads done: take the write lock only for the INSERTs
    stored = write.store(prepared, user, savepoint=False)
    history = None
    if stored.lean:
        end_write_phase(db)   # stored as rows: answer without holding the write lock
        history = write.lean_history(stored.sub, user)
    body = services.serialize(stored.sub, user, detail=True, history=history)
    body |= display.detail_words(stored.sub, body)   # as GET answers it
    body["tracking_code"] = stored.sub.tracking_code  # what the submitter follows at /app/t/<code>
    return jsonify(body), (201 if stored.created else 200)


def _limit_arg() -> int:
    raw = request.args.get("limit", "50")
    if as_id(raw) is None or not 1 <= int(raw) <= 200:
        raise ApiError(422, fields={"limit": [_("Must be between 1 and 200.")]})
    return int(raw)


def _encode(*parts) -> str:
    return base64.urlsafe_b64encode("|".join(str(p) for p in parts).encode()).decode()


def _decode(cursor: str, n: int) -> list[str]:
    try:
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (ValueError, UnicodeDecodeError):
        parts = []
    if len(parts) != n:
        raise ApiError(422, fields={"cursor": [_("Not a valid cursor.")]})
    return parts


LIST_PARAMETERS = [{"name": "limit", "in": "query", "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                   *FILTER_PARAMETERS]


@blp.route("/submissions", methods=["GET"])
@blp.doc(parameters=LIST_PARAMETERS, **answers(SubmissionPageSchema))
def list_submissions():
    """What the caller may see, newest first, with a keyset cursor."""
    user = require_user()
    limit = _limit_arg()
    query = filtered(user, services.visible_query(user, walk=True))
    if request.args.get("cursor"):
        (last_id,) = _decode(request.args["cursor"], 1)
        if as_id(last_id) is None:
            raise ApiError(422, fields={"cursor": [_("Not a valid cursor.")]})
        query = query.where(Submission.id < as_id(last_id))
    rows = db.session.execute(query.order_by(Submission.id.desc()).limit(limit + 1)).unique().scalars().all()
    more = len(rows) > limit
    rows = rows[:limit]
    services.attach_reference(rows)
    return jsonify({"items": [services.serialize(s, user) for s in rows],
                    "next_cursor": _encode(rows[-1].id) if more else None})


@blp.route("/submissions/<ident>", methods=["GET"])
@blp.doc(**display.DETAIL_DOC)
def get_submission(ident):
    """One submission with its history and the actions the caller may take."""
    user = require_user()
    sub = services.get_visible_or_404(user, ident)
    body = services.serialize(sub, user, detail=True)
    body |= display.detail_words(sub, body)
    services.audit_contact_view(user, sub)
    return jsonify(body)


@blp.route("/submissions/<ident>/transitions", methods=["POST"])
@blp.arguments(TransitionSchema)
@blp.doc(**display.DETAIL_DOC)
def transition(args, ident):
    """Take a workflow action on a submission."""
    user = require_user()
    sub = services.get_visible_or_404(user, ident)
    services.take_action(sub, user, args)
    body = services.serialize(sub, user, detail=True)
    services.audit_contact_view(user, sub, via="transition")   # the answer shows them too
    return jsonify(body | display.detail_words(sub, body))


# The inbox: a role high in the grid (is_wide, app/grid/scope.py) walks the
# (tier, state_since, id) index in waiting order, skipping other subtrees' rows; lower down
# the subtree's few rows are read by (tier, node_path) and sorted; a building's — one path —
# are walked in waiting order on (tier, node_path, state_since, id), however many wait (a
# building with 3,300 waiting letters read and sorted them all: p99 76 ms on PostgreSQL).
# Each query is written so that only its intended index fits: the walk filters on an
# expression of the path, the range sorts on an expression of the waiting time.


def inbox_queries(user) -> list[tuple]:
    """(filter, order) per role: submissions waiting at a tier the caller holds, in that
    subtree, oldest first."""
    scope = scope_for(user)
    walk_order = (Submission.state_since, Submission.id)
    range_order = (func.coalesce(Submission.state_since, Submission.state_since), Submission.id)
    out = []
    for role, path in scope.staff:
        if is_wide(path):
            out.append((and_(Submission.tier == role, under(unindexed(Submission.node_path), path)),
                        walk_order))
        elif path in scope.leaf_paths:
            out.append((and_(Submission.tier == role, Submission.node_path == path), walk_order))
        else:
            out.append((and_(Submission.tier == role, under(Submission.node_path, path)), range_order))
    if scope.org_ids:
        out.append((and_(Submission.tier == "partner", Submission.partner_org_id.in_(scope.org_ids)),
                    walk_order))
    out.append((and_(Submission.tier == "submitter", Submission.submitter_id == user.id), walk_order))
    return out


@blp.route("/inbox", methods=["GET"])
@blp.doc(parameters=LIST_PARAMETERS, **answers(InboxSchema))
def inbox():
    """Submissions waiting for an action the caller may take, oldest first.

    One query per role (see inbox_queries), each stopping after a page, merged here: an OR of
    the roles would make the database sort every waiting row of the tier instead (measured:
    116 ms against 0.5 ms at a million rows)."""
    user = require_user()
    limit = _limit_arg()
    after = None
    if request.args.get("cursor"):
        since, last_id = _decode(request.args["cursor"], 2)
        try:
            since_at = parse_iso(since)
        except ValueError:
            raise ApiError(422, fields={"cursor": [_("Not a valid cursor.")]}) from None
        if as_id(last_id) is None:
            raise ApiError(422, fields={"cursor": [_("Not a valid cursor.")]})
        after = or_(Submission.state_since > since_at,
                    and_(Submission.state_since == since_at, Submission.id > as_id(last_id)))
    found: dict[int, Submission] = {}
    for clause, order in inbox_queries(user):
        # The page is picked from submissions alone, then loaded with its joined rows: a
        # planner that expects few matching rows would rather join them all and sort (PostgreSQL
        # joined a building's 4,814 waiting rows for a page: 15 ms against 0.4 ms).
        page = filtered(user, select(Submission.id).where(clause), residual=True)
        if after is not None:
            page = page.where(after)
        page = page.order_by(*order).limit(limit + 1).scalar_subquery()
        for sub in db.session.execute(select(Submission).where(Submission.id.in_(page))).unique().scalars():
            found[sub.id] = sub
    rows = sorted(found.values(), key=lambda s: (s.state_since, s.id))[:limit + 1]
    more = len(rows) > limit
    rows = rows[:limit]
    items = []
    services.attach_reference(rows)
    now = utcnow()
    timer_memo: dict = {}
    for s in rows:
        actions = services.allowed_actions(user, s)
        if actions:  # the tier matched, but e.g. nobody completes their own claim
            items.append(services.serialize(s, user) | {
                "allowed_actions": list(dict.fromkeys(a["action"] for a in actions)),
                "actions": actions} | time_left(s, now, timer_memo))
    _name_claimants(items)
    cursor = _encode(isoformat(rows[-1].state_since), rows[-1].id) if more else None
    notices = [] if request.args.get("cursor") else inbox_notices(scope_for(user))
    return jsonify({"items": items, "next_cursor": cursor, "count": len(items),
                    "notices": notices})


def _name_claimants(items: list[dict]) -> None:
    """A claim waiting in an inbox names its volunteer (`submitter_name`): one query for the
    page's claims, none when it has none."""
    ids = {item["submitter_id"] for item in items if item["post"] and item["submitter_id"]}
    if not ids:
        return
    names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
    for item in items:
        if item["post"] and item["submitter_id"] in names:
            item["submitter_name"] = names[item["submitter_id"]]


@blp.route("/track/<code>", methods=["GET"])
@limiter.limit("60/minute")
@blp.doc(**answers(TrackSchema))
def track(code):
    """What a resident holding a tracking code may know: state and published replies."""
    sub = db.session.execute(select(Submission).where(
        Submission.tracking_code == code.upper()[:16])).unique().scalar_one_or_none()
    if sub is None:
        raise ApiError(404, _("No letter has this tracking code. Check the code on your "
                              "receipt (8 letters and digits), or ask your building captain."),
                       "unknown_tracking_code")
    from app.submissions.models import SubmissionEvent
    from app.submissions.words import role_label
    published = db.session.execute(select(SubmissionEvent).where(
        SubmissionEvent.submission_id == sub.id, SubmissionEvent.public_reply.is_(True))
        .order_by(SubmissionEvent.seq)).scalars()
    workflow = sub.version.workflow
    from app.core.i18n import pick
    return jsonify({"tracking_code": sub.tracking_code, "form": sub.form.slug,
                    "state": sub.state,
                    "state_label": pick(workflow["states"].get(sub.state, {}).get("label")),
                    "grid_name": sub.node.name, "created_at": isoformat(sub.created_at),
                    "updated_at": isoformat(sub.updated_at),
                    "replies": [{"comment": e.comment, "at": isoformat(e.at), "tier": e.from_tier,
                                  "tier_label": role_label(e.from_tier) if e.from_tier else ""}
                                 for e in published if e.comment]})
