"""Console: joint meetings, the notice board, service activities."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.core.paths import under
from app.accounts import services as accounts
from app.core.clock import utcnow
from app.core.timezone import parse_local as parse_iso  # typed times are community time
from app.core.errors import ApiError
from app.core.ids import as_id
from app.core.scope import scope_for
from app.extensions import db
from app.grid.models import GridNode
from app.grid.services import node_by_code
from app.submissions.models import Submission

from .routes import _my_nodes, bp, flash_api_error, staff_required


@bp.route("/meetings", methods=["GET", "POST"])
@staff_required
def meetings():
    """Joint meetings of my communities; the committee schedules one (agenda drafted)."""
    from app.accounts.models import Org
    from app.meetings import services as meeting_services
    from app.meetings.models import Meeting

    scope = scope_for(current_user)
    communities = [n for n in db.session.execute(select(GridNode).where(
        GridNode.level == "community", scope.path_filter(GridNode.path, "committee"))
        .order_by(GridNode.code)).scalars()]
    if request.method == "POST":
        node = node_by_code(request.form.get("grid_code", ""))
        if node is None or node not in communities:
            abort(403)
        try:
            starts = parse_iso(request.form.get("starts_at", ""))
            orgs = meeting_services.orgs_by_name(request.form.getlist("invited"))
        except (ValueError, ApiError):
            flash(_("Not a valid date and time."), "error")
            return redirect(url_for("console.meetings"))
        meeting = Meeting(title=request.form.get("title") or _("Joint meeting"), grid_node_id=node.id,
                          node_path=node.path, starts_at=starts, place=request.form.get("place", ""),
                          invited_org_ids=[o.id for o in orgs], agenda=meeting_services.draft_agenda(node),
                          attendance=[], decisions=[], created_by_id=current_user.id, created_at=utcnow())
        db.session.add(meeting)
        db.session.commit()
        return redirect(url_for("console.meeting", meeting_id=meeting.id))
    rows = db.session.execute(select(Meeting).where(scope.path_filter(Meeting.node_path))
                              .order_by(Meeting.starts_at.desc())).unique().scalars().all()
    orgs = db.session.execute(select(Org).order_by(Org.name)).scalars().all()
    return render_template("console/meetings.html", meetings=rows, communities=communities, orgs=orgs)


@bp.route("/meetings/<int:meeting_id>", methods=["GET", "POST"])
@staff_required
def meeting(meeting_id):
    """The agenda from the lists; record attendance, notes and dispatch decisions."""
    from app.accounts.models import Org
    from app.lists.models import Resource
    from app.meetings import services as meeting_services
    from app.meetings.models import Meeting

    item = db.session.get(Meeting, meeting_id)
    scope = scope_for(current_user)
    if item is None or not scope.covers_path(item.node_path):
        abort(404)
    if request.method == "POST":
        if not scope.covers_path(item.node_path, "committee"):
            abort(403)
        decisions = []
        if request.form.get("dispatch"):
            decisions.append({"dispatch": request.form["dispatch"], "partner": request.form.get("partner"),
                              "resource": request.form.get("resource") or None})
        try:
            meeting_services.record_meeting(item, current_user, request.form.getlist("attendance"),
                                            request.form.get("notes", item.notes or ""), decisions)
            db.session.commit()
            flash(_("Done."))
        except ApiError as exc:
            db.session.rollback()
            flash_api_error(exc)
        return redirect(url_for("console.meeting", meeting_id=meeting_id))
    orgs = db.session.execute(select(Org).order_by(Org.name)).scalars().all()
    invited = {o.id for o in orgs if o.id in (item.invited_org_ids or [])}
    resources = db.session.execute(select(Resource).where(
        under(Resource.node_path, item.node_path))).unique().scalars().all()
    return render_template("console/meeting.html", meeting=item, orgs=orgs, invited=invited,
                           resources=resources)


@bp.route("/notices", methods=["GET", "POST"])
@staff_required
def notices():
    """Publish a notice to a subtree; see how many captains have relayed each."""
    from app.notices.models import Notice, NoticeRelay

    scope = scope_for(current_user)
    if request.method == "POST":
        node = node_by_code(request.form.get("grid_code", ""))
        if node is None or not scope.manages(node.path):
            abort(403)
        title, body = request.form.get("title", "").strip(), request.form.get("body", "").strip()
        if not title or not body:
            flash(_("This field is required."), "error")
            return redirect(url_for("console.notices"))
        expires = request.form.get("expires_at")
        photo_id = None
        upload = request.files.get("photo")
        if upload and upload.filename:
            from app.uploads.services import store_image
            request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"] + 64 * 1024
            try:
                photo_id = store_image(upload.read(current_app.config["UPLOAD_MAX_BYTES"] + 1),
                                       current_user).id
            except ApiError as exc:
                flash(str(exc.message), "error")
                return redirect(url_for("console.notices"))
        db.session.add(Notice(title=title[:200], body=body[:10000], grid_node_id=node.id,
                              photo_id=photo_id,
                              node_path=node.path, public=bool(request.form.get("public")),
                              expires_at=parse_iso(expires + "T23:59:59") if expires else None,
                              created_by_id=current_user.id, created_at=utcnow()))
        db.session.commit()
        flash(_("Done."))
        return redirect(url_for("console.notices"))
    rows = db.session.execute(select(Notice).where(scope.path_filter(Notice.node_path))
                              .order_by(Notice.id.desc()).limit(100)).unique().scalars().all()
    relayed = dict(db.session.execute(select(NoticeRelay.notice_id, func.count()).where(
        NoticeRelay.notice_id.in_([n.id for n in rows] or [0])).group_by(NoticeRelay.notice_id)).all())
    return render_template("console/notices.html", notices=rows, relayed=relayed, nodes=_my_nodes())


@bp.get("/notices/<int:notice_id>")
@staff_required
def notice(notice_id):
    from app.notices.models import Notice

    item = db.session.get(Notice, notice_id)
    if item is None or not scope_for(current_user).covers_path(item.node_path):
        abort(404)
    from app.notices.services import relay_status

    return render_template("console/notice.html", notice=item, rows=relay_status(item))


@bp.route("/activities", methods=["GET", "POST"])
@staff_required
def activities():
    """Service activities: create one (a post with a public face), see sign-ups, record attendance."""
    from app.volunteering.models import ActivitySignup, Post

    scope = scope_for(current_user)
    if request.method == "POST":
        node = node_by_code(request.form.get("grid_code", ""))
        if node is None or not scope.manages(node.path):
            abort(403)
        try:
            starts = parse_iso(request.form["starts_at"])
            ends = parse_iso(request.form["ends_at"])
            capacity = int(request.form.get("capacity") or 1)
            residents = int(request.form.get("resident_capacity") or 0) or None
        except (KeyError, ValueError):
            flash(_("Not a valid date and time."), "error")
            return redirect(url_for("console.activities"))
        if ends <= starts or capacity < 1:
            flash(_("Must be after starts_at."), "error")
            return redirect(url_for("console.activities"))
        org = accounts.get_or_create_org(request.form["partner"].strip()) if request.form.get("partner") else None
        db.session.add(Post(title=request.form.get("title", "").strip()[:200] or _("Activity"),
                            description=request.form.get("description", ""), grid_node_id=node.id,
                            node_path=node.path, kind="activity", capacity=capacity, starts_at=starts,
                            ends_at=ends, place=request.form.get("place", "")[:200],
                            public_signup=bool(request.form.get("public_signup")),
                            resident_capacity=residents, partner_org_id=org.id if org else None,
                            created_by_id=current_user.id, created_at=utcnow()))
        db.session.commit()
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
            Submission.state.in_(("claimed", "confirmed", "completed", "no_show")))).unique().scalars():
        claims.setdefault(sub.post_id, []).append(sub)
    return render_template("console/activities.html", activities=rows, signups=signups, claims=claims,
                           nodes=_my_nodes())


@bp.post("/activities/<int:post_id>/attendance")
@staff_required
def activity_attendance(post_id):
    from app.volunteering.models import Post

    post = db.session.get(Post, post_id)
    if post is None or not scope_for(current_user).covers_path(post.node_path, "branch"):
        abort(404)
    from app.volunteering.activities import record_attendance

    present = {as_id(v) for v in request.form.getlist("present")} - {None}
    try:
        record_attendance(post, current_user, present, request.form.get("residents_served", type=int) or 0)
        db.session.commit()
        flash(_("Done."))
    except ApiError as exc:
        db.session.rollback()
        flash_api_error(exc)
    return redirect(url_for("console.activities"))
