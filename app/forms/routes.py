"""Forms API: list, read a version, publish a version, close/reopen."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema
from app.core.schema_types import StrictBoolean
from sqlalchemy import select

from app.core.errors import ApiError
from app.grid.scope import scope_for
from app.core.security import optional_user, require_user
from app.extensions import db
from app.forms import services
from app.forms.models import Form
from app.core.openapi import answers
from app.forms.schemas import FormDefinitionSchema, FormListSchema, FormSchema

blp = Blueprint("forms", __name__, url_prefix="/api/v1/forms",
                description="Low-code forms: versioned definitions")


class FormPatchSchema(Schema):
    closed = StrictBoolean(required=True)


def _may_fill(form: Form, user) -> bool:
    if form.public:
        return True
    if user is None:
        return False
    if form.submit_scope == "any":
        return True
    scope = scope_for(user)
    return scope.is_admin or bool(scope.staff)


def _readable_form(slug: str) -> Form:
    form = services.get_form_or_404(slug)
    user = optional_user()
    if not form.public and user is None:
        raise ApiError(401)
    return form


@blp.route("", methods=["GET"])
@blp.doc(**answers(FormListSchema))
def list_forms():
    """Published forms the caller may fill (anonymous callers: public forms)."""
    user = optional_user()
    forms = db.session.execute(select(Form).order_by(Form.id)).scalars().all()
    items = []
    for form in forms:
        if form.closed or not _may_fill(form, user):
            continue
        version = services.get_version(form)
        items.append(services.describe(form, version))
    return jsonify({"items": items})


@blp.route("/<slug>", methods=["GET"])
@blp.doc(**answers(FormSchema))
def get_form(slug):
    """The current version of a form."""
    form = _readable_form(slug)
    return jsonify(services.describe(form, services.get_version(form)))


@blp.route("/<slug>/versions/<int:number>", methods=["GET"])
@blp.doc(**answers(FormSchema))
def get_form_version(slug, number):
    """One numbered version (old versions stay readable for queued offline submissions)."""
    form = _readable_form(slug)
    version = services.get_version(form, number)
    if version is None or number < 1:
        raise ApiError(404, _("This form version does not exist."))
    return jsonify(services.describe(form, version))


@blp.route("/<slug>/versions", methods=["POST"])
@blp.doc(requestBody={"required": True,
                      "content": {"application/json": {"schema": FormDefinitionSchema}}},
         **answers(FormSchema, "201", description="The new version (`version` is its number)"))
def publish(slug):
    """Publish a new version (admin or committee). Body: the definition."""
    user = require_user()
    payload = request.get_json(silent=False)
    if not services.may_manage_forms(user):
        raise ApiError(403)
    version = services.publish_version(slug, payload, user)
    form = version.form
    body = services.describe(form, version)
    return jsonify(body), 201


@blp.route("/<slug>", methods=["PATCH"])
@blp.arguments(FormPatchSchema)
@blp.doc(**answers(FormSchema))
def patch_form(args, slug):
    """Close a form to new submissions, or reopen it (admin or committee)."""
    user = require_user()
    form = services.get_form_or_404(slug)
    if not services.may_manage_forms(user):
        raise ApiError(403)
    services.set_closed(form, args["closed"])
    return jsonify(services.describe(form, services.get_version(form)))
