"""The workflow engine: routing through the grid, who may take which transition, and the
checks of a transition's inputs. It reads a workflow definition and a submission's state and
knows no feature; the state change itself, which writes submission rows, is
app/submissions/transitions.py."""
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Org, RoleAssignment, User
from app.core.errors import ApiError
from app.core.ids import as_id
from app.core.refcache import cached
from app.extensions import db
from app.grid.models import STAFF_ROLES, GridNode
from app.grid.scope import scope_for
from app.grid.services import node_by_code
from app.workflow import hooks
from app.workflow.definition import system_transitions, tier_of, transitions_named


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


def _holds(user, sub, token: str, state: str, workflow: dict, scope=None) -> bool:
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
        return scope.manages(sub.node_path, token)
    if token == "partner":
        return sub.partner_org_id is not None and sub.partner_org_id in scope.org_ids
    if token == "submitter":
        return sub.submitter_id is not None and sub.submitter_id == user.id
    return False


def may_take(user, sub, transition: dict, state: str, workflow: dict,
             scope=None) -> bool:
    if transition.get("not_by_submitter") and user is not None and sub.submitter_id == user.id:
        return False
    return any(_holds(user, sub, token, state, workflow, scope) for token in transition["roles"])


def allowed_actions(user, sub) -> list[dict]:
    workflow = sub.version.workflow
    state = sub.state
    # The scope once for every transition (an inbox page asks for each of its rows).
    scope = scope_for(user) if user is not None else None
    out = []
    for t in workflow["transitions"]:
        if state in t["from"] and may_take(user, sub, t, state, workflow, scope):
            out.append({"action": t["name"], "label": t.get("label"),
                        "comment": t.get("comment", "optional"),
                        "partner": t.get("partner"), "to": t["to"],
                        "duplicate_of": t.get("duplicate_of"),
                        "reroute": bool(t.get("reroute"))})
    return out


def choose_transition(sub, action: str, actor, expected_state=None, system=False) -> dict:
    """The transition `action` takes from the submission's state: 409 unknown here or stale
    state, 403 not the actor's to take. The system may also take the transitions only it
    takes (definition.system_transitions)."""
    workflow = sub.version.workflow
    state = sub.state
    candidates = transitions_named(workflow, action)
    if system:
        candidates += [t for t in system_transitions(workflow) if t["name"] == action]
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
    return transition


def target_state(workflow: dict, node: GridNode, transition: dict) -> str:
    """The state a transition leads to from this node (`@route`: routed afresh)."""
    to = transition["to"]
    if to == "@route":
        return initial_route(workflow, node)
    return pick_state(workflow, node, to)


def partner_inputs(actor, partner, resource, fields: dict):
    """A dispatch's partner unit and resource, as (org, resource); problems go in `fields`."""
    org = matched = None
    if resource not in (None, ""):
        matched = hooks.lookup("resource", actor, resource)
        if matched is None:
            fields["resource"] = [_("Unknown resource.")]
    if partner:
        org = find_org(partner)
        if org is None:
            fields["partner"] = [_("Unknown partner unit.")]
        elif matched is not None and matched.org_id != org.id:
            fields["resource"] = [_("This resource belongs to another partner unit.")]
    elif matched is not None:
        org = matched.org
    else:
        fields["partner"] = [_("Choose the partner unit to dispatch to.")]
    return org, matched


def find_org(value) -> Org | None:
    if as_id(value) is not None:
        return db.session.get(Org, as_id(value))
    if isinstance(value, str):
        return db.session.execute(select(Org).where(Org.name == value.strip())).scalar_one_or_none()
    return None


def reroute_target(actor, grid_code, fields: dict) -> GridNode | None:
    """The building or estate a reroute names, within the actor's grid; else a field error."""
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
