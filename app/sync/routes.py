"""POST /api/v1/sync: the offline outbox's endpoint."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint

from app.core.errors import ApiError
from app.core.security import optional_user
from app.sync.services import MAX_OPS, run_ops

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync",
                description="Offline outbox replay: submit and transition ops")


@blp.route("", methods=["POST"])
def sync():
    """Apply ops in order, each in its own savepoint; one result per op."""
    user = optional_user()
    body = request.get_json()
    ops = body.get("ops") if isinstance(body, dict) else None
    if not isinstance(ops, list):
        raise ApiError(422, fields={"ops": [_("Must be a list of operations.")]})
    if len(ops) > MAX_OPS:
        raise ApiError(413, _("At most %(n)d operations per batch.", n=MAX_OPS))
    return jsonify({"results": run_ops(ops, user)})
