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
from app.forms.services import states_held_by_tiers
from app.lists.models import Resource
from app.meetings.models import Meeting
from app.submissions.models import Submission
from app.workflow.definition import tier_of
from app.submissions.services import get_visible_or_404, take_action

# What the workflow definitions say: a need still with the grid's staff is open; one a
# partner unit holds is in service.
STAFF_TIERS = ("captain", "branch", "committee")
PARTNER_TIERS = ("partner",)
# The tiers a need climbs from, by the workflow's own escalations, before it is dispatched.
BELOW_COMMITTEE = ("captain", "branch")


def _form_ids_by_kind() -> dict[str, tuple[int, ...]]:
    out: dict[str, list[int]] = {}
    for form_id, kind in db.session.execute(select(Form.id, Form.kind).order_by(Form.id)):
        out.setdefault(kind, []).append(form_id)
    return {kind: tuple(ids) for kind, ids in out.items()}


def draft_agenda(node) -> list[dict]:
    """Open needs with no resource yet, resources new in 90 days, services overdue 7 days."""
    now = utcnow()
    form_ids = _form_ids_by_kind()
    need_ids = form_ids.get("need", ())
    open_states = states_held_by_tiers(need_ids, STAFF_TIERS)
    service_states = states_held_by_tiers(tuple(i for ids in form_ids.values() for i in ids),
                                          PARTNER_TIERS)
    needs = db.session.execute(select(Submission).join(Form, Form.id == Submission.form_id).where(
        Form.kind == "need", under(Submission.node_path, node.path),
        Submission.state.in_(open_states), Submission.resource_id.is_(None))
        .order_by(Submission.id).limit(50)).unique().scalars().all()
    resources = db.session.execute(select(Resource).where(
        under(Resource.node_path, node.path), Resource.created_at >= now - timedelta(days=90))
        .order_by(Resource.id).limit(50)).unique().scalars().all()
    overdue = db.session.execute(select(Submission).where(
        under(Submission.node_path, node.path), Submission.state.in_(service_states),
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


def schedule_meeting(user, args: dict) -> Meeting:
    """Schedule a joint meeting of a community (its committee only); the agenda is drafted
    from the lists. The API and the console call this with MeetingSchema's output."""
    from app.core.events import emit
    from app.grid.scope import scope_for
    from app.grid.services import node_by_code

    node = node_by_code(args["grid_code"])
    if node is None or node.level != "community":
        raise ApiError(422, fields={"grid_code": [_("Choose a community.")]})
    if not any(node.path.startswith(p) for r, p in scope_for(user).staff if r == "committee"):
        raise ApiError(403)
    orgs = orgs_by_name(args["invited"])
    meeting = Meeting(title=args["title"], grid_node_id=node.id, node_path=node.path,
                      starts_at=args["starts_at"], place=args["place"],
                      invited_org_ids=[o.id for o in orgs], agenda=draft_agenda(node),
                      attendance=[], decisions=[], created_by_id=user.id, created_at=utcnow())
    meeting.node = node
    db.session.add(meeting)
    db.session.flush()
    emit(db.session, "meeting.scheduled", meeting=meeting, actor=user)
    return meeting


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
            if tier_of(sub.version.workflow, sub.state) not in BELOW_COMMITTEE:
                break
            take_action(sub, actor, _transition({"action": "escalate", "comment": comment}))
        event = take_action(sub, actor, _transition({
            "action": "dispatch", "comment": comment, "partner": decision.get("partner"),
            "resource": decision.get("resource"), "expected_state": decision.get("expected_state")}))
        results.append({"dispatch": sub.id, "partner": sub.partner.name if sub.partner else None,
                        "resource": sub.resource_id, "state": sub.state, "event": event.seq})
    meeting.attendance = attendance
    meeting.notes = notes
    meeting.decisions = (meeting.decisions or []) + results
    meeting.held_at = meeting.held_at or utcnow()
    db.session.flush()
    return results


def _transition(body: dict) -> dict:
    """A decision's transition, loaded by the API's own TransitionSchema (one way to call the
    engine: submissions.take_action)."""
    from marshmallow import ValidationError

    from app.core.errors import flatten_messages
    from app.submissions.schemas import TransitionSchema

    try:
        return TransitionSchema().load({k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        raise ApiError(422, fields=flatten_messages(exc.messages)) from None


def quarter_start(now):
    """The start of the community's current quarter (local midnight), as naive UTC."""
    from app.core.timezone import local_midnight, local_today
    today = local_today(now)
    return local_midnight(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1))
