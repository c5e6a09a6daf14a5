"""GET /api/v1/audit: the audit log, for admins."""
from flask import jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import select

from app.core.openapi import answers, query
from app.core.schema_types import ItemsSchema
from app.audit.models import AuditEntry
from app.core.clock import isoformat
from app.core.errors import ApiError
from app.core.security import require_user
from app.extensions import db

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit log")


@blp.route("", methods=["GET"])
@blp.doc(parameters=[query("action", "only this action")], **answers(ItemsSchema, description="`{actor_id, action, target, detail, at}` each, newest first"))
def audit_log():
    """Newest first; filter by action."""
    user = require_user()
    if not user.has_role("admin"):
        raise ApiError(403)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)
    if request.args.get("action"):
        query = query.where(AuditEntry.action == request.args["action"])
    return jsonify({"items": [{"actor_id": e.actor_id, "action": e.action, "target": e.target,
                               "detail": e.detail, "at": isoformat(e.at)}
                              for e in db.session.execute(query).scalars()]})
