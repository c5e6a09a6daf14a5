"""Finding and serialising submissions (creating them: write.py)."""
from sqlalchemy import select

from app.core.clock import isoformat
from app.core.errors import ApiError
from app.core.ids import as_id
from app.core.i18n import pick
from app.core.refcache import cached_object
from app.grid.scope import scope_for
from app.submissions.scope import submission_filter
from app.extensions import db
from app.submissions.choices import add_choices
from app.submissions.contacts import contact_fields, masked_data
from app.submissions.events import history_entry
from app.submissions.models import Submission, SubmissionEvent
from app.submissions.transitions import apply_transition
from app.workflow.engine import allowed_actions


def take_action(sub: Submission, user, args: dict):
    """Apply the transition that TransitionSchema loaded (`args`): POST …/transitions and
    the offline outbox's transition ops."""
    return apply_transition(sub, args["action"], user, comment=args.get("comment"),
                            partner=args.get("partner"), resource=args.get("resource"),
                            expected_state=args.get("expected_state"),
                            duplicate_of=args.get("duplicate_of"),
                            grid_code=args.get("grid_code"),
                            public_reply=args.get("public_reply", False))


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


def may_see_contacts(user, sub: Submission, scope=None) -> bool:
    """Whether the caller sees the resident's contact details in full: the person who
    submitted it, the community committee over it, and whoever must call back now — the
    staff of the tier that holds it (a captain or branch over its node) or the partner unit
    it is dispatched to. Everyone else (the other tiers, admins, auditors) sees them masked."""
    if user is None:
        return False
    if sub.submitter_id is not None and sub.submitter_id == user.id:
        return True
    scope = scope or scope_for(user)
    for role, path in scope.staff:
        if sub.node_path.startswith(path) and (role == "committee" or role == sub.tier):
            return True
    return sub.tier == "partner" and sub.partner_org_id in scope.org_ids


def audit_contact_view(user, sub: Submission, **detail) -> list[str]:
    """Record in the audit log that `user` was shown this resident's contact details in full
    (not for their own letter). Returns the fields shown."""
    shown = shown_contacts(user, sub)
    if shown and sub.submitter_id != user.id:
        from app.audit.services import record
        record(user, "read_sensitive", f"submission:{sub.id}", fields=shown, **detail)
    return shown


def shown_contacts(user, sub: Submission) -> list[str]:
    """The contact fields a detail view shows this caller in full (audited when not their own)."""
    if not may_see_contacts(user, sub):
        return []
    return [f for f in contact_fields(sub.version) if sub.data.get(f)]


def serialize(sub: Submission, user, detail: bool = False, history: list | None = None) -> dict:
    """The API's view of a submission; `history`, when the caller knows it, saves a query."""
    data = dict(sub.data or {})
    # Lists mask every resident's contact details but the caller's own letters; a detail
    # shows them to those who must call back (may_see_contacts), and the view is audited.
    own = user is not None and sub.submitter_id is not None and sub.submitter_id == user.id
    if not own and not (detail and may_see_contacts(user, sub)):
        data = masked_data(sub, data)
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
        add_choices(user, sub, actions)
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


def read_history(sub: Submission) -> list[dict]:
    from app.accounts.models import User

    rows = db.session.execute(
        select(*SubmissionEvent.__table__.c, User.username)
        .outerjoin(User, User.id == SubmissionEvent.actor_id)
        .where(SubmissionEvent.submission_id == sub.id).order_by(SubmissionEvent.seq)).all()
    return [history_entry(row._mapping, row.username) for row in rows]
