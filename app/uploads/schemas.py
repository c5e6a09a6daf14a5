"""The uploads' answer, as the document describes it."""
from marshmallow import fields

from app.core.schema_types import OpenSchema


class UploadSchema(OpenSchema):
    id = fields.String(required=True, metadata={"description": "put it in a `photo` field"})
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
