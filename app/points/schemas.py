"""Points' answers, as the document describes them."""
from marshmallow import fields

from app.core.schema_types import OpenSchema


class PointEntrySchema(OpenSchema):
    points = fields.Integer(required=True)
    reason = fields.String(required=True)
    submission_id = fields.Integer(required=True, allow_none=True)
    text = fields.String(required=True)
    at = fields.String(required=True, metadata={"format": "date-time"})


class MyPointsSchema(OpenSchema):
    total = fields.Integer(required=True)
    entries = fields.List(fields.Nested(PointEntrySchema), required=True,
                          metadata={"description": "the 50 most recent"})


class RankSchema(OpenSchema):
    rank = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    points = fields.Integer(required=True)


class LeaderboardSchema(OpenSchema):
    items = fields.List(fields.Nested(RankSchema), required=True)
