"""Notices API: publish, list (staff, captains, residents' QR page), relay, relay status."""
from flask import jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import or_, select

from app.core.paths import under
from app.core.clock import isoformat, utcnow
from app.core.errors import ApiError
from app.grid.scope import scope_for
from app.core.security import require_user
from app.extensions import db, limiter
from app.grid.models import path_ids
from app.grid.services import node_by_code
from app.notices.models import Notice, NoticeRelay
from app.core.openapi import answers, query
from app.notices.schemas import (NoticeAnswerSchema, NoticeListSchema, NoticeSchema,
                                 PublicNoticesSchema, RelayedSchema, RelayStatusSchema)
from app.notices.services import notice_or_404, publish_notice, relay_notice, relay_status
from app.uploads.models import Upload
from app.core.security import optional_user
from app.uploads.storage import get_storage

blp = Blueprint("notices", __name__, url_prefix="/api/v1/notices", description="Notice board")


def serialize(n: Notice, relayed: bool | None = None) -> dict:
    out = {"id": n.id, "title": n.title, "body": n.body, "grid_code": n.node.code,
           "grid_name": n.node.name, "photo": n.photo_id, "public": n.public,
           "expires_at": isoformat(n.expires_at), "created_at": isoformat(n.created_at)}
    if relayed is not None:
        out["relayed"] = relayed
    return out


def _current():
    now = utcnow()
    return or_(Notice.expires_at.is_(None), Notice.expires_at > now)


@blp.route("", methods=["POST"])
@blp.arguments(NoticeSchema)
@blp.doc(**answers(NoticeAnswerSchema, "201"))
def publish(args):
    """Publish a notice to a subtree (the committee or branch of that node)."""
    user = require_user()
    return jsonify(serialize(publish_notice(user, args))), 201


@blp.route("", methods=["GET"])
@blp.doc(**answers(NoticeListSchema))
def my_notices():
    """Current notices for the caller: those published to any node above or below their roles."""
    user = require_user()
    paths = scope_for(user).role_paths
    if not paths:
        return jsonify({"items": []})
    clauses = []
    for path in paths:
        clauses.append(Notice.grid_node_id.in_(path_ids(path)))  # published above me
        clauses.append(under(Notice.node_path, path))            # published in my subtree
    rows = db.session.execute(select(Notice).where(or_(*clauses), _current())
                              .order_by(Notice.id.desc()).limit(100)).unique().scalars().all()
    mine = {n for (n,) in db.session.execute(select(NoticeRelay.notice_id).where(
        NoticeRelay.user_id == user.id))}
    return jsonify({"items": [serialize(n, n.id in mine) for n in rows]})


@blp.route("/public", methods=["GET"])
@blp.doc(parameters=[query("grid_code", "a building's code", required=True)],
         **answers(PublicNoticesSchema))
@limiter.limit("60/minute")
def public_notices():
    """Current public notices for one building, for its QR page (no sign-in)."""
    node = node_by_code(request.args.get("grid_code", ""))
    if node is None or node.level != "building":
        raise ApiError(404)
    rows = db.session.execute(select(Notice).where(
        Notice.grid_node_id.in_(node.ancestor_ids), Notice.public.is_(True), _current())
        .order_by(Notice.id.desc()).limit(20)).unique().scalars().all()
    return jsonify({"items": [{"id": n.id, "title": n.title, "body": n.body, "photo": bool(n.photo_id),
                               "created_at": isoformat(n.created_at)} for n in rows],
                    "building": _building(node)})


def _building(node) -> dict:
    """The QR page's heading: which building, in which community (and estate)."""
    above = {}
    parent = node.parent
    while parent is not None:
        above.setdefault(parent.level, parent.name)
        parent = parent.parent
    return {"code": node.code, "name": node.name, "estate": above.get("estate"),
            "community": above.get("community")}


@blp.route("/<int:notice_id>/relay", methods=["POST"])
@blp.doc(**answers(RelayedSchema))
def relay(notice_id):
    """A captain confirms relaying the notice to their building(s) under it. Idempotent."""
    user = require_user()
    buildings = relay_notice(user, notice_id)
    return jsonify({"id": notice_id, "relayed": True, "buildings": buildings})


@blp.route("/<int:notice_id>/relays", methods=["GET"])
@blp.doc(**answers(RelayStatusSchema))
def relays(notice_id):
    """For the publisher's tiers: which captains under the notice relayed it, and who not yet."""
    user = require_user()
    notice = notice_or_404(notice_id)
    scope = scope_for(user)
    if not scope.covers_path(notice.node_path, "branch"):
        raise ApiError(404)
    items = [{"username": u.username, "display_name": u.display_name, "grid_code": n.code,
              "grid_name": n.name, "relayed_at": isoformat(at)}
             for u, n, at in relay_status(notice)]
    return jsonify({"notice": serialize(notice), "items": items,
                    "relayed": sum(1 for i in items if i["relayed_at"]),
                    "waiting": sum(1 for i in items if not i["relayed_at"])})


@blp.route("/<int:notice_id>/photo", methods=["GET"])
def photo(notice_id):
    """The notice's photo: for anyone when the notice is public, else for those who see it."""
    from flask import Response

    notice = notice_or_404(notice_id)
    if not notice.public:
        user = optional_user()
        if user is None or not scope_for(user).near(notice.node_path):
            raise ApiError(404)
    upload = db.session.get(Upload, notice.photo_id) if notice.photo_id else None
    data = get_storage().load(upload.id) if upload else None
    if data is None:
        raise ApiError(404)
    return Response(data, mimetype=upload.content_type, headers={"Cache-Control": "max-age=86400"})
