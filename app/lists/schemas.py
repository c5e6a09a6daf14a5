"""Resources' answers, as the document describes them."""
from marshmallow import fields

from app.core.schema_types import OpenSchema


class ResourceItemSchema(OpenSchema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    category = fields.String(required=True)
    description = fields.String(required=True)
    org = fields.String(required=True, metadata={"description": "the partner unit's name"})
    grid_code = fields.String(required=True)
    grid_name = fields.String(required=True)
    capacity = fields.Integer(required=True, allow_none=True)
    contact = fields.String(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class ResourceListSchema(OpenSchema):
    items = fields.List(fields.Nested(ResourceItemSchema), required=True)
