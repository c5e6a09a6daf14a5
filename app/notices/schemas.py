"""Input schemas of the notice board (the API's JSON and the console's form load the same)."""
from marshmallow import Schema, fields, validate

from app.core.schema_types import IsoDateTime, OpenSchema, StrictBoolean


class NoticeSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    grid_code = fields.String(required=True)
    expires_at = IsoDateTime(allow_none=True)
    photo = fields.String(allow_none=True, validate=validate.Length(max=36))
    public = StrictBoolean(load_default=True)


def _when(**kwargs):
    return fields.String(allow_none=True, metadata={"format": "date-time"}, **kwargs)


class NoticeAnswerSchema(OpenSchema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    grid_code = fields.String(required=True)
    grid_name = fields.String(required=True)
    photo = fields.String(required=True, allow_none=True, metadata={"description": "an upload id"})
    public = fields.Boolean(required=True)
    expires_at = _when(required=True)
    created_at = _when(required=True)
    relayed = fields.Boolean(metadata={"description": "a captain's list: relayed by me"})


class NoticeListSchema(OpenSchema):
    items = fields.List(fields.Nested(NoticeAnswerSchema), required=True)


class PublicNoticeSchema(OpenSchema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    photo = fields.Boolean(required=True, metadata={"description": "whether it has one"})
    created_at = _when(required=True)


class PublicNoticesSchema(OpenSchema):
    items = fields.List(fields.Nested(PublicNoticeSchema), required=True)
    building = fields.Dict(required=True, metadata={"description": "`{code, name, estate, community}`"})


class RelayedSchema(OpenSchema):
    id = fields.Integer(required=True)
    relayed = fields.Boolean(required=True)
    buildings = fields.List(fields.Raw(), required=True)


class RelayStatusSchema(OpenSchema):
    notice = fields.Nested(NoticeAnswerSchema, required=True)
    items = fields.List(fields.Dict(), required=True, metadata={
        "description": "`{username, display_name, grid_code, grid_name, relayed_at}` per captain"})
    relayed = fields.Integer(required=True)
    waiting = fields.Integer(required=True)
