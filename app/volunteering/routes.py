"""Volunteer posts API."""
from flask import jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from app.core.paths import under
from app.core.clock import utcnow
from app.core.errors import ApiError
from app.grid.scope import scope_for
from app.core.security import require_user
from app.extensions import db
from app.grid.services import node_by_code
from app.core.schema_types import IsoDateTime, ItemsSchema, NotEmptySchema, StrictBoolean
from app.core.openapi import answers, query
from app.volunteering import services
from app.volunteering.schemas import PostListSchema, PostSchema
from app.volunteering.models import Post

blp = Blueprint("posts", __name__, url_prefix="/api/v1/posts", description="Volunteer posts")


class PostCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    grid_code = fields.String(required=True)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))
    starts_at = IsoDateTime(required=True)
    ends_at = IsoDateTime(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    kind = fields.String(load_default="service",
                         validate=validate.OneOf(("service", "captain", "activity")))
    place = fields.String(load_default="", validate=validate.Length(max=200))
    required_role = fields.String(allow_none=True, validate=validate.OneOf(("member",)),
                                  metadata={"description": "Only holders of this role may claim "
                                                           "(`member`: party members)."})
    partner = fields.String(validate=validate.Length(max=200))
    public_signup = StrictBoolean(load_default=False)
    resident_capacity = fields.Integer(strict=True, allow_none=True,
                                       validate=validate.Range(min=1, max=100000))

    @validates_schema(skip_on_field_errors=False)
    def ordered(self, data, **kwargs):
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("Must be after starts_at.", "ends_at")


class PostPatchSchema(NotEmptySchema):
    capacity = fields.Integer(strict=True, validate=validate.Range(min=1, max=100000))
    open = StrictBoolean()
    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))


def _may_manage(user, path: str) -> bool:
    return scope_for(user).manages(path, "branch")


@blp.route("", methods=["POST"])
@blp.arguments(PostCreateSchema)
@blp.doc(**answers(PostSchema, "201"))
def create_post(args):
    """Publish a post (branch or committee of that node)."""
    user = require_user()
    post = services.create_post(user, args)
    return jsonify(services.serialize(post)), 201


@blp.route("", methods=["GET"])
@blp.doc(parameters=[query("grid_code", "the node's subtree and the nodes above it"),
                     query("open", "1/true: open posts only; 0/false: closed ones")],
         **answers(PostListSchema))
def list_posts():
    """Posts, with capacity, claimed and waitlisted counts. Filters: grid_code, open."""
    require_user()
    query = select(Post).order_by(Post.starts_at, Post.id)
    if request.args.get("grid_code"):
        node = node_by_code(request.args["grid_code"])
        if node is None:
            raise ApiError(404)
        # Posts of this node's subtree and of the nodes above it (a community-wide post
        # is open to the people of every building in it).
        ids = node.ancestor_ids
        query = query.where((under(Post.node_path, node.path)) | Post.grid_node_id.in_(ids))
    if request.args.get("open") in ("1", "true"):
        query = query.where(Post.open.is_(True), Post.ends_at > utcnow())
    elif request.args.get("open") in ("0", "false"):
        query = query.where((Post.open.is_(False)) | (Post.ends_at <= utcnow()))
    posts = db.session.execute(query.limit(500)).unique().scalars().all()
    counts = services.counts([p.id for p in posts])
    return jsonify({"items": [services.serialize(p, counts.get(p.id, {}).get("waitlisted", 0))
                              for p in posts]})


def _post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise ApiError(404)
    return post


@blp.route("/<int:post_id>", methods=["GET"])
@blp.doc(**answers(PostSchema))
def get_post(post_id):
    require_user()
    post = _post_or_404(post_id)
    counts = services.counts([post.id])
    return jsonify(services.serialize(post, counts.get(post.id, {}).get("waitlisted", 0)))


@blp.route("/<int:post_id>", methods=["PATCH"])
@blp.arguments(PostPatchSchema)
@blp.doc(**answers(PostSchema))
def patch_post(args, post_id):
    """Change capacity (never evicts; up promotes from the waitlist), open/close, text."""
    user = require_user()
    post = _post_or_404(post_id)
    if not _may_manage(user, post.node_path):
        raise ApiError(403)
    for key in ("title", "description", "open"):
        if key in args:
            setattr(post, key, args[key])
    if "capacity" in args:
        services.set_capacity(post, args["capacity"])
    db.session.flush()
    db.session.refresh(post)
    counts = services.counts([post.id])
    return jsonify(services.serialize(post, counts.get(post.id, {}).get("waitlisted", 0)))


@blp.route("/claims", methods=["GET"])
@blp.doc(**answers(ItemsSchema, description="My claims: each with its post, state in words, "
                   "waitlist place and whether I may cancel it"))
def my_claims():
    """The caller's own claims, newest first: each with its post, state in words, its place on
    the waitlist and whether the caller may still cancel it (the app's 我的认领)."""
    user = require_user()
    return jsonify({"items": services.claims_of(user)})
