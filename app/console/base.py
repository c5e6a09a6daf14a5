"""The console's blueprint and what every console page shares: CSRF on forms, the staff
check, how a refusal is shown, the caller's nodes. The pages (routes, community, configure,
work) register on this blueprint; create_app imports them."""
import hmac
from functools import wraps

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.grid.scope import scope_for
from app.core.security import csrf_token
from app.extensions import db
from app.grid.models import GridNode

from .filters import register as register_filters
from .typed import load_typed, typed, typed_list, was_typed

bp = Blueprint("console", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")
CONSOLE_ROLES = ("admin", "committee", "branch")
register_filters(bp)


@bp.before_request
def _check_csrf():
    """Every console form carries the session's CSRF token; the sign-in form too (login
    CSRF: a page elsewhere must not sign a browser in as someone else)."""
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf_token", "")):
            g.security_event = "csrf_failed"
            if request.endpoint == "console.login":
                return render_template("console/login.html", error=_(
                    "The form has expired; please go back, reload and try again.")), 400
            abort(400, _("The form has expired; please go back, reload and try again."))


@bp.before_request
def _typed_before():
    """What was typed into a refused form, for the page the refusal came back to."""
    load_typed()


@bp.after_request
def _noindex(response):
    """The console is for staff: never indexed, never kept in a shared cache."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    if current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _inject():
    from flask_babel import get_locale
    return {"csrf_token": csrf_token, "lang": str(get_locale() or "zh"), "typed": typed,
            "typed_list": typed_list, "was_typed": was_typed}


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
    from app.core.errors import DEFAULT_MESSAGES

    detail = "; ".join(m for msgs in (exc.fields or {}).values() for m in msgs)
    message = exc.message or ("" if detail else DEFAULT_MESSAGES.get(exc.status, ""))
    flash(f"{message or ''} {detail}".strip() or _("This action is not available."), "error")


def _admin_or_committee():
    if not current_user.has_role("admin", "committee"):
        abort(403)


def _my_nodes():
    scope = scope_for(current_user)
    if scope.is_admin and not scope.staff:
        return db.session.execute(select(GridNode).where(GridNode.level.in_(("street", "community")))
                                  .order_by(GridNode.path)).scalars().all()
    paths = sorted(set(scope.staff_paths), key=len)
    return db.session.execute(select(GridNode).where(GridNode.path.in_(paths))
                              .order_by(GridNode.path)).scalars().all()


def picker_nodes(min_tier: str | None = None, limit: int = 3000) -> list[dict]:
    """The caller's grid, root first, for a grid picker: each node with its depth below the
    highest one shown and its parent's code (app/console/templates/console/_pickers.html)."""
    from sqlalchemy import or_

    from app.core.paths import under

    scope = scope_for(current_user)
    roots = [p for r, p in scope.staff if min_tier is None or _rank(r) >= _rank(min_tier)]
    query = select(GridNode).order_by(GridNode.path).limit(limit)
    if not scope.is_admin:
        query = query.where(or_(*[under(GridNode.path, p) for p in roots]) if roots else GridNode.id < 0)
    rows = db.session.execute(query).scalars().all()
    by_id = {n.id: n for n in rows}
    top = min((n.path.count("/") for n in rows), default=0)
    return [{"code": n.code, "name": n.name, "level": n.level, "depth": n.path.count("/") - top,
             "parent": by_id[n.parent_id].code if n.parent_id in by_id else ""} for n in rows]


def _rank(role: str) -> int:
    from app.grid.models import TIER_RANK
    return TIER_RANK.get(role, 0)
