"""Console: joint meetings, the notice board, service activities. Each action loads the API's
schema from the form and calls the API's service (meetings.schedule_meeting, record_meeting,
notices.publish_notice, volunteering.create_post, record_attendance); nothing commits here."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.core.paths import under
from app.core.ids import as_id
from app.grid.scope import scope_for
from app.extensions import db
from app.grid.models import GridNode
from app.submissions.models import Submission
from app.accounts.models import Org
from app.meetings import services as meeting_services
from app.meetings.models import Meeting
from app.lists.models import Resource
from app.notices.models import Notice, NoticeRelay
from app.uploads.services import store_image
from app.notices.schemas import NoticeSchema
from app.notices.services import publish_notice, relay_status
from app.volunteering.models import ActivitySignup, Post
from app.volunteering.activities import record_attendance
from app.volunteering import services as volunteering
from app.volunteering.routes import PostCreateSchema
from app.volunteering.services import PLACE_STATES
from app.meetings.routes import MeetingSchema, RecordSchema
from werkzeug.datastructures import MultiDict

from .actions import load_form, refusals_flashed
from .base import bp, picker_nodes, staff_required


@bp.route("/meetings", methods=["GET", "POST"])
@staff_required
@refusals_flashed("console.meetings")
def meetings():
    """Joint meetings of my communities; the committee schedules one (agenda drafted)."""

    scope = scope_for(current_user)
    communities = [n for n in db.session.execute(select(GridNode).where(
        GridNode.level == "community", scope.path_filter(GridNode.path, "committee"))
        .order_by(GridNode.code)).scalars()]
    if request.method == "POST":
        meeting = meeting_services.schedule_meeting(current_user, load_form(MeetingSchema))
        return redirect(url_for("console.meeting", meeting_id=meeting.id))
    rows = db.session.execute(select(Meeting).where(scope.path_filter(Meeting.node_path))
                              .order_by(Meeting.starts_at.desc())).unique().scalars().all()
    orgs = db.session.execute(select(Org).order_by(Org.name)).scalars().all()
    return render_template("console/meetings.html", meetings=rows, communities=communities, orgs=orgs)


@bp.route("/meetings/<int:meeting_id>", methods=["GET", "POST"])
@staff_required
@refusals_flashed("console.meeting", meeting_id=lambda kw: kw["meeting_id"])
def meeting(meeting_id):
    """The agenda from the lists; record attendance, notes and dispatch decisions."""

    item = db.session.get(Meeting, meeting_id)
    scope = scope_for(current_user)
    if item is None or not scope.covers_path(item.node_path):
        abort(404)
    if request.method == "POST":
        if not scope.covers_path(item.node_path, "committee"):
            abort(403)
        args = load_form(RecordSchema, MultiDict(
            [("notes", request.form.get("notes", item.notes or ""))]
            + [("attendance", a) for a in request.form.getlist("attendance")]))
        if request.form.get("dispatch"):
            args["decisions"] = [{"dispatch": request.form["dispatch"], "partner": request.form.get("partner"),
                                  "resource": request.form.get("resource") or None}]
        meeting_services.record_meeting(item, current_user, args["attendance"], args["notes"],
                                        args["decisions"])
        flash(_("Done."))
        return redirect(url_for("console.meeting", meeting_id=meeting_id))
    orgs = db.session.execute(select(Org).order_by(Org.name)).scalars().all()
    invited = {o.id for o in orgs if o.id in (item.invited_org_ids or [])}
    resources = db.session.execute(select(Resource).where(
        under(Resource.node_path, item.node_path))).unique().scalars().all()
    return render_template("console/meeting.html", meeting=item, orgs=orgs, invited=invited,
                           resources=resources)


@bp.route("/notices", methods=["GET", "POST"])
@staff_required
@refusals_flashed("console.notices")
def notices():
    """Publish a notice to a subtree; see how many captains have relayed each."""

    scope = scope_for(current_user)
    if request.method == "POST":
        extra = {}
        if request.form.get("expires_at"):   # a day: the notice stands until its evening
            extra["expires_at"] = request.form["expires_at"] + "T23:59:59"
        upload = request.files.get("photo")
        if upload and upload.filename:
            request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"] + 64 * 1024
            extra["photo"] = store_image(upload.read(current_app.config["UPLOAD_MAX_BYTES"] + 1),
                                         current_user).id
        publish_notice(current_user, load_form(NoticeSchema, **extra))
        flash(_("Done."))
        return redirect(url_for("console.notices"))
    rows = db.session.execute(select(Notice).where(scope.path_filter(Notice.node_path))
                              .order_by(Notice.id.desc()).limit(100)).unique().scalars().all()
    relayed = dict(db.session.execute(select(NoticeRelay.notice_id, func.count()).where(
        NoticeRelay.notice_id.in_([n.id for n in rows] or [0])).group_by(NoticeRelay.notice_id)).all())
    return render_template("console/notices.html", notices=rows, relayed=relayed,
                           nodes=picker_nodes("branch"))


@bp.get("/notices/<int:notice_id>")
@staff_required
def notice(notice_id):
    item = db.session.get(Notice, notice_id)
    if item is None or not scope_for(current_user).covers_path(item.node_path):
        abort(404)

    return render_template("console/notice.html", notice=item, rows=relay_status(item))


@bp.route("/activities", methods=["GET", "POST"])
@staff_required
@refusals_flashed("console.activities")
def activities():
    """Service activities: create one (a post with a public face), see sign-ups, record attendance."""

    scope = scope_for(current_user)
    if request.method == "POST":
        volunteering.create_post(current_user, load_form(PostCreateSchema, kind="activity"))
        flash(_("Done."))
        return redirect(url_for("console.activities"))
    rows = db.session.execute(select(Post).where(Post.kind == "activity", scope.path_filter(Post.node_path))
                              .order_by(Post.starts_at.desc()).limit(100)).unique().scalars().all()
    signups = {}
    for row in db.session.execute(select(ActivitySignup).where(
            ActivitySignup.post_id.in_([p.id for p in rows] or [0])).order_by(ActivitySignup.id)).scalars():
        signups.setdefault(row.post_id, []).append(row)
    claims = {}
    for sub in db.session.execute(select(Submission).where(
            Submission.post_id.in_([p.id for p in rows] or [0]),
            Submission.state.in_(PLACE_STATES))).unique().scalars():
        claims.setdefault(sub.post_id, []).append(sub)
    orgs = db.session.execute(select(Org).order_by(Org.name)).scalars().all()
    return render_template("console/activities.html", activities=rows, signups=signups, claims=claims,
                           nodes=picker_nodes("branch"), orgs=orgs)


@bp.post("/activities/<int:post_id>/attendance")
@staff_required
@refusals_flashed("console.activities")
def activity_attendance(post_id):
    post = db.session.get(Post, post_id)
    if post is None or not scope_for(current_user).covers_path(post.node_path, "branch"):
        abort(404)

    present = {as_id(v) for v in request.form.getlist("present")} - {None}
    record_attendance(post, current_user, present, request.form.get("residents_served", type=int) or 0)
    flash(_("Done."))
    return redirect(url_for("console.activities"))
