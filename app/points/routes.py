"""Points: my ledger and the leaderboard."""
from flask import jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import func, select

from app.core.openapi import answers, query
from app.points.schemas import LeaderboardSchema, MyPointsSchema
from app.core.paths import under
from app.accounts.models import User
from app.core.clock import isoformat
from app.core.errors import ApiError
from app.grid.scope import scope_for
from app.core.security import require_user
from app.submissions.words import points_text
from app.extensions import db
from app.grid.services import node_by_code
from app.points.models import PointEntry
from app.points.services import total_for

blp = Blueprint("points", __name__, url_prefix="/api/v1/points", description="Points ledger")


@blp.route("/me", methods=["GET"])
@blp.doc(**answers(MyPointsSchema))
def my_points():
    """My total and my most recent entries."""
    user = require_user()
    entries = db.session.execute(select(PointEntry).where(PointEntry.user_id == user.id)
                                 .order_by(PointEntry.id.desc()).limit(50)).scalars()
    return jsonify({"total": total_for(user.id), "entries": [
        {"points": e.points, "reason": e.reason, "submission_id": e.submission_id,
         "text": points_text(e.reason, e.submission_id, e.points),
         "at": isoformat(e.created_at)} for e in entries]})


@blp.route("/leaderboard", methods=["GET"])
@blp.doc(parameters=[query("grid_code", "a node's subtree (default: the caller's grid)")],
         **answers(LeaderboardSchema))
def leaderboard():
    """Ranked totals for points earned in a node's subtree (default: the caller's grid)."""
    user = require_user()
    scope = scope_for(user)
    query = select(PointEntry.user_id, User.display_name,
                   func.sum(PointEntry.points).label("total")).join(
        User, User.id == PointEntry.user_id)
    code = request.args.get("grid_code")
    if code:
        node = node_by_code(code)
        if node is None:
            raise ApiError(404)
        # Anyone with a role in the community may see its board; others only their subtree.
        visible = scope.is_admin or scope.covers_path(node.path) or scope.near(node.path)
        if not visible:
            raise ApiError(404)
        query = query.where(under(PointEntry.node_path, node.path))
    elif not scope.is_admin:
        paths = scope.role_paths
        if not paths:
            return jsonify({"items": []})
        query = query.where(scope.path_filter(PointEntry.node_path) if scope.staff else
                            under(PointEntry.node_path, min(paths, key=len)))
    rows = db.session.execute(query.group_by(PointEntry.user_id, User.display_name)
                              .order_by(func.sum(PointEntry.points).desc(), PointEntry.user_id)
                              .limit(100)).all()
    return jsonify({"items": [{"rank": i + 1, "user_id": uid, "display_name": name,
                               "points": int(total)} for i, (uid, name, total) in enumerate(rows)]})
