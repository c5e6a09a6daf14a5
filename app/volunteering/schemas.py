"""Volunteer posts' answers, as the document describes them."""
from marshmallow import fields

from app.core.schema_types import OpenSchema


def _when(**kwargs):
    return fields.String(allow_none=True, metadata={"format": "date-time"}, **kwargs)


class PostSchema(OpenSchema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    grid_code = fields.String(required=True)
    grid_name = fields.String(required=True)
    kind = fields.String(required=True)
    capacity = fields.Integer(required=True)
    claimed = fields.Integer(required=True)
    waitlisted = fields.Integer(required=True)
    available = fields.Integer(required=True)
    starts_at = _when(required=True)
    ends_at = _when(required=True)
    open = fields.Boolean(required=True)
    place = fields.String(required=True, allow_none=True)
    public_signup = fields.Boolean(required=True)
    resident_capacity = fields.Integer(required=True, allow_none=True)
    residents_signed = fields.Integer(required=True, allow_none=True)
    residents_served = fields.Integer(required=True, allow_none=True)
    held_at = _when(required=True)


class ResidentSignedUpSchema(OpenSchema):
    id = fields.Integer(required=True)
    post = fields.Integer(required=True)


class AttendedSchema(OpenSchema):
    post = fields.Integer(required=True)
    residents_served = fields.Integer(required=True, allow_none=True)
    held_at = _when(required=True)
    claims = fields.Dict(required=True, metadata={"description": "what became of each claim"})


class PostListSchema(OpenSchema):
    items = fields.List(fields.Nested(PostSchema), required=True)
