"""POST /api/v1/sync: the offline outbox's endpoint."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint

from app.core.errors import ApiError
from app.core.security import optional_user
from app.core.openapi import answers
from app.sync.schemas import SyncAnswerSchema
from app.sync.services import MAX_OPS, run_ops

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync",
                description="Offline outbox replay: submit and transition ops")


@blp.route("", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["ops"], "properties": {"ops": {
        "type": "array", "maxItems": MAX_OPS,
        # Any item: a malformed op is answered in its own result ("invalid"), never by
        # failing the batch.
        "items": {"description": "{op: submit|transition|relay, …}: the route's own body"}}}}}}})
@blp.doc(**answers(SyncAnswerSchema))
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
