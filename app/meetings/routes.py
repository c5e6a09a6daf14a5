"""Joint meetings API."""
from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from app.core.clock import isoformat
from app.core.errors import ApiError
from app.grid.scope import scope_for
from app.core.security import require_user
from app.extensions import db
from app.meetings import services
from app.meetings.models import Meeting
from app.core.openapi import answers
from app.core.schema_types import IsoDateTime, OpenSchema
from app.accounts.models import Org

blp = Blueprint("meetings", __name__, url_prefix="/api/v1/meetings",
                description="Joint meetings with co-building units")


class MeetingSchema(Schema):
    grid_code = fields.String(required=True)
    starts_at = IsoDateTime(required=True)
    title = fields.String(load_default="区域党建共建联席会议", validate=validate.Length(min=1, max=200))
    place = fields.String(load_default="", validate=validate.Length(max=200))
    invited = fields.List(fields.String(), load_default=list)


class AgendaSchema(Schema):
    agenda = fields.List(fields.Dict(), required=True)


class RecordSchema(Schema):
    attendance = fields.List(fields.String(), load_default=list)
    notes = fields.String(load_default="", validate=validate.Length(max=20000))
    decisions = fields.List(fields.Dict(), load_default=list)


class MeetingAnswerSchema(OpenSchema):
    """A meeting (docs only); a partner sees only the decisions that concern its unit."""
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    grid_code = fields.String(required=True)
    grid_name = fields.String(required=True)
    starts_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    place = fields.String(required=True, allow_none=True)
    invited = fields.List(fields.String(), required=True, metadata={"description": "unit names"})
    agenda = fields.List(fields.Dict(), required=True)
    attendance = fields.List(fields.Raw(), required=True, allow_none=True)
    notes = fields.String(required=True, allow_none=True)
    decisions = fields.List(fields.Dict(), required=True)
    held_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    results = fields.List(fields.Raw(), metadata={"description": "POST …/record: each "
                                                                "decision's outcome"})


class MeetingListSchema(OpenSchema):
    items = fields.List(fields.Nested(MeetingAnswerSchema), required=True)


def serialize(m: Meeting, partner_org_ids=None) -> dict:
    decisions = m.decisions or []
    if partner_org_ids is not None:  # a partner sees the decisions that concern its unit
        names = {o.name for o in db.session.execute(select(Org).where(Org.id.in_(partner_org_ids))).scalars()}
        decisions = [d for d in decisions if d.get("partner") in names]
    return {"id": m.id, "title": m.title, "grid_code": m.node.code, "grid_name": m.node.name,
            "starts_at": isoformat(m.starts_at), "place": m.place, "invited": _org_names(m),
            "agenda": m.agenda if partner_org_ids is None else [],
            "attendance": m.attendance, "notes": m.notes if partner_org_ids is None else "",
            "decisions": decisions, "held_at": isoformat(m.held_at)}


def _org_names(m: Meeting) -> list[str]:
    ids = m.invited_org_ids or []
    return [o.name for o in db.session.execute(select(Org).where(Org.id.in_(ids)).order_by(Org.name)).scalars()]


def _committee_of(user, node) -> bool:
    return any(node.path.startswith(p) for r, p in scope_for(user).staff if r == "committee")


@blp.route("", methods=["POST"])
@blp.arguments(MeetingSchema)
@blp.doc(**answers(MeetingAnswerSchema, "201"))
def schedule(args):
    """Schedule a joint meeting of a community (its committee); the agenda is drafted."""
    user = require_user()
    return jsonify(serialize(services.schedule_meeting(user, args))), 201


@blp.route("", methods=["GET"])
@blp.doc(**answers(MeetingListSchema))
def list_meetings():
    """Meetings in my grid; partners: the meetings their unit is invited to (a few a year per
    community, so the invitation check runs over the rows)."""
    user = require_user()
    scope = scope_for(user)
    rows = db.session.execute(select(Meeting).order_by(Meeting.starts_at.desc()).limit(500))
    out = []
    for m in rows.unique().scalars():
        if scope.covers_path(m.node_path):
            out.append(serialize(m))
        elif set(m.invited_org_ids or []) & set(scope.org_ids):
            out.append(serialize(m, scope.org_ids))
    return jsonify({"items": out})


def _meeting_or_404(user, meeting_id) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    scope = scope_for(user)
    if meeting is None or not (scope.covers_path(meeting.node_path)
                               or set(meeting.invited_org_ids or []) & set(scope.org_ids)):
        raise ApiError(404)
    return meeting


def _for_committee(meeting_id):
    """The signed-in user and the meeting, if they are its community's committee (404/403)."""
    user = require_user()
    meeting = _meeting_or_404(user, meeting_id)
    if not _committee_of(user, meeting.node):
        raise ApiError(403)
    return user, meeting


@blp.route("/<int:meeting_id>", methods=["GET"])
@blp.doc(**answers(MeetingAnswerSchema))
def get_meeting(meeting_id):
    user = require_user()
    meeting = _meeting_or_404(user, meeting_id)
    scope = scope_for(user)
    return jsonify(serialize(meeting, None if scope.covers_path(meeting.node_path) else scope.org_ids))


@blp.route("/<int:meeting_id>/agenda", methods=["PUT"])
@blp.doc(**answers(MeetingAnswerSchema))
@blp.arguments(AgendaSchema)
def edit_agenda(args, meeting_id):
    """Replace the agenda (the committee edits the draft)."""
    _user, meeting = _for_committee(meeting_id)
    meeting.agenda = args["agenda"]
    return jsonify(serialize(meeting))


@blp.route("/<int:meeting_id>/record", methods=["POST"])
@blp.doc(**answers(MeetingAnswerSchema))
@blp.arguments(RecordSchema)
def record(args, meeting_id):
    """Record attendance, notes and decisions; "dispatch need X to partner Y" dispatches it."""
    user, meeting = _for_committee(meeting_id)
    services.orgs_by_name(args["attendance"])
    results = services.record_meeting(meeting, user, args["attendance"], args["notes"], args["decisions"])
    return jsonify(serialize(meeting) | {"results": results})
