"""Submission request bodies."""
from marshmallow import Schema, fields, validate

from app.core.timezone import parse_local


class IsoDateTime(fields.Field):
    default_error_messages = {"invalid": "Not a valid datetime."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return parse_local(value)  # a naive time is the community's wall time
        except ValueError:
            raise self.make_error("invalid") from None


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
    public_reply = fields.Boolean(load_default=False)
