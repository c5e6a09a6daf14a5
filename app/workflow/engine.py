"""The workflow engine: routing through the grid and the one function that changes state."""
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import STAFF_ROLES, TIER_RANK, Org, RoleAssignment, User
from app.core.clock import utcnow
from app.core.errors import ApiError
from app.core.events import emit
from app.core.ids import as_id
from app.core.refcache import cached
from app.core.scope import scope_for
from app.extensions import db
from app.grid.models import GridNode
from app.submissions.models import Submission, SubmissionEvent
from app.workflow.definition import tier_of, transitions_named
from app.workflow import effects


def tier_has_holder(node: GridNode, tier: str) -> bool:
    """Whether someone holds `tier` on this node or an ancestor (staff tiers only)."""
    if tier not in STAFF_ROLES:
        return True
    ids = node.ancestor_ids

    def load():
        return db.session.execute(
            select(RoleAssignment.id).join(User, User.id == RoleAssignment.user_id).where(
                RoleAssignment.role == tier, RoleAssignment.grid_node_id.in_(ids),
                User.active.is_(True)).limit(1)).first() is not None
    return cached(("holder", node.path, tier), load)


def pick_state(workflow: dict, node: GridNode, candidates) -> str:
    """The first candidate state whose tier has a holder, walking up the grid; else the last."""
    if isinstance(candidates, str):
        return candidates
    for state in candidates[:-1]:
        if tier_has_holder(node, tier_of(workflow, state)):
            return state
    return candidates[-1]


def initial_route(workflow: dict, node: GridNode) -> str:
    return pick_state(workflow, node, workflow["initial"]["route"])


def _holds(user, sub: Submission, token: str, state: str, workflow: dict, scope=None) -> bool:
    """Whether the user satisfies one role token of a transition for this submission
    (`scope`: the user's, when the caller has it already)."""
    if user is None:
        return False
    if scope is None:
        scope = scope_for(user)
    if token == "holder":
        token = tier_of(workflow, state)
        if token == "none":
            return False
    if token in STAFF_ROLES:
        # Higher tiers may act on anything in their subtree (contract §4).
        return any(sub.node_path.startswith(p) and TIER_RANK[r] >= TIER_RANK[token]
                   for r, p in scope.staff)
    if token == "partner":
        return sub.partner_org_id is not None and sub.partner_org_id in scope.org_ids
    if token == "submitter":
        return sub.submitter_id is not None and sub.submitter_id == user.id
    return False


def may_take(user, sub: Submission, transition: dict, state: str, workflow: dict,
             scope=None) -> bool:
    if transition.get("not_by_submitter") and user is not None and sub.submitter_id == user.id:
        return False
    return any(_holds(user, sub, token, state, workflow, scope) for token in transition["roles"])


def allowed_actions(user, sub: Submission) -> list[dict]:
    workflow = sub.version.workflow
    state = sub.state
    # The scope once for every transition (an inbox page asks for each of its rows).
    scope = scope_for(user) if user is not None else None
    out = []
    for t in workflow["transitions"]:
        if state in t["from"] and may_take(user, sub, t, state, workflow, scope):
            out.append({"action": t["name"], "label": t.get("label"),
                        "comment": t.get("comment", "optional"),
                        "partner": t.get("partner"), "to": t["to"]})
    return out


def record_event(sub: Submission, action: str, from_state, to_state, actor=None, comment=None,
                 system=False, partner_org_id=None, from_tier=None, waited=None,
                 public_reply=False) -> SubmissionEvent:
    label = "system" if system else (actor.display_name if actor else _("Resident"))
    event = SubmissionEvent(
        submission_id=sub.id, node_path=sub.node_path, seq=sub.lock_version, action=action,
        from_state=from_state,
        to_state=to_state, from_tier=from_tier, waited_seconds=waited,
        actor_id=actor.id if actor else None, actor_label=label, comment=comment or None,
        partner_org_id=partner_org_id, at=utcnow(), system=system, public_reply=public_reply)
    db.session.add(event)
    db.session.flush()
    return event


def apply_transition(sub: Submission, action: str, actor=None, *, comment=None, partner=None,
                     resource=None, expected_state=None, duplicate_of=None, grid_code=None, system=False,
                     public_reply=False) -> SubmissionEvent:
    """Apply one transition: 403 not allowed here, 409 wrong or stale state, 422 missing input.
    Flushes (with an optimistic lock on the submission) but never commits."""
    workflow = sub.version.workflow
    state = sub.state
    candidates = transitions_named(workflow, action)
    if not candidates:
        raise ApiError(409, _("This action is not available."), "action_unavailable")
    if not system and not any(may_take(actor, sub, t, s, workflow) for t in candidates
                              for s in t["from"]):
        raise ApiError(403, _("Your role may not take this action here."))
    if expected_state and expected_state != state:
        raise ApiError(409, _("This item has changed meanwhile; it is now in another state."),
                       "stale_state", state=state)
    transition = next((t for t in candidates if state in t["from"]), None)
    if transition is None:
        raise ApiError(409, _("This action is not available in the current state."),
                       "action_unavailable", state=state)
    if not system and not may_take(actor, sub, transition, state, workflow):
        raise ApiError(403, _("Your role may not take this action here."))
    comment = (comment or "").strip() or None
    fields = {}
    if transition.get("comment") == "required" and not comment:
        fields["comment"] = [_("A comment is required for this action.")]
    org = None
    matched = None
    if transition.get("partner") == "required":
        if resource not in (None, ""):
            matched = _find_resource(actor, resource)
            if matched is None:
                fields["resource"] = [_("Unknown resource.")]
        if partner:
            org = _find_org(partner)
            if org is None:
                fields["partner"] = [_("Unknown partner unit.")]
            elif matched is not None and matched.org_id != org.id:
                fields["resource"] = [_("This resource belongs to another partner unit.")]
        elif matched is not None:
            org = matched.org
        else:
            fields["partner"] = [_("Choose the partner unit to dispatch to.")]
    target_node = None
    if transition.get("reroute"):
        target_node = _reroute_target(actor, sub, grid_code, fields)
    original = None
    if transition.get("duplicate_of") == "required":
        original = _duplicate_target(actor, sub, duplicate_of, fields)
    if fields:
        raise ApiError(422, fields=fields)

    now = utcnow()
    from_tier = sub.tier
    waited = int((now - sub.state_since).total_seconds()) if sub.state_since else None
    if target_node is not None:
        sub.grid_node_id = target_node.id
        sub.node = target_node
        sub.node_path = target_node.path
        db.session.execute(update(SubmissionEvent).where(SubmissionEvent.submission_id == sub.id)
                           .values(node_path=target_node.path)
                           .execution_options(synchronize_session=False))
    to = transition["to"]
    if to == "@route":
        new_state = initial_route(workflow, sub.node)
    else:
        new_state = pick_state(workflow, sub.node, to)
    sub.state = new_state
    sub.tier = tier_of(workflow, new_state)
    sub.state_since = now
    sub.updated_at = now
    if org is not None:
        sub.partner = org
    if matched is not None:
        sub.resource_id = matched.id
    if transition.get("clear_partner"):
        sub.partner = None
        sub.resource_id = None
    if original is not None:
        sub.duplicate_of_id = original.id
    if new_state == "resolved" and sub.resolved_at is None:
        sub.resolved_at = now
        sub.resolve_seconds = int((now - sub.created_at).total_seconds())
    try:
        db.session.flush()
    except StaleDataError:
        raise ApiError(409, _("Someone else acted on this item at the same time; "
                              "please reload."), "concurrent_update") from None
    event = record_event(sub, action, state, new_state, actor, comment, system,
                         org.id if org else None, from_tier, waited, public_reply)
    for effect in transition.get("effects") or []:
        effects.apply(effect, sub, event, actor, state)
    emit(db.session, "submission.state_changed", submission=sub, change=event, actor=actor)
    if org is not None:
        emit(db.session, "submission.dispatched", submission=sub, change=event, actor=actor)
    return event


def _find_org(value) -> Org | None:
    if as_id(value) is not None:
        return db.session.get(Org, as_id(value))
    if isinstance(value, str):
        return db.session.execute(select(Org).where(Org.name == value.strip())).scalar_one_or_none()
    return None


def _find_resource(actor, value):
    from app.core.scope import scope_for
    from app.lists.models import Resource

    if as_id(value) is None:
        return None
    item = db.session.get(Resource, as_id(value))
    if item is None or actor is None:
        return None
    scope = scope_for(actor)
    # A resource offered in the committee's community, or higher up (street-wide).
    if scope.covers_path(item.node_path) or any(p.startswith(item.node_path) for p in scope.staff_paths):
        return item
    return None


def _reroute_target(actor, sub, grid_code, fields):
    from app.grid.services import node_by_code

    node = node_by_code(grid_code) if isinstance(grid_code, str) else None
    if node is None:
        fields["grid_code"] = [_("Choose the building to send this to.")]
        return None
    scope = scope_for(actor) if actor else None
    if scope is None or not any(node.path.startswith(p) for p in scope.staff_paths):
        fields["grid_code"] = [_("This node is outside your grid.")]
        return None
    if node.level not in ("building", "estate"):
        fields["grid_code"] = [_("Choose a building or an estate.")]
        return None
    return node


def _duplicate_target(actor, sub, duplicate_of, fields):
    from app.core.scope import submission_filter

    if as_id(duplicate_of) is None:
        fields["duplicate_of"] = [_("Name the original submission.")]
        return None
    original = db.session.execute(select(Submission).where(
        Submission.id == as_id(duplicate_of), submission_filter(actor))).scalar_one_or_none()
    if original is None or original.id == sub.id:
        fields["duplicate_of"] = [_("Unknown original submission.")]
        return None
    return original

