"""The grid's answer, as the document describes it."""
from marshmallow import fields

from app.core.schema_types import OpenSchema


class GridNodeSchema(OpenSchema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True, metadata={"enum": ["street", "community", "estate",
                                                            "building"]})
    parent_code = fields.String(required=True, allow_none=True)


class GridListSchema(OpenSchema):
    items = fields.List(fields.Nested(GridNodeSchema), required=True)
