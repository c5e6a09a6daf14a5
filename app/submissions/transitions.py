"""The one function that changes a submission's state (STYLE §7), in named steps: choose
the transition and check the actor may take it (the engine), check its inputs, move the
submission, record the event, tell the listeners and run the effects the features
registered (app/workflow/hooks.py)."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from app.core.clock import utcnow
from app.core.errors import ApiError
from app.core.ids import as_id
from app.core.events import emit
from app.extensions import db
from app.submissions.events import event_row
from app.submissions.models import Submission, SubmissionEvent
from app.submissions.scope import submission_filter
from app.workflow import hooks
from app.workflow.definition import tier_of
from app.workflow.engine import choose_transition, partner_inputs, reroute_target, target_state


def record_event(sub: Submission, action: str, from_state, to_state, actor=None, comment=None,
                 system=False, partner_org_id=None, from_tier=None, waited=None,
                 public_reply=False) -> SubmissionEvent:
    event = SubmissionEvent(**event_row(
        sub, action, from_state, to_state, actor, comment=comment, system=system,
        partner_org_id=partner_org_id, from_tier=from_tier, waited=waited,
        public_reply=public_reply))
    db.session.add(event)
    db.session.flush()
    return event


@dataclass
class Inputs:
    """A transition's checked inputs."""
    comment: str | None = None
    org: object = None
    resource: object = None
    target_node: object = None
    original: Submission | None = None


def apply_transition(sub: Submission, action: str, actor=None, *, comment=None, partner=None,
                     resource=None, expected_state=None, duplicate_of=None, grid_code=None, system=False,
                     public_reply=False) -> SubmissionEvent:
    """Apply one transition: 403 not allowed here, 409 wrong or stale state, 422 missing input.
    Flushes (with an optimistic lock on the submission) but never commits."""
    transition = choose_transition(sub, action, actor, expected_state, system)
    inputs = _check_inputs(sub, transition, actor, comment, partner, resource, duplicate_of,
                           grid_code)
    from_state, from_tier = sub.state, sub.tier
    waited = _move(sub, transition, inputs)
    event = record_event(sub, action, from_state, sub.state, actor, inputs.comment, system,
                         inputs.org.id if inputs.org else None, from_tier, waited, public_reply)
    # Listeners first: they hear the transitions in the order they were taken, a cancel
    # before the promotion its effect makes.
    for listener in hooks.listeners():
        listener(sub, event, transition, actor)
    _run_effects(transition, sub, event, actor, from_state)
    emit(db.session, "submission.state_changed", submission=sub, change=event, actor=actor)
    if inputs.org is not None:
        emit(db.session, "submission.dispatched", submission=sub, change=event, actor=actor)
    return event


def _check_inputs(sub, transition, actor, comment, partner, resource, duplicate_of,
                  grid_code) -> Inputs:
    """The transition's inputs, or 422 naming every missing or unknown one."""
    inputs = Inputs(comment=(comment or "").strip() or None)
    fields = {}
    if transition.get("comment") == "required" and not inputs.comment:
        fields["comment"] = [_("A comment is required for this action.")]
    if transition.get("partner") == "required":
        inputs.org, inputs.resource = partner_inputs(actor, partner, resource, fields)
    if transition.get("reroute"):
        inputs.target_node = reroute_target(actor, grid_code, fields)
    if transition.get("duplicate_of") == "required":
        inputs.original = _duplicate_target(actor, sub, duplicate_of, fields)
    if fields:
        raise ApiError(422, fields=fields)
    return inputs


def _move(sub: Submission, transition: dict, inputs: Inputs) -> int | None:
    """Change the submission's state (and node, partner, original); returns the seconds it
    waited in the state it leaves. 409 when someone else changed it meanwhile."""
    workflow = sub.version.workflow
    now = utcnow()
    waited = int((now - sub.state_since).total_seconds()) if sub.state_since else None
    if inputs.target_node is not None:
        _move_node(sub, inputs.target_node)
    new_state = target_state(workflow, sub.node, transition)
    sub.state = new_state
    sub.tier = tier_of(workflow, new_state)
    sub.state_since = now
    sub.updated_at = now
    _set_partner(sub, transition, inputs)
    if inputs.original is not None:
        sub.duplicate_of_id = inputs.original.id
    if new_state == "resolved" and sub.resolved_at is None:
        sub.resolved_at = now
        sub.resolve_seconds = int((now - sub.created_at).total_seconds())
    try:
        db.session.flush()
    except StaleDataError:
        raise ApiError(409, _("Someone else acted on this item at the same time; "
                              "please reload."), "concurrent_update") from None
    return waited


def _move_node(sub: Submission, node) -> None:
    sub.grid_node_id = node.id
    sub.node = node
    sub.node_path = node.path
    db.session.execute(update(SubmissionEvent).where(SubmissionEvent.submission_id == sub.id)
                       .values(node_path=node.path)
                       .execution_options(synchronize_session=False))


def _set_partner(sub: Submission, transition: dict, inputs: Inputs) -> None:
    if inputs.org is not None:
        sub.partner = inputs.org
    if inputs.resource is not None:
        sub.resource_id = inputs.resource.id
    if transition.get("clear_partner"):
        sub.partner = None
        sub.resource_id = None


def _run_effects(transition: dict, sub: Submission, event, actor, from_state: str) -> None:
    """The transition's declared effects, each run by the feature that registered it."""
    for declared in transition.get("effects") or []:
        run = hooks.effect(declared["type"])
        if run is not None:
            run(declared, sub, event, actor, from_state)


def _duplicate_target(actor, sub, duplicate_of, fields):
    if as_id(duplicate_of) is None:
        fields["duplicate_of"] = [_("Name the original submission.")]
        return None
    original = db.session.execute(select(Submission).where(
        Submission.id == as_id(duplicate_of), submission_filter(actor))).scalar_one_or_none()
    if original is None or original.id == sub.id:
        fields["duplicate_of"] = [_("Unknown original submission.")]
        return None
    return original
