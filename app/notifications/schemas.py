"""Notifications', webhooks' and push answers, as the document describes them."""
from marshmallow import fields

from app.core.schema_types import OpenSchema


def _when(**kwargs):
    return fields.String(allow_none=True, metadata={"format": "date-time"}, **kwargs)


class NotificationSchema(OpenSchema):
    id = fields.Integer(required=True)
    type = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True)
    text = fields.String(required=True)
    submission_id = fields.Integer(required=True, allow_none=True)
    tracking_code = fields.String(required=True, allow_none=True)
    grid_code = fields.String(required=True, allow_none=True)
    state = fields.String(required=True, allow_none=True)
    created_at = _when(required=True)
    read = fields.Boolean(required=True)
    read_at = _when(required=True)
    form_title = fields.String(allow_none=True, metadata={"description": "in the request's language"})
    excerpt = fields.String(allow_none=True, metadata={"description": "the letter's first words"})


class NotificationPageSchema(OpenSchema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    unread = fields.Integer(required=True)
    next_cursor = fields.String(required=True, allow_none=True,
                                metadata={"description": "pass as `before`"})


class MarkedReadSchema(OpenSchema):
    updated = fields.Integer(required=True)
    unread = fields.Integer(required=True)


class WebhookSchema(OpenSchema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    description = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    created_at = _when(required=True)
    secret = fields.String(metadata={"description": "`whsec_…`: in the POST answer only"})


class WebhookListSchema(OpenSchema):
    items = fields.List(fields.Nested(WebhookSchema), required=True)


class DeliverySchema(OpenSchema):
    id = fields.Integer(required=True)
    webhook_id = fields.Integer(required=True, allow_none=True)
    type = fields.String(required=True)
    state = fields.String(required=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = _when(required=True)
    last_status = fields.Integer(required=True, allow_none=True)
    last_error = fields.String(required=True, allow_none=True)
    delivered_at = _when(required=True)
    created_at = _when(required=True)


class DeliveryListSchema(OpenSchema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)


class ChannelSchema(OpenSchema):
    id = fields.Integer(required=True)
    grid_code = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "its keys hidden"})
    events = fields.List(fields.String(), required=True)
    description = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    created_at = _when(required=True)


class ChannelListSchema(OpenSchema):
    items = fields.List(fields.Nested(ChannelSchema), required=True)


class PushKeySchema(OpenSchema):
    public_key = fields.String(required=True, metadata={"description": "VAPID, base64url"})


class PushSubscriptionSchema(OpenSchema):
    id = fields.Integer(required=True)
    endpoint = fields.String(required=True)
    created_at = _when(required=True)


class PushRemovedSchema(OpenSchema):
    removed = fields.Integer(required=True)


class CalendarSchema(OpenSchema):
    url = fields.String(required=True, metadata={"description": "the absolute URL of the .ics feed"})
