"""GET /api/v1/meta: what every client needs to show words, not codes, in community time."""
from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import fields

from app.core.openapi import answers
from app.core.schema_types import OpenSchema
from app.core.timezone import zone_name
from app.core.version import VERSION
from app.submissions.words import vocabulary

blp = Blueprint("meta", __name__, url_prefix="/api/v1",
                description="The community's time zone and the vocabulary of codes")


class MetaSchema(OpenSchema):
    timezone = fields.String(required=True, metadata={"description": "IANA, e.g. Asia/Shanghai"})
    version = fields.String(required=True)
    vocabulary = fields.Dict(required=True, metadata={
        "description": "`{roles, levels, states, actions, forms, booleans}`: each maps a code "
                       "to its label `{zh, en}`"})


@blp.route("/meta", methods=["GET"])
@blp.doc(**answers(MetaSchema, description="No sign-in."))
def meta():
    """The community's IANA time zone, the app version and the labels of every code."""
    return jsonify({"timezone": zone_name(), "version": VERSION,
                    "vocabulary": vocabulary()})
