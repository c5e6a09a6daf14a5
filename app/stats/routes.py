"""GET /api/v1/stats: the figures a street office reports."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint

from app.core.openapi import WHEN, answers, query
from app.stats.schemas import StatsSchema
from app.core.timezone import parse_local
from app.core.errors import ApiError
from app.grid.scope import scope_for
from app.core.security import require_user
from app.extensions import db
from app.grid.models import GridNode
from app.grid.services import node_by_code
from app.stats.services import compute

blp = Blueprint("stats", __name__, url_prefix="/api/v1/stats", description="Statistics")


def _period():
    out = []
    for key in ("from", "to"):
        raw = request.args.get(key)
        if not raw:
            out.append(None)
            continue
        try:
            out.append(parse_local(raw))  # a bare date: its local midnight
        except ValueError:
            raise ApiError(422, fields={key: [_("Not a valid date and time.")]}) from None
    return out


@blp.route("", methods=["GET"])
@blp.doc(parameters=[query("grid_code", "a node in the caller's grid (default: the highest)"),
                     query("from", "from this day or time (community time)", WHEN),
                     query("to", "until this day or time", WHEN)],
         **answers(StatsSchema))
def stats():
    """Figures for a node's subtree (default: the caller's highest node), plus per child."""
    user = require_user()
    scope = scope_for(user)
    code = request.args.get("grid_code")
    if code:
        node = node_by_code(code)
        if node is None or not scope.covers_path(node.path):
            raise ApiError(404)
    else:
        if not scope.staff and not scope.is_admin:
            raise ApiError(403, _("Statistics are for staff of the grid."))
        path = min(scope.staff_paths, key=len) if scope.staff else None
        node = (db.session.execute(db.select(GridNode).where(GridNode.path == path)).scalar_one()
                if path else db.session.execute(db.select(GridNode).where(
                    GridNode.parent_id.is_(None)).order_by(GridNode.id)).scalars().first())
        if node is None:
            raise ApiError(404)
    start, end = _period()
    return jsonify(compute(node, start, end))
