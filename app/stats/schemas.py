"""The statistics' answer, as the document describes it."""
from marshmallow import fields

from app.core.schema_types import OpenSchema


class StatsSchema(OpenSchema):
    """Figures for a node's subtree; `children` holds the same per child node."""
    grid_code = fields.String(required=True)
    grid_name = fields.String(required=True)
    level = fields.String(required=True)
    submissions = fields.Dict(required=True, metadata={
        "description": "`{total, by_form: {slug: n}, by_form_state: [{form, state, count}]}`"})
    needs = fields.Integer(required=True, metadata={"description": "needs for help submitted"})
    resources = fields.Integer(required=True)
    services_delivered = fields.Integer(required=True)
    median_hours_to_resolve = fields.Float(required=True, allow_none=True)
    p90_hours_to_resolve = fields.Float(required=True, allow_none=True)
    sla_escalations = fields.Integer(required=True)
    posts = fields.Dict(required=True, metadata={
        "description": "`{count, capacity, claimed, fill_rate}` (fill_rate null without places)"})
    points_awarded = fields.Integer()
    joint_meetings = fields.Dict()
    children = fields.List(fields.Dict())
