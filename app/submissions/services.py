"""Creating, finding and serialising submissions."""
import hashlib
import json
import secrets

from flask_babel import gettext as _
from marshmallow import RAISE, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.clock import isoformat, utcnow
from app.core.events import emit
from app.core.errors import ApiError, flatten_messages
from app.core.ids import as_id
from app.core.i18n import pick
from app.core.refcache import cached_object
from app.core.scope import scope_for, submission_filter
from app.extensions import db
from app.forms import services as forms
from app.grid.services import node_by_code
from app.submissions.models import Submission
from app.submissions.schemas import SubmissionCreateSchema
from app.volunteering import services as posts
from app.workflow.definition import tier_of
from app.workflow.engine import allowed_actions, initial_route, record_event

_CREATE_SCHEMA = SubmissionCreateSchema(unknown=RAISE)   # stateless: one for every request
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def tracking_code() -> str:
    # 32 letters: each random byte maps to one without bias (one system call, not eight).
    return "".join(TRACKING_ALPHABET[b % 32] for b in secrets.token_bytes(8))


def content_hash(form_slug: str, grid_code: str, data) -> str:
    blob = json.dumps({"form": form_slug, "grid_code": grid_code, "data": data},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def parse_body(payload) -> dict:
    if not isinstance(payload, dict):
        raise ApiError(422, fields={"_schema": [_("The body must be a JSON object.")]})
    try:
        return _CREATE_SCHEMA.load(payload)
    except ValidationError as exc:
        raise ApiError(422, fields=flatten_messages(exc.messages)) from exc


def _same_submission(existing: Submission, body: dict, digest: str) -> Submission:
    """Idempotency: same uuid and content → the stored one; different content → 409."""
    if existing.content_hash != digest or (
            body.get("form_version") and body["form_version"] != existing.form_version):
        raise ApiError(409, _("A different submission with this uuid already exists."),
                       "uuid_conflict")
    return existing


def create_submission(payload, user) -> tuple[Submission, bool]:
    """Validate and store a submission (or find its earlier copy). Returns (sub, created)."""
    body = parse_body(payload)
    uuid = str(body["uuid"])
    form = forms.form_by_slug(body["form"])
    if form is None:
        raise ApiError(422, _("Unknown form."), fields={"form": [_("Unknown form.")]})
    if not form.public and user is None:
        raise ApiError(401)
    digest = content_hash(form.slug, body["grid_code"], body["data"])
    if db.session.execute(select(Submission.id).where(Submission.uuid == uuid)).first():
        return _same_submission(_by_uuid(uuid), body, digest), False
    if form.closed:
        raise ApiError(409, _("This form is closed to new submissions."), "form_closed")
    version = forms.get_version(form, body.get("form_version"))
    if version is None:
        raise ApiError(422, fields={"form_version": [_("This form version does not exist.")]})
    node = node_by_code(body["grid_code"])
    if node is None:
        raise ApiError(422, fields={"grid_code": [_("Unknown grid code.")]})
    data = forms.validate_data(version, body["data"])
    workflow = version.workflow
    post = None
    post_field = next((f["name"] for f in version.definition["fields"] if f["type"] == "post"), None)
    if post_field and data.get(post_field) is not None:
        post = posts.check_claimable(posts.get_post(data[post_field]))
        node = post.node
    check_submit_node(form, node, user)
    now = utcnow()
    sub = Submission(
        uuid=uuid, form_id=form.id, form_version_id=version.id, form_version=version.number,
        grid_node_id=node.id, node_path=node.path, data=data, content_hash=digest,
        submitter_id=user.id if user else None, client_created_at=body.get("client_created_at"),
        created_at=now, updated_at=now, state_since=now,
        tracking_code=tracking_code())
    sub.node, sub.form, sub.version = node, form, version  # no lazy loads when serialised
    try:
        with db.session.begin_nested():
            if post is not None:
                if user is None:
                    raise ApiError(401)
                posts.check_overlap(post, user)
                sub.post_id = post.id
                sub.claim_key = posts.claim_key(post.id, user.id)
                places = workflow["initial"]["capacity"]
                sub.state = places["available"] if posts.take_place(post) else places["full"]
            else:
                sub.state = initial_route(workflow, node)
            sub.tier = tier_of(workflow, sub.state)
            db.session.add(sub)
            db.session.flush()
    except IntegrityError:
        existing = _by_uuid(uuid)
        if existing is not None:
            return _same_submission(existing, body, digest), False
        if post is not None:
            raise ApiError(409, _("You have already claimed this post."), "already_claimed") from None
        raise
    if post is not None and sub.state == workflow["initial"]["capacity"]["available"]:
        posts.note_fullness(post.id)
    record_event(sub, "submit", None, sub.state, user, None, from_tier=None)
    _attach_uploads(version, data, sub)
    emit(db.session, "submission.created", submission=sub, actor=user)
    if post is not None:
        emit(db.session, "claim.created", submission=sub, actor=user)
    return sub, True


def _by_uuid(uuid: str) -> Submission | None:
    return db.session.execute(select(Submission).where(Submission.uuid == uuid)).scalar_one_or_none()


def check_submit_node(form, node, user) -> None:
    if form.public or form.submit_scope == "any":
        if node.level != "building" and form.kind != "volunteer-signup":
            raise ApiError(422, fields={"grid_code": [_("Choose a building.")]})
        return
    scope = scope_for(user)
    if not scope.covers_path(node.path):
        raise ApiError(403, _("You may not submit for this grid node."), "outside_scope")


def _attach_uploads(version, data, sub) -> None:
    from app.uploads.models import Upload

    ids = [i for f in version.definition["fields"] if f["type"] == "photo"
           for i in (data.get(f["name"]) or [])]
    if ids:
        for upload in db.session.execute(select(Upload).where(Upload.id.in_(ids))).scalars():
            upload.submission_id = sub.id


def visible_query(user, walk: bool = False):
    """What the caller may see. `walk`: for a page newest first, on SQLite, whose planner
    would read and sort a whole community's rows for it (Scope.path_filter). PostgreSQL
    estimates the subtree's share itself and also weighs the other filters (a date range
    far back is read by range, not found by walking): it gets the plain range."""
    walk = walk and db.engine.dialect.name == "sqlite"
    return select(Submission).where(submission_filter(user, walk=walk))


def get_visible_or_404(user, ident) -> Submission:
    """A submission by id or uuid, if the caller may see it; 404 otherwise (ids leak nothing)."""
    query = visible_query(user)
    if as_id(ident) is not None:
        query = query.where(Submission.id == as_id(ident))
    elif isinstance(ident, str) and len(ident) <= 36:
        query = query.where(Submission.uuid == ident.lower())
    else:
        raise ApiError(404)
    sub = db.session.execute(query).unique().scalar_one_or_none()
    if sub is None:
        raise ApiError(404)
    return sub


def _may_see_sensitive(user, sub: Submission, detail: bool) -> bool:
    if user is None:
        return False
    if sub.submitter_id == user.id:
        return True
    scope = scope_for(user)
    if scope.is_admin:
        return True
    if detail:
        return True  # they may see the submission at all (checked by the caller)
    return scope.covers_path(sub.node_path, "branch")


def serialize(sub: Submission, user, detail: bool = False, history: list | None = None) -> dict:
    """The API's view of a submission; `history`, when the caller knows it, saves a query."""
    data = dict(sub.data or {})
    if not _may_see_sensitive(user, sub, detail):
        for name in forms.sensitive_fields(sub.version):
            if data.get(name):
                data[name] = mask(str(data[name]))
    workflow = sub.version.workflow
    out = {
        "id": sub.id, "uuid": sub.uuid, "form": sub.form.slug, "form_version": sub.form_version,
        "grid_code": sub.node.code, "grid_name": sub.node.name, "state": sub.state,
        "state_label": pick(workflow["states"].get(sub.state, {}).get("label")),
        "tier": sub.tier, "data": data,
        "partner": sub.partner.name if sub.partner else None,
        "resource": sub.resource_id, "supporters": sub.supporters,
        "post": sub.post_id, "submitter_id": sub.submitter_id,
        "duplicate_of": sub.duplicate_of_id,
        "client_created_at": isoformat(sub.client_created_at),
        "created_at": isoformat(sub.created_at), "updated_at": isoformat(sub.updated_at),
        "state_since": isoformat(sub.state_since), "resolved_at": isoformat(sub.resolved_at),
    }
    if user is not None and (sub.submitter_id == user.id or scope_for(user).staff):
        out["tracking_code"] = sub.tracking_code
    if detail:
        out["history"] = history if history is not None else read_history(sub)
        actions = allowed_actions(user, sub) if user else []
        # The contract's list of action names, and the details a screen needs to offer them.
        out["allowed_actions"] = list(dict.fromkeys(a["action"] for a in actions))
        out["actions"] = actions
    return out


def attach_reference(subs) -> None:
    """Give a page of submissions their forms and versions from the reference cache, instead
    of one lazy load each (serialising a page reads both for every row)."""
    from sqlalchemy.orm.attributes import set_committed_value

    from app.forms.models import Form, FormVersion

    memo: dict[tuple, object] = {}
    for sub in subs:
        for name, model, ident in (("form", Form, sub.form_id),
                                   ("version", FormVersion, sub.form_version_id)):
            if name in sub.__dict__:
                continue   # already loaded
            key = (name + "-id", ident)
            if key not in memo:
                memo[key] = cached_object(key, lambda m=model, i=ident: db.session.get(m, i))
            set_committed_value(sub, name, memo[key])


def mask(value: str) -> str:
    if len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else value[:3] + "****"
    return "*" * len(value)


def read_history(sub: Submission) -> list[dict]:
    from app.accounts.models import User
    from app.submissions.models import SubmissionEvent

    rows = db.session.execute(
        select(SubmissionEvent, User.username).outerjoin(User, User.id == SubmissionEvent.actor_id)
        .where(SubmissionEvent.submission_id == sub.id).order_by(SubmissionEvent.seq)).all()
    # actor: the username, "system" for timers, null for a resident without an account.
    return [{"seq": e.seq, "action": e.action, "from_state": e.from_state, "to_state": e.to_state,
             "actor": "system" if e.system else username, "actor_name": e.actor_label,
             "actor_id": e.actor_id, "comment": e.comment, "waited_seconds": e.waited_seconds,
             "at": isoformat(e.at), "system": e.system}
            for e, username in rows]
