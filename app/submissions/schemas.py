"""Submission request bodies."""
from marshmallow import Schema, fields, validate

from app.core.schema_types import IsoDateTime, StrictBoolean


class SubmissionCreateSchema(Schema):
    uuid = fields.UUID(required=True)
    form = fields.String(required=True, validate=validate.Length(min=1, max=64))
    form_version = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1))
    grid_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    data = fields.Dict(required=True)
    client_created_at = IsoDateTime(allow_none=True)


class TransitionSchema(Schema):
    action = fields.String(required=True, validate=validate.Length(min=1, max=40))
    comment = fields.String(allow_none=True, validate=validate.Length(max=5000))
    expected_state = fields.String(allow_none=True, validate=validate.Length(max=40))
    partner = fields.Raw(allow_none=True)
    resource = fields.Raw(allow_none=True)
    duplicate_of = fields.Raw(allow_none=True)
    grid_code = fields.String(allow_none=True, validate=validate.Length(max=64))
    public_reply = StrictBoolean(load_default=False)
