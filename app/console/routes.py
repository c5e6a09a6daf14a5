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
from app.grid.services import ancestors, node_by_code
from app.stats.services import compute

from . import charts, svg
from .base import CONSOLE_ROLES, _my_nodes, bp, staff_required


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAIL_LIMIT_CLIENT"], methods=["POST"],
               deduct_when=lambda r: r.status_code == 401)
def login():
    if request.method == "POST":
        username = request.form.get("username", "")
        try:
            throttle.check(username)
        except ApiError as exc:
            return render_template("console/login.html", error=exc.message, username=username), 429
        user = accounts.authenticate(username, request.form.get("password", ""))
        if user is None:
            throttle.record_failure(username)
            return render_template("console/login.html", error=_("Wrong username or password."),
                                   username=username), 401
        throttle.record_success(username)
        start_session(user)
        session.pop("csrf_token", None)
        if not user.has_role(*CONSOLE_ROLES):
            return redirect(url_for("console.staff_only"))
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/admin/") else url_for("console.dashboard"))
    return render_template("console/login.html")


@bp.get("/staff-only")
def staff_only():
    """Signed in, but not staff (a captain, a volunteer, a partner): say so in words and offer
    the phone app, rather than a blank sign-in screen."""
    if not current_user.is_authenticated:
        return redirect(url_for("console.login"))
    if current_user.has_role(*CONSOLE_ROLES):
        return redirect(url_for("console.dashboard"))
    return render_template("console/staff_only.html")


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
    if end <= start:
        abort(400, _("The end of the period must come after its start."))
    stats = compute(node, start, end)
    children = stats["children"]
    chart = svg.bar_chart([(c["grid_name"], [c["submissions"], c["resolved"]]) for c in children],
                          [_("Submissions"), _("Resolved")])
    figures = _figures(node, start, end, start_text, end_text, children)
    return render_template("console/dashboard.html", node=node, nodes=nodes, stats=stats,
                           children=children, chart=chart, start=start_text, end=end_text,
                           trail=[n for n in ancestors(node) if scope_for(current_user).covers_path(n.path)],
                           **figures)


def _figures(node, start, end, start_text, end_text, children) -> dict:
    """The dashboard's charts, each with its text alternative and its numbers (issue 24)."""
    from urllib.parse import urlencode

    from app.stats import dashboard as figures
    from app.submissions.words import locale

    weeks = figures.weekly(node, start, end)
    english = locale() == "en"
    labels = [f"{w['week'].day} {w['week']:%b}" if english else f"{w['week'].month}月{w['week'].day}日"
              for w in weeks]
    series = [(_("Received"), [w["received"] for w in weeks]),
              (_("Resolved"), [w["resolved"] for w in weeks]),
              (_("Escalated by the timer"), [w["escalated"] for w in weeks])]
    sep = "; " if english else "；"
    trend_desc = sep.join(
        _("Week of %(week)s: %(received)d received, %(resolved)d resolved, %(escalated)d escalated by the timer",
          week=label, received=w["received"], resolved=w["resolved"], escalated=w["escalated"])
        for label, w in zip(labels, weeks))
    categories = figures.by_category(node, start, end)
    for c in categories:
        c["name"] = c["label"] or (c["form"] if not c["category"] else c["category"])
    category_chart = charts.bars([(c["name"], c["count"], None) for c in categories[:12]],
                                 _("Submissions by category"),
                                 sep.join(f"{c['name']}: {c['count']}" for c in categories) or _("None"))

    def drill(code):
        return "?" + urlencode({"grid_code": code, "from": start_text, "to": end_text})
    child_chart = charts.bars([(c["grid_name"], c["submissions"], drill(c["grid_code"])) for c in children],
                              _("Submissions by child node (click one to open it)"),
                              sep.join(f"{c['grid_name']}: {c['submissions']}" for c in children) or _("None"))
    times = figures.times(node, start, end)
    estate_chart = charts.bars(
        [(e["grid_name"], e["resolve_hours"] or 0, drill(e["grid_code"])) for e in times["estates"]],
        _("Mean time to resolve per estate, in hours"),
        sep.join(f"{e['grid_name']}: {e['resolve_hours'] if e['resolve_hours'] is not None else '—'}"
                  for e in times["estates"]) or _("None"), unit=_(" h"))
    return {"weeks": list(zip(labels, weeks)), "trend_chart": charts.columns(
                labels, series, _("Submissions per week"), trend_desc or _("None")),
            "categories": categories, "category_chart": category_chart, "child_chart": child_chart,
            "overdue": figures.overdue(node, utcnow()), "times": times, "estate_chart": estate_chart,
            "partners": figures.partners(node, start, end)}
