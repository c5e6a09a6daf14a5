"""Meetings: an agenda drafted from the three lists; decisions dispatched by the engine."""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.paths import under
from app.accounts.models import Org
from app.core.clock import isoformat, utcnow
from app.core.errors import ApiError
from app.extensions import db
from app.forms.models import Form
from app.lists.models import Resource
from app.submissions.models import Submission
from app.workflow.engine import apply_transition

OPEN_NEED_STATES = ("at_captain", "at_branch", "at_committee")
SERVICE_STATES = ("dispatched", "in_service")


def draft_agenda(node) -> list[dict]:
    """Open needs with no resource yet, resources new in 90 days, services overdue 7 days."""
    now = utcnow()
    needs = db.session.execute(select(Submission).join(Form, Form.id == Submission.form_id).where(
        Form.kind == "need", under(Submission.node_path, node.path),
        Submission.state.in_(OPEN_NEED_STATES), Submission.resource_id.is_(None))
        .order_by(Submission.id).limit(50)).unique().scalars().all()
    resources = db.session.execute(select(Resource).where(
        under(Resource.node_path, node.path), Resource.created_at >= now - timedelta(days=90))
        .order_by(Resource.id).limit(50)).unique().scalars().all()
    overdue = db.session.execute(select(Submission).where(
        under(Submission.node_path, node.path), Submission.state.in_(SERVICE_STATES),
        Submission.state_since <= now - timedelta(days=7)).order_by(Submission.id).limit(50)
    ).unique().scalars().all()
    agenda = [{"kind": "need", "submission": s.id, "title": str(s.data.get("description", ""))[:80],
               "grid_name": s.node.name, "category": s.data.get("category")} for s in needs]
    agenda += [{"kind": "resource", "resource": r.id, "title": r.title, "org": r.org.name,
                "category": r.category} for r in resources]
    agenda += [{"kind": "overdue_service", "submission": s.id,
                "title": str(s.data.get("description") or s.data.get("content") or "")[:80],
                "partner": s.partner.name if s.partner else None,
                "since": isoformat(s.state_since)} for s in overdue]
    return agenda


def orgs_by_name(names) -> list[Org]:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ApiError(422, fields={"invited": [_("Must be a list of partner unit names.")]})
    found = {o.name: o for o in db.session.execute(select(Org).where(Org.name.in_(names))).scalars()}
    missing = [n for n in names if n not in found]
    if missing:
        raise ApiError(422, fields={"invited": [_("Unknown partner unit.") + " " + ", ".join(missing)]})
    return [found[n] for n in names]


def record_meeting(meeting, actor, attendance, notes, decisions) -> list[dict]:
    """Record who came, the notes, and each decision; a dispatch decision is the workflow's own
    `dispatch` transition (the same as from the inbox), so history and permissions hold."""
    from app.submissions.services import get_visible_or_404

    results = []
    for index, decision in enumerate(decisions):
        if not isinstance(decision, dict) or "dispatch" not in decision:
            raise ApiError(422, fields={f"decisions.{index}": [_("Give dispatch and partner.")]})
        sub = get_visible_or_404(actor, str(decision["dispatch"]))
        comment = decision.get("comment") or _("Decided at the joint meeting: %(title)s",
                                               title=meeting.title)
        # A need still with the captain or the branch comes up to the committee first, by the
        # workflow's own escalations (recorded), then is dispatched.
        for _step in range(3):
            if sub.state not in ("at_captain", "at_branch"):
                break
            apply_transition(sub, "escalate", actor, comment=comment)
        event = apply_transition(sub, "dispatch", actor, comment=comment,
                                 partner=decision.get("partner"), resource=decision.get("resource"),
                                 expected_state=decision.get("expected_state"))
        results.append({"dispatch": sub.id, "partner": sub.partner.name if sub.partner else None,
                        "resource": sub.resource_id, "state": sub.state, "event": event.seq})
    meeting.attendance = attendance
    meeting.notes = notes
    meeting.decisions = (meeting.decisions or []) + results
    meeting.held_at = meeting.held_at or utcnow()
    db.session.flush()
    return results


def quarter_start(now):
    """The start of the community's current quarter (local midnight), as naive UTC."""
    from app.core.timezone import local_midnight, local_today
    today = local_today(now)
    return local_midnight(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1))
