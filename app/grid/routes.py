"""GET /api/v1/grid: the nodes the caller may see."""
from flask import jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import or_, select

from app.core.openapi import answers, query
from app.grid.schemas import GridListSchema
from app.core.paths import under
from app.grid.scope import scope_for
from app.core.security import require_user
from app.extensions import db
from app.grid.models import GridNode

blp = Blueprint("grid", __name__, url_prefix="/api/v1/grid", description="The grid")


@blp.route("", methods=["GET"])
@blp.doc(parameters=[query("level", "street, community, estate or building"),
                     query("all", "1/true: the whole grid, for staff too")],
         **answers(GridListSchema))
def list_nodes():
    """Flat list with parent codes. Staff: their subtrees and the path to them; other
    signed-in users (who pick where they live): the whole grid. `?all=1` forces the latter."""
    user = require_user()
    scope = scope_for(user)
    query = select(GridNode).order_by(GridNode.path)
    if scope.staff and not scope.is_admin and request.args.get("all") not in ("1", "true"):
        ancestor_ids = {int(i) for p in scope.staff_paths for i in p.strip("/").split("/")}
        query = query.where(or_(GridNode.id.in_(ancestor_ids),
                                *[under(GridNode.path, p) for p in scope.staff_paths]))
    level = request.args.get("level")
    if level:
        query = query.where(GridNode.level == level)
    nodes = db.session.execute(query).scalars().all()
    codes = {n.id: n.code for n in db.session.execute(select(GridNode)).scalars()} if nodes else {}
    return jsonify({"items": [n.to_dict(codes.get(n.parent_id)) for n in nodes]})
