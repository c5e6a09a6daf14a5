"""The staff console at /admin/: server-rendered pages for committee, branch and admin."""
from datetime import timedelta

from flask import (abort, current_app, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import services as accounts
from app.accounts import throttle
from app.accounts.sessions import end_session, start_session
from app.core.errors import ApiError
from app.core.clock import utcnow
from app.core.timezone import local_today, parse_local
from app.grid.scope import scope_for
from app.extensions import limiter
from app.grid.services import node_by_code
from app.stats.services import compute

from . import svg
from .base import _my_nodes, bp, staff_required


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAIL_LIMIT_CLIENT"], methods=["POST"],
               deduct_when=lambda r: r.status_code == 401)
def login():
    if request.method == "POST":
        username = request.form.get("username", "")
        try:
            throttle.check(username)
        except ApiError as exc:
            return render_template("console/login.html", error=exc.message), 429
        user = accounts.authenticate(username, request.form.get("password", ""))
        if user is None:
            throttle.record_failure(username)
            return render_template("console/login.html", error=_("Wrong username or password.")), 401
        throttle.record_success(username)
        start_session(user)
        session.pop("csrf_token", None)
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/admin/") else url_for("console.dashboard"))
    return render_template("console/login.html")


@bp.post("/logout")
def logout():
    end_session()
    return redirect(url_for("console.login"))


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

