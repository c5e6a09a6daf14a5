"""One way in for a new submission: `prepare` reads, `store` writes.

`prepare(body, caller)` parses the body once, looks up the form, version and building
(through the reference cache), validates the data, routes the submission through the grid
and decides what storing it takes: a volunteer claim (a post's places) and photos to attach
need the ORM path; everything else is plain and goes in as two rows (bulk.py). It writes
nothing. `store(prepared, caller)` writes it, or answers a replay of a uuid already stored:
the same content gives the stored submission back, different content 409.

POST /submissions prepares before it takes SQLite's write lock and stores after
(core/database.py, `write_phase`); POST /sync prepares a run of submit ops and stores its
plain ones together.
"""
import hashlib
import json
import secrets
from dataclasses import dataclass, field

from flask_babel import gettext as _
from marshmallow import RAISE, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.clock import utcnow
from app.core.errors import ApiError, flatten_messages
from app.core.refcache import snapshot
from app.grid.scope import scope_for
from app.core.events import emit
from app.extensions import db
from app.forms import services as forms
from app.grid.services import node_by_code
from app.submissions import bulk
from app.submissions.events import first_event_row, history_entry
from app.submissions.models import Submission
from app.submissions.schemas import SubmissionCreateSchema
from app.workflow.definition import tier_of
from app.submissions.transitions import record_event
from app.workflow.engine import initial_route

_CREATE_SCHEMA = SubmissionCreateSchema(unknown=RAISE)   # stateless: one for every request
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class _Features:
    """What the write path needs from features above its layer, registered at app start
    (app/hooks.py): claims on posts (volunteering) and attaching photos (uploads)."""
    posts = None            # check_claimable, get_post, check_overlap, claim_key, take_place…
    attach_uploads = None   # (upload ids, submission) -> None


features = _Features()


def register_claims(posts) -> None:
    features.posts = posts


def register_attach_uploads(attach) -> None:
    features.attach_uploads = attach


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


class Lookups:
    """The reference rows of one request or one run of ops, each looked up once: read-only
    snapshots shared through the reference cache (a plain submission is INSERTed as a row,
    never added to a session; the ORM path attaches copies)."""

    __slots__ = ("now", "_seen")

    def __init__(self):
        self.now = utcnow()
        self._seen: dict[tuple, object] = {}

    def _get(self, key: tuple, load):
        try:
            return self._seen[key]
        except KeyError:
            value = self._seen[key] = load()
            return value

    def form(self, slug: str):
        key = ("form", slug)
        return self._get(key, lambda: snapshot(key, lambda: forms.form_by_slug(slug)))

    def version(self, form, number: int | None):
        key = ("version", form.id, number or form.current_version)
        return self._get(key, lambda: snapshot(key, lambda: forms.get_version(form, key[2])))

    def node(self, code: str):
        key = ("node", code)
        return self._get(key, lambda: snapshot(key, lambda: node_by_code(code)))

    def route(self, version, node) -> str:
        return self._get(("route", version.id, node.id),
                         lambda: initial_route(version.workflow, node))


@dataclass(slots=True, eq=False)
class Prepared:
    """A parsed submission and what storing it takes. `error`: why it cannot be stored (given
    only once the form is known: a replay of a stored uuid is answered before it)."""

    body: dict
    uuid: str
    digest: str
    form: object
    version: object = None
    node: object = None
    values: dict = field(default_factory=dict)   # the new row's columns
    post: object = None                          # the volunteer post it claims
    uploads: list = field(default_factory=list)  # ids of the photos to attach
    error: ApiError | None = None

    @property
    def lean(self) -> bool:
        """Plain: stored as two rows, nothing else to write."""
        return self.error is None and self.post is None and not self.uploads


@dataclass(slots=True, eq=False)
class Stored:
    sub: Submission
    created: bool
    lean: bool = False   # stored as rows (bulk.py): `lean_history` gives its history


def prepare(payload, caller, lookups: Lookups | None = None) -> Prepared:
    """Validate and route a submission body; reads only. 422 for a malformed body or an
    unknown form and 401 for an anonymous caller of a signed-in form are raised; any later
    problem is kept in `error` for `store`, which answers a replay first."""
    body = parse_body(payload)
    lookups = lookups or Lookups()
    form = lookups.form(body["form"])
    if form is None:
        raise ApiError(422, _("Unknown form."), fields={"form": [_("Unknown form.")]})
    if not form.public and caller is None:
        raise ApiError(401)
    prepared = Prepared(body=body, uuid=str(body["uuid"]), form=form,
                        digest=content_hash(form.slug, body["grid_code"], body["data"]))
    try:
        _validate(prepared, caller, lookups)
    except ApiError as exc:
        prepared.error = exc
    return prepared


def _validate(prepared: Prepared, caller, lookups: Lookups) -> None:
    body, form = prepared.body, prepared.form
    if form.closed:
        raise ApiError(409, _("This form is closed to new submissions."), "form_closed")
    version = lookups.version(form, body.get("form_version"))
    if version is None:
        raise ApiError(422, fields={"form_version": [_("This form version does not exist.")]})
    node = lookups.node(body["grid_code"])
    if node is None:
        raise ApiError(422, fields={"grid_code": [_("Unknown grid code.")]})
    data = forms.validate_data(version, body["data"])
    prepared.post = _claimed_post(version, data, caller)
    if prepared.post is not None:
        node = prepared.post.node   # a claim is filed where the post is
    check_submit_node(form, node, caller)
    prepared.version, prepared.node = version, node
    prepared.uploads = [i for f in version.definition["fields"] if f["type"] == "photo"
                        for i in (data.get(f["name"]) or [])]
    now = lookups.now
    prepared.values = {
        "uuid": prepared.uuid, "form_id": form.id, "form_version_id": version.id,
        "form_version": version.number, "grid_node_id": node.id, "node_path": node.path,
        "data": data, "content_hash": prepared.digest,
        "submitter_id": caller.id if caller else None,
        "client_created_at": body.get("client_created_at"),
        "created_at": now, "updated_at": now, "state_since": now,
        "tracking_code": tracking_code()}
    if prepared.post is None:   # a claim's state depends on the places left (store)
        state = lookups.route(version, node)
        prepared.values |= {"state": state, "tier": tier_of(version.workflow, state)}


def _claimed_post(version, data: dict, caller):
    """The open post a volunteer-signup claims (its `post` field), if any."""
    name = next((f["name"] for f in version.definition["fields"] if f["type"] == "post"), None)
    if name is None or data.get(name) is None:
        return None
    post = features.posts.check_claimable(features.posts.get_post(data[name]))
    if caller is None:
        raise ApiError(401)
    return post


def check_submit_node(form, node, user) -> None:
    if form.public or form.submit_scope == "any":
        if node.level != "building" and form.kind != "volunteer-signup":
            raise ApiError(422, fields={"grid_code": [_("Choose a building.")]})
        return
    scope = scope_for(user)
    if not scope.covers_path(node.path):
        raise ApiError(403, _("You may not submit for this grid node."), "outside_scope")


# Storing --------------------------------------------------------------------------------

def store(prepared: Prepared, caller, savepoint: bool = True) -> Stored:
    """Store a prepared submission: the lean insert when it is plain, else the ORM path;
    a replay of a stored uuid gets the stored one (or 409). `savepoint=False`: the request
    has written nothing else, so a failed lean insert may roll back its whole transaction."""
    if prepared.error is not None:
        stored = _replay(prepared)
        if stored is None:
            raise prepared.error
        return stored
    if prepared.lean:
        sub = lean_submission(prepared)
        if bulk.insert_rows([sub], caller, savepoint=savepoint):
            return Stored(sub, True, lean=True)
        prepared.values["tracking_code"] = tracking_code()   # in case that was the clash
    return _replay(prepared) or _store_orm(prepared, caller)


def store_plain(items: list[tuple[int, Prepared]], caller) -> dict[int, Stored]:
    """Store the plain ones among `items` ((key, prepared) pairs, in order) together, the
    first of each uuid; {key: Stored} of those stored. The others (replays, refused, claims,
    photos) are left to `store`."""
    keys, subs, seen = [], [], set()
    for key, prepared in items:
        if prepared.lean and prepared.uuid not in seen:
            seen.add(prepared.uuid)
            keys.append(key)
            subs.append(lean_submission(prepared))
    stored = {id(sub) for sub in bulk.insert_rows(subs, caller)}
    return {key: Stored(sub, True, lean=True) for key, sub in zip(keys, subs) if id(sub) in stored}


def create_submission(payload, caller) -> tuple[Submission, bool]:
    """Prepare and store one submission (the demo's seed, scripts)."""
    stored = store(prepare(payload, caller), caller)
    return stored.sub, stored.created


def lean_submission(prepared: Prepared) -> Submission:
    return bulk.transient(bulk.row(prepared.values), node=prepared.node, form=prepared.form,
                          version=prepared.version)


def lean_history(sub: Submission, caller) -> list[dict]:
    """The history of a submission just stored by the lean insert, as a read would give it."""
    return [history_entry(first_event_row(sub, caller), caller.username if caller else None)]


def _replay(prepared: Prepared) -> Stored | None:
    """Idempotency: the stored submission with this uuid, if any; 409 if its content differs."""
    existing = _by_uuid(prepared.uuid)
    if existing is None:
        return None
    number = prepared.body.get("form_version")
    if existing.content_hash != prepared.digest or (number and number != existing.form_version):
        raise ApiError(409, _("A different submission with this uuid already exists."),
                       "uuid_conflict")
    return Stored(existing, False)


def _by_uuid(uuid: str) -> Submission | None:
    return db.session.execute(select(Submission).where(Submission.uuid == uuid)).scalar_one_or_none()


def _attached(obj):
    """A session's own copy of a reference-cache snapshot (no SQL); session objects as they are."""
    return obj if obj in db.session else db.session.merge(obj, load=False)


def _store_orm(prepared: Prepared, caller) -> Stored:
    """Claims and photos (and what the lean insert could not store): through the session."""
    sub = Submission(**prepared.values)
    # Loaded up front: no lazy loads when serialised.
    sub.node, sub.form, sub.version = (_attached(prepared.node), _attached(prepared.form),
                                       _attached(prepared.version))
    try:
        with db.session.begin_nested():
            if prepared.post is not None:
                _take_place(sub, prepared.post, caller)
            db.session.add(sub)
            db.session.flush()
    except IntegrityError:
        stored = _replay(prepared)
        if stored is not None:
            return stored
        if prepared.post is not None:
            raise ApiError(409, _("You have already claimed this post."), "already_claimed") from None
        raise
    if prepared.post is not None and sub.state == _places(sub)["available"]:
        features.posts.note_fullness(prepared.post.id)
    record_event(sub, "submit", None, sub.state, caller, None, from_tier=None)
    _attach_uploads(prepared.uploads, sub)
    emit(db.session, "submission.created", submission=sub, actor=caller)
    if prepared.post is not None:
        emit(db.session, "claim.created", submission=sub, actor=caller)
    return Stored(sub, True)


def _places(sub: Submission) -> dict:
    return sub.version.workflow["initial"]["capacity"]


def _take_place(sub: Submission, post, caller) -> None:
    """A volunteer's claim: a place while one is left, else the waitlist."""
    features.posts.check_may_claim(post, caller)
    features.posts.check_overlap(post, caller)
    sub.post_id = post.id
    sub.claim_key = features.posts.claim_key(post.id, caller.id)
    places = _places(sub)
    sub.state = places["available"] if features.posts.take_place(post) else places["full"]
    sub.tier = tier_of(sub.version.workflow, sub.state)


def _attach_uploads(ids: list, sub: Submission) -> None:
    if ids:
        features.attach_uploads(ids, sub)
