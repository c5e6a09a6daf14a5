"""Input schemas of the notice board (the API's JSON and the console's form load the same)."""
from marshmallow import Schema, fields, validate

from app.core.schema_types import IsoDateTime, StrictBoolean


class NoticeSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    grid_code = fields.String(required=True)
    expires_at = IsoDateTime(allow_none=True)
    photo = fields.String(allow_none=True, validate=validate.Length(max=36))
    public = StrictBoolean(load_default=True)
