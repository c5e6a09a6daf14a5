"""The staff console at /admin/: server-rendered pages for committee, branch and admin."""
import hmac
import json
from datetime import timedelta
from functools import wraps

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.core.clock import parse_iso, utcnow
from app.core.errors import ApiError
from app.core.ids import as_id
from app.core.scope import scope_for
from app.core.security import csrf_token
from app.extensions import db, limiter
from app.forms import services as forms
from app.forms.models import Form, FormVersion
from app.grid.models import GridNode
from app.grid.services import ImportError_, import_grid, node_by_code
from app.stats.services import children_breakdown, compute
from app.submissions import services as submissions
from app.submissions.models import Submission
from app.workflow.engine import apply_transition

from . import svg

bp = Blueprint("console", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")
CONSOLE_ROLES = ("admin", "committee", "branch")


@bp.before_request
def _check_csrf():
    if request.method == "POST" and request.endpoint != "console.login":
        sent = request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf_token", "")):
            abort(400, _("The form has expired; please go back, reload and try again."))


@bp.context_processor
def _inject():
    from flask_babel import get_locale
    return {"csrf_token": csrf_token, "lang": str(get_locale() or "zh")}


def staff_required(view):
    """Committee, branch and admin work here; captains and partners use the field app."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("console.login", next=request.path))
        if not current_user.has_role(*CONSOLE_ROLES):
            return redirect("/app/")
        return view(*args, **kwargs)
    return wrapper


def _admin_or_committee():
    if not current_user.has_role("admin", "committee"):
        abort(403)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAIL_LIMIT_CLIENT"], methods=["POST"],
               deduct_when=lambda r: r.status_code == 401)
def login():
    if request.method == "POST":
        user = accounts.authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if user is None:
            return render_template("console/login.html", error=_("Wrong username or password.")), 401
        login_user(user)
        session.permanent = True
        session.pop("csrf_token", None)
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/admin/") else url_for("console.dashboard"))
    return render_template("console/login.html")


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("console.login"))


def _my_nodes():
    scope = scope_for(current_user)
    if scope.is_admin and not scope.staff:
        return db.session.execute(select(GridNode).where(GridNode.level.in_(("street", "community")))
                                  .order_by(GridNode.path)).scalars().all()
    paths = sorted(set(scope.staff_paths), key=len)
    return db.session.execute(select(GridNode).where(GridNode.path.in_(paths))
                              .order_by(GridNode.path)).scalars().all()


def _period():
    today = utcnow().date()
    start = request.args.get("from") or (today.replace(day=1)).isoformat()
    end = request.args.get("to") or (today + timedelta(days=1)).isoformat()
    try:
        return start, end, parse_iso(start + "T00:00:00"), parse_iso(end + "T00:00:00")
    except ValueError:
        abort(400, _("Not a valid date and time."))


@bp.get("/")
@staff_required
def dashboard():
    nodes = _my_nodes()
    if not nodes:
        abort(403)
    code = request.args.get("grid_code") or nodes[0].code
    node = node_by_code(code)
    if node is None or not scope_for(current_user).covers_path(node.path):
        abort(404)
    start_text, end_text, start, end = _period()
    stats = compute(node, start, end)
    children = children_breakdown(node, start, end)
    chart = svg.bar_chart([(c["grid_name"], [c["submissions"], c["resolved"]]) for c in children],
                          [_("Submissions"), _("Resolved")])
    return render_template("console/dashboard.html", node=node, nodes=nodes, stats=stats,
                           children=children, chart=chart, start=start_text, end=end_text)


@bp.get("/submissions")
@staff_required
def submission_list():
    query = submissions.visible_query(current_user).order_by(Submission.id.desc())
    args = request.args
    form_rows = db.session.execute(select(Form).order_by(Form.id)).scalars().all()
    if args.get("form"):
        query = query.join(Form, Form.id == Submission.form_id).where(Form.slug == args["form"])
    if args.get("state"):
        query = query.where(Submission.state == args["state"])
    if args.get("grid_code"):
        node = node_by_code(args["grid_code"])
        query = query.where(Submission.node_path.like((node.path if node else "/none/") + "%"))
    for key, newer in (("from", True), ("to", False)):
        if args.get(key):
            try:
                when = parse_iso(args[key] + "T00:00:00")
            except ValueError:
                abort(400, _("Not a valid date and time."))
            query = query.where(Submission.created_at >= when if newer else Submission.created_at < when)
    if args.get("overdue"):
        query = query.where(Submission.tier.in_(("captain", "branch", "committee")),
                            Submission.state_since <= utcnow() - timedelta(hours=48))
    rows = db.session.execute(query.limit(200)).unique().scalars().all()
    return render_template("console/submissions.html", rows=rows, forms=form_rows, args=args)


@bp.post("/submissions/close-resolved")
@staff_required
def bulk_close():
    """Close many resolved items at once (a safe bulk action: no comment needed)."""
    done = failed = 0
    for raw in request.form.getlist("ids"):
        if as_id(raw) is None:
            continue
        try:
            sub = submissions.get_visible_or_404(current_user, raw)
            with db.session.begin_nested():
                apply_transition(sub, "close", current_user, expected_state="resolved")
            done += 1
        except ApiError:
            failed += 1
    db.session.commit()
    flash(_("Closed %(done)d, skipped %(failed)d.", done=done, failed=failed))
    return redirect(url_for("console.submission_list", state="resolved"))


@bp.get("/submissions/<int:sub_id>")
@staff_required
def submission_detail(sub_id):
    try:
        sub = submissions.get_visible_or_404(current_user, sub_id)
    except ApiError:
        abort(404)
    body = submissions.serialize(sub, current_user, detail=True)
    labels = {f["name"]: f["label"] for f in sub.version.definition["fields"]}
    return render_template("console/submission.html", sub=sub, body=body, labels=labels)


@bp.post("/submissions/<int:sub_id>/act")
@staff_required
def submission_act(sub_id):
    try:
        sub = submissions.get_visible_or_404(current_user, sub_id)
        apply_transition(sub, request.form.get("action", ""), current_user,
                         comment=request.form.get("comment"), partner=request.form.get("partner"),
                         expected_state=request.form.get("expected_state"),
                         public_reply=bool(request.form.get("public_reply")))
        db.session.commit()
        flash(_("Done."))
    except ApiError as exc:
        db.session.rollback()
        detail = "; ".join(m for msgs in (exc.fields or {}).values() for m in msgs)
        flash(f"{exc.message or ''} {detail}".strip() or _("This action is not available."), "error")
    return redirect(url_for("console.submission_detail", sub_id=sub_id))


@bp.get("/forms")
@staff_required
def form_list():
    rows = db.session.execute(select(Form).order_by(Form.id)).scalars().all()
    return render_template("console/forms.html", forms=rows)


def _editable(version: FormVersion) -> str:
    definition = dict(version.definition)
    definition.pop("slug", None)
    return json.dumps(definition, ensure_ascii=False, indent=2)


@bp.route("/forms/<slug>", methods=["GET", "POST"])
@staff_required
def form_edit(slug):
    """Edit a draft (the definition as JSON, helped by the field adder), preview it with the
    field app's own renderer, validate and publish."""
    form = db.session.execute(select(Form).where(Form.slug == slug)).scalar_one_or_none()
    if form is None:
        abort(404)
    version = forms.get_version(form)
    errors = None
    draft = _editable(version)
    workflow_text = json.dumps(version.workflow, ensure_ascii=False, indent=2)
    if request.method == "POST":
        _admin_or_committee()
        draft = request.form.get("definition", "")
        workflow_text = request.form.get("workflow", "")
        try:
            payload = json.loads(draft)
            if workflow_text.strip():
                payload["workflow"] = json.loads(workflow_text)
            new = forms.publish_version(slug, payload, current_user)
            db.session.commit()
            flash(_("Published version %(n)d.", n=new.number))
            return redirect(url_for("console.form_edit", slug=slug))
        except json.JSONDecodeError as exc:
            errors = {"json": [str(exc)]}
        except ApiError as exc:
            db.session.rollback()
            errors = exc.fields or {"_schema": [str(exc.message)]}
    versions = [v.number for v in form.versions]
    return render_template("console/form_edit.html", form=form, version=version, draft=draft,
                           workflow_text=workflow_text, errors=errors, versions=versions,
                           diagram=svg.workflow_diagram(version.workflow)), (422 if errors else 200)


@bp.get("/forms/<slug>/compare")
@staff_required
def form_compare(slug):
    form = db.session.execute(select(Form).where(Form.slug == slug)).scalar_one_or_none()
    if form is None:
        abort(404)
    a = forms.get_version(form, request.args.get("a", type=int) or max(form.current_version - 1, 1))
    b = forms.get_version(form, request.args.get("b", type=int) or form.current_version)
    if a is None or b is None:
        abort(404)
    fa, fb = a.field_map(), b.field_map()
    names = list(dict.fromkeys([*fa, *fb]))
    rows = [(n, fa.get(n), fb.get(n)) for n in names]
    return render_template("console/compare.html", form=form, a=a, b=b, rows=rows)


@bp.get("/grid")
@staff_required
def grid():
    scope = scope_for(current_user)
    nodes = db.session.execute(select(GridNode).where(scope.path_filter(GridNode.path))
                               .order_by(GridNode.path)).scalars().all()
    counts = dict(db.session.execute(select(Submission.grid_node_id, func.count())
                                     .where(scope.path_filter(Submission.node_path))
                                     .group_by(Submission.grid_node_id)).all())
    return render_template("console/grid.html", nodes=nodes, counts=counts)


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_csv():
    """Upload grid.csv or users.csv: preview what would change, then confirm (all or nothing)."""
    _admin_or_committee()
    if request.method == "GET":
        return render_template("console/import.html")
    kind = request.form.get("kind")
    if kind not in ("grid", "users"):
        abort(400)
    if request.form.get("confirm"):
        text = request.form.get("content", "")
    else:
        upload = request.files.get("file")
        raw = upload.read(2 * 1024 * 1024) if upload else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return render_template("console/import.html", error=_(
                "The file is not UTF-8; save it from Excel as 'CSV UTF-8'.")), 422
    run = import_grid if kind == "grid" else (
        lambda t: accounts.import_users(t, echo=generated.append))
    generated: list[str] = []
    try:
        with db.session.begin_nested() as nested:
            counts = run(text)
            if not request.form.get("confirm"):
                nested.rollback()
    except ImportError_ as exc:
        db.session.rollback()
        return render_template("console/import.html", kind=kind,
                               error=_("Line %(line)d: %(reason)s", line=exc.line, reason=exc.reason)), 422
    if request.form.get("confirm"):
        db.session.commit()
        flash(_("Imported: %(counts)s", counts=", ".join(f"{k} {v}" for k, v in counts.items())))
        return render_template("console/import.html", generated=generated, done=True)
    return render_template("console/import.html", kind=kind, preview=counts, content=text)


def _node_in_my_grid(code: str):
    node = node_by_code(code or "")
    if node is None or not scope_for(current_user).covers_path(node.path, "committee"):
        return None
    return node


@bp.post("/grid/node")
@staff_required
def grid_node():
    """Add, rename or move one node: the same validated import as a one-line grid.csv."""
    _admin_or_committee()
    fields = {k: request.form.get(k, "").strip() for k in ("code", "name", "level", "parent_code")}
    parent = _node_in_my_grid(fields["parent_code"]) if fields["parent_code"] else None
    existing = node_by_code(fields["code"])
    if (fields["parent_code"] and parent is None and not scope_for(current_user).is_admin) or (
            existing is not None and _node_in_my_grid(existing.code) is None
            and not scope_for(current_user).is_admin):
        abort(403)
    line = ",".join(f.replace(",", "，") for f in fields.values())
    try:
        counts = import_grid("code,name,level,parent_code\n" + line + "\n")
        db.session.commit()
        flash(_("Imported: %(counts)s", counts=", ".join(f"{k} {v}" for k, v in counts.items())))
    except ImportError_ as exc:
        db.session.rollback()
        flash(exc.reason, "error")
    return redirect(url_for("console.grid"))


@bp.get("/people")
@staff_required
def people():
    """People who hold a role in my grid (admins: everyone), with their roles."""
    from app.accounts.models import RoleAssignment, User

    scope = scope_for(current_user)
    query = select(User).order_by(User.username).limit(200)
    if not scope.is_admin:
        query = query.where(User.id.in_(select(RoleAssignment.user_id).join(
            GridNode, GridNode.id == RoleAssignment.grid_node_id).where(
            scope.path_filter(GridNode.path))))
    if request.args.get("q"):
        like = f"%{request.args['q'][:50]}%"
        query = query.where(User.username.like(like) | User.display_name.like(like))
    return render_template("console/people.html", users=db.session.execute(query).scalars().all(),
                           q=request.args.get("q", ""))


def _person(user_id: int):
    from app.accounts.models import User

    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    scope = scope_for(current_user)
    if not scope.is_admin and not any(r.node is not None and scope.covers_path(r.node.path, "committee")
                                      for r in user.roles):
        abort(404)
    return user


@bp.post("/people/<int:user_id>")
@staff_required
def person_action(user_id):
    """Assign or remove a role, reset the password, deactivate or reactivate (committee: in its grid)."""
    from app.accounts.models import ROLES, RoleAssignment
    from app.audit.services import record

    _admin_or_committee()
    user = _person(user_id)
    action = request.form.get("action")
    scope = scope_for(current_user)
    if action == "assign":
        role = request.form.get("role", "")
        node = node_by_code(request.form.get("grid_code", ""))
        org_name = request.form.get("org", "").strip()
        if role not in ROLES or (role == "admin" and not scope.is_admin):
            abort(403)
        if role not in ("admin", "partner") and (node is None or not (
                scope.is_admin or scope.covers_path(node.path, "committee"))):
            flash(_("This node is outside your grid."), "error")
        elif role == "partner" and not org_name:
            flash(_("Name the partner unit."), "error")
        else:
            org = accounts.get_or_create_org(org_name) if role == "partner" else None
            accounts.grant_role(user, role, node if role != "partner" else None, org)
            record(current_user, "assign_role", f"user:{user.id}", role=role,
                   grid_code=node.code if node else None)
            flash(_("Done."))
    elif action == "remove":
        assignment = db.session.get(RoleAssignment, request.form.get("assignment", type=int) or 0)
        if assignment is None or assignment.user_id != user.id:
            abort(404)
        if not scope.is_admin and (assignment.node is None
                                   or not scope.covers_path(assignment.node.path, "committee")):
            abort(403)
        db.session.delete(assignment)
        record(current_user, "remove_role", f"user:{user.id}", role=assignment.role)
        flash(_("Done."))
    elif action == "reset_password":
        import secrets
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        accounts.revoke_all_tokens(user)
        record(current_user, "reset_password", f"user:{user.id}")
        flash(_("New password for %(user)s (shown once): %(password)s", user=user.username,
                password=password))
    elif action in ("deactivate", "reactivate"):
        if user.id == current_user.id:
            abort(400)
        user.active = action == "reactivate"
        accounts.revoke_all_tokens(user)
        record(current_user, action, f"user:{user.id}")
        flash(_("Done."))
    else:
        abort(400)
    db.session.commit()
    return redirect(url_for("console.people", q=user.username))


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
            detail = "; ".join(m for msgs in (exc.fields or {}).values() for m in msgs)
            flash(f"{exc.message or ''} {detail}".strip(), "error")
        return redirect(url_for("console.meeting", meeting_id=meeting_id))
    orgs = db.session.execute(select(Org).order_by(Org.name)).scalars().all()
    invited = {o.id for o in orgs if o.id in (item.invited_org_ids or [])}
    resources = db.session.execute(select(Resource).where(
        Resource.node_path.like(item.node_path + "%"))).unique().scalars().all()
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
        if node is None or not scope.covers_path(node.path, "branch") or scope.is_admin and not scope.staff:
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
        if node is None or not scope.covers_path(node.path, "branch") or (scope.is_admin and not scope.staff):
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
        flash(str(exc.message or _("This action is not available.")), "error")
    return redirect(url_for("console.activities"))
