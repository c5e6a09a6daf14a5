"""Console: print the buildings' QR posters of a node (the PDF is the API's, contract §6.2)."""
from urllib.parse import urlencode

from flask import abort, redirect, request
from flask_login import current_user

from app.grid.scope import scope_for
from app.grid.services import node_by_code

from .base import bp, staff_required


@bp.get("/posters")
@staff_required
def posters():
    """The grid page's print button: to GET /api/v1/grid/<code>/posters.pdf."""
    node = node_by_code(request.args.get("grid_code", ""))
    if node is None:
        abort(404)
    if not scope_for(current_user).covers_path(node.path):
        abort(403)
    query = urlencode({"captain": "1"}) if request.args.get("captain") else ""
    return redirect(f"/api/v1/grid/{node.code}/posters.pdf" + (f"?{query}" if query else ""))
