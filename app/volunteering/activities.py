"""Service activities (服务活动): residents sign up, attendance is recorded afterwards, and
volunteers present are completed through the volunteer-signup workflow (which awards points)."""
from flask import current_app, jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.schemas import MOBILE_DOC
from app.core.openapi import answers, query
from app.core.schema_types import ItemsSchema
from app.volunteering.schemas import AttendedSchema, ResidentSignedUpSchema
from app.accounts.services import PHONE_RE, normalize_phone
from app.core.clock import isoformat, utcnow
from app.core.errors import ApiError
from app.core.security import optional_user, require_user
from app.extensions import db, limiter
from app.submissions.models import Submission
from app.volunteering.models import ActivitySignup, Post
from app.volunteering.routes import _may_manage, _post_or_404, blp
from app.submissions.services import take_action
from app.grid.services import node_by_code
from app.volunteering.services import LIVE_STATES, PLACE_STATES, serialize
from app.workflow.definition import transitions_named


class ResidentSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = fields.String(required=True, validate=validate.Length(max=20), metadata=MOBILE_DOC)


class AttendanceSchema(Schema):
    residents_served = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100000))
    volunteers_present = fields.List(fields.Integer(strict=True), load_default=list)


def _signed_in() -> bool:
    return optional_user() is not None


@blp.route("/<int:post_id>/residents", methods=["POST"])
@blp.doc(**answers(ResidentSignedUpSchema, "201"))
@limiter.limit(lambda: current_app.config["PUBLIC_SUBMIT_LIMIT"], exempt_when=_signed_in)
@blp.arguments(ResidentSchema)
def resident_signup(args, post_id):
    """A resident signs up (name and phone); without an account where the organiser allows it."""
    user = optional_user()
    post = _post_or_404(post_id)
    if post.kind != "activity" or not post.resident_capacity:
        raise ApiError(404)
    if user is None and not post.public_signup:
        raise ApiError(401)
    if not post.open or post.ends_at <= utcnow():
        raise ApiError(409, _("This post is closed to new claims."), "post_closed")
    phone = normalize_phone(args["phone"])
    if not PHONE_RE.match(phone):
        raise ApiError(422, fields={"phone": [_("Enter a valid mainland China mobile number (11 digits).")]})
    try:
        with db.session.begin_nested():
            taken = db.session.execute(update(Post).where(
                Post.id == post.id, Post.residents_signed < Post.resident_capacity)
                .values(residents_signed=Post.residents_signed + 1)
                .execution_options(synchronize_session=False)).rowcount
            if taken != 1:
                raise ApiError(409, _("This activity is full."), "activity_full")
            signup = ActivitySignup(post_id=post.id, name=args["name"].strip(), phone=phone,
                                    user_id=user.id if user else None, created_at=utcnow())
            db.session.add(signup)
            db.session.flush()
    except IntegrityError:
        raise ApiError(409, _("This phone number has already signed up."), "already_signed_up") from None
    return jsonify({"id": signup.id, "post": post.id}), 201


@blp.route("/<int:post_id>/residents", methods=["GET"])
@blp.doc(**answers(ItemsSchema, description="The residents signed up (branch or committee)"))
def resident_list(post_id):
    """The organiser's list of residents signed up (branch or committee of the post's node)."""
    user = require_user()
    post = _post_or_404(post_id)
    if not _may_manage(user, post.node_path):
        raise ApiError(404)
    rows = db.session.execute(select(ActivitySignup).where(ActivitySignup.post_id == post.id)
                              .order_by(ActivitySignup.id)).scalars()
    return jsonify({"items": [{"id": r.id, "name": r.name, "phone": r.phone,
                               "at": isoformat(r.created_at)} for r in rows]})


# Claims that hold a place and are still live: the ones an activity's attendance settles.
HELD_PLACES = tuple(s for s in PLACE_STATES if s in LIVE_STATES)


def _leaves(claim: Submission, action: str) -> bool:
    """Whether the claim's workflow has an `action` transition out of its current state."""
    return any(claim.state in t["from"] for t in transitions_named(claim.version.workflow, action))


def record_attendance(post: Post, actor, present: set, residents_served: int) -> dict:
    """Volunteers present are confirmed (if needed) and completed — the workflow awards their
    points; confirmed ones absent become no-shows. Used by the API and the console."""
    claims = db.session.execute(select(Submission).where(
        Submission.post_id == post.id, Submission.state.in_(HELD_PLACES))
        .order_by(Submission.id)).unique().scalars().all()
    unknown = present - {c.id for c in claims}
    if unknown:
        raise ApiError(422, fields={"volunteers_present": [_("Unknown claim: %(ids)s",
                                                             ids=", ".join(map(str, sorted(unknown))))]})
    outcome = {}
    for claim in claims:
        if claim.id in present:
            if _leaves(claim, "confirm"):
                take_action(claim, actor, {"action": "confirm"})
            take_action(claim, actor, {"action": "complete"})
        elif _leaves(claim, "no_show"):
            take_action(claim, actor, {"action": "no_show"})
        outcome[claim.id] = claim.state
    post.residents_served = residents_served
    post.held_at = post.held_at or utcnow()
    db.session.flush()
    return outcome


@blp.route("/<int:post_id>/attendance", methods=["POST"])
@blp.doc(**answers(AttendedSchema))
@blp.arguments(AttendanceSchema)
def attendance(args, post_id):
    """After the activity: residents served, and which volunteers came. Those present are
    confirmed (if needed) and completed (points); confirmed ones absent become no-shows."""
    user = require_user()
    post = _post_or_404(post_id)
    if not _may_manage(user, post.node_path):
        raise ApiError(403)
    outcome = record_attendance(post, user, set(args["volunteers_present"]), args["residents_served"])
    return jsonify({"post": post.id, "residents_served": post.residents_served,
                    "held_at": isoformat(post.held_at), "claims": outcome})


@blp.route("/public", methods=["GET"])
@blp.doc(parameters=[query("grid_code", "a building's code", required=True)],
         **answers(ItemsSchema, description="Open activities residents may join"))
@limiter.limit("60/minute")
def public_activities():
    """Upcoming activities residents of a building may sign up for without an account."""

    node = node_by_code(request.args.get("grid_code", ""))
    if node is None or node.level != "building":
        raise ApiError(404)
    rows = db.session.execute(select(Post).where(
        Post.kind == "activity", Post.public_signup.is_(True), Post.open.is_(True),
        Post.ends_at > utcnow(), Post.grid_node_id.in_(node.ancestor_ids))
        .order_by(Post.starts_at).limit(20)).unique().scalars().all()
    fields_shown = ("id", "title", "description", "place", "starts_at", "ends_at", "grid_name",
                    "resident_capacity", "residents_signed")
    return jsonify({"items": [{k: v for k, v in serialize(p).items() if k in fields_shown} for p in rows]})
