"""Resources (资源清单) offered by partner units."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import or_, select

from app.core.paths import under
from app.accounts.models import Org
from app.accounts.services import get_or_create_org
from app.core.clock import isoformat, utcnow
from app.core.errors import ApiError
from app.grid.scope import scope_for
from app.core.security import require_user
from app.extensions import db
from app.grid.services import node_by_code
from app.core.openapi import answers, query
from app.lists.models import Resource
from app.lists.schemas import ResourceItemSchema, ResourceListSchema

blp = Blueprint("resources", __name__, url_prefix="/api/v1/resources",
                description="Resources offered by partner units")


class ResourceSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = fields.String(required=True, validate=validate.Length(min=1, max=64))
    org = fields.String(validate=validate.Length(min=1, max=200))
    grid_code = fields.String(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    capacity = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0))
    contact = fields.String(load_default="", validate=validate.Length(max=200))


def serialize(r: Resource) -> dict:
    return {"id": r.id, "title": r.title, "category": r.category, "description": r.description,
            "org": r.org.name, "grid_code": r.node.code, "grid_name": r.node.name,
            "capacity": r.capacity, "contact": r.contact, "created_at": isoformat(r.created_at)}


@blp.route("", methods=["POST"])
@blp.arguments(ResourceSchema)
@blp.doc(**answers(ResourceItemSchema, "201"))
def create_resource(args):
    """A partner publishes for its own unit; the committee for any unit in its community."""
    user = require_user()
    scope = scope_for(user)
    node = node_by_code(args["grid_code"])
    if node is None:
        raise ApiError(422, fields={"grid_code": [_("Unknown grid code.")]})
    own_orgs = {r.org.name: r.org_id for r in user.roles if r.role == "partner" and r.org}
    org_name = args.get("org")
    if scope.manages(node.path, "committee"):
        if not org_name:
            raise ApiError(422, fields={"org": [_("Name the partner unit.")]})
        org = get_or_create_org(org_name.strip())
    elif own_orgs:
        if org_name and org_name not in own_orgs:
            raise ApiError(403, _("A partner may only publish resources of its own unit."))
        org = db.session.get(Org, own_orgs[org_name] if org_name else next(iter(own_orgs.values())))
    else:
        raise ApiError(403)
    item = Resource(title=args["title"].strip(), category=args["category"].strip(),
                    description=args["description"], org_id=org.id, grid_node_id=node.id,
                    node_path=node.path, capacity=args.get("capacity"), contact=args["contact"],
                    created_by_id=user.id, created_at=utcnow())
    item.org, item.node = org, node
    db.session.add(item)
    db.session.flush()
    return jsonify(serialize(item)), 201


@blp.route("", methods=["GET"])
@blp.doc(parameters=[query("grid_code", "a node's subtree"), query("category", "a category"),
                     query("org", "a partner unit's name")],
         **answers(ResourceListSchema))
def list_resources():
    """Resources in the caller's grid (partners: their own units'). Filters: grid_code, category, org."""
    user = require_user()
    scope = scope_for(user)
    query = select(Resource).order_by(Resource.id.desc())
    clauses = []
    if scope.staff or scope.is_admin:
        clauses.append(scope.path_filter(Resource.node_path))
        # Staff lower in the tree also see community-wide resources above them.
        ancestor_ids = {int(i) for p in scope.staff_paths for i in p.strip("/").split("/")}
        clauses.append(Resource.grid_node_id.in_(ancestor_ids or {0}))
    if scope.org_ids:
        clauses.append(Resource.org_id.in_(scope.org_ids))
    if not clauses:
        return jsonify({"items": []})
    query = query.where(or_(*clauses))
    if request.args.get("grid_code"):
        node = node_by_code(request.args["grid_code"])
        query = query.where(under(Resource.node_path, node.path if node else "/none/"))
    if request.args.get("category"):
        query = query.where(Resource.category == request.args["category"])
    if request.args.get("org"):
        query = query.join(Org, Org.id == Resource.org_id).where(Org.name == request.args["org"])
    rows = db.session.execute(query.limit(500)).unique().scalars().all()
    return jsonify({"items": [serialize(r) for r in rows]})
