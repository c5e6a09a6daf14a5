"""The staff console at /admin/: server-rendered pages for committee, branch and admin."""
import hmac
from datetime import timedelta
from functools import wraps

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from app.accounts import services as accounts
from app.core.clock import utcnow
from app.core.timezone import local_today, parse_local
from app.core.scope import scope_for
from app.core.security import csrf_token
from app.extensions import db, limiter
from app.grid.models import GridNode
from app.grid.services import node_by_code
from app.stats.services import compute

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


def flash_api_error(exc) -> None:
    """Show an engine or validation refusal on the page, with every field's reason."""
    detail = "; ".join(m for msgs in (exc.fields or {}).values() for m in msgs)
    flash(f"{exc.message or ''} {detail}".strip() or _("This action is not available."), "error")


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
    today = local_today(utcnow())
    start = request.args.get("from") or (today.replace(day=1)).isoformat()
    end = request.args.get("to") or (today + timedelta(days=1)).isoformat()
    try:
        return start, end, parse_local(start), parse_local(end)
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
    children = stats["children"]
    chart = svg.bar_chart([(c["grid_name"], [c["submissions"], c["resolved"]]) for c in children],
                          [_("Submissions"), _("Resolved")])
    return render_template("console/dashboard.html", node=node, nodes=nodes, stats=stats,
                           children=children, chart=chart, start=start_text, end=end_text)


# The other console pages register on the same blueprint.
from . import community, configure, work  # noqa: E402,F401
from .filters import register as _register_filters  # noqa: E402

_register_filters(bp)
