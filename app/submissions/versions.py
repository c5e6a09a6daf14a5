"""What publishing a new form version does to submissions still moving through the old ones
(registered with forms at app start, app/hooks.py)."""
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.errors import ApiError
from app.extensions import db
from app.forms.models import FormVersion
from app.submissions.models import Submission
from app.submissions.transitions import record_event
from app.workflow.definition import tier_of


def plan_in_flight(form, workflow: dict, state_map) -> list[tuple[str, str]]:
    """A new workflow must not strand submissions that are still moving: if it drops a state
    that live submissions of this form hold, the publisher maps that state to one of the new
    workflow's, and those submissions move to the new version in the mapped state.
    (Submissions in states the new workflow keeps stay pinned to their own version.)"""
    if form is None:
        return []
    pairs = db.session.execute(select(Submission.state, Submission.form_version_id).where(
        Submission.form_id == form.id).distinct()).all()
    workflows = {v.id: v.workflow for v in form.versions}
    live = {state for state, vid in pairs
            if not workflows[vid]["states"].get(state, {}).get("final")}
    missing = sorted(s for s in live if s not in workflow["states"])
    state_map = state_map if isinstance(state_map, dict) else {}
    errors = []
    moves = []
    for state in missing:
        target = state_map.get(state)
        if target is None:
            errors.append(_("State '%(state)s' still holds submissions; map it to a state of "
                            "the new workflow in state_map.", state=state))
        elif target not in workflow["states"] or workflow["states"][target].get("final"):
            errors.append(_("state_map: '%(target)s' is not an open state of the new workflow.",
                            target=target))
        else:
            moves.append((state, target))
    if errors:
        raise ApiError(422, fields={"workflow.states": errors})
    return moves


def move_in_flight(moves, version: FormVersion, actor) -> None:
    for old, new in moves:
        subs = db.session.execute(select(Submission).where(
            Submission.form_id == version.form_id, Submission.state == old)).scalars().all()
        for sub in subs:
            sub.form_version_id, sub.form_version = version.id, version.number
            sub.version = version
            sub.state, sub.tier = new, tier_of(version.workflow, new)
            db.session.flush()
            record_event(sub, "migrate", old, new, actor,
                         f"workflow v{version.number}: {old} → {new}")
