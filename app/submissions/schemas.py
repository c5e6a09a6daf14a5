"""Submission request bodies, and the answers as the document describes them."""
from marshmallow import Schema, fields, validate

from app.core.ids import MAX_ID
from app.core.schema_types import IsoDateTime, OpenSchema, StrictBoolean


class SubmissionCreateSchema(Schema):
    uuid = fields.UUID(required=True)
    form = fields.String(required=True, validate=validate.Length(min=1, max=64))
    form_version = fields.Integer(strict=True, allow_none=True,
                                  validate=validate.Range(min=1, max=MAX_ID))
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


def _when(**kwargs):
    return fields.String(allow_none=True, metadata={"format": "date-time"}, **kwargs)


class SubmissionSchema(OpenSchema):
    """A submission as lists show it (services.serialize); `data` masks residents' contact
    details unless the caller must call them back."""
    id = fields.Integer(required=True)
    uuid = fields.String(required=True, metadata={"description": "made by the client"})
    form = fields.String(required=True, metadata={"description": "the form's slug"})
    form_version = fields.Integer(required=True)
    grid_code = fields.String(required=True)
    grid_name = fields.String(required=True)
    state = fields.String(required=True)
    state_label = fields.String(required=True, metadata={"description": "in the request's language"})
    tier = fields.String(required=True, allow_none=True,
                         metadata={"description": "who must act: captain, branch, committee, "
                                                  "partner, submitter; null when nobody"})
    data = fields.Dict(required=True)
    partner = fields.String(required=True, allow_none=True, metadata={"description": "unit name"})
    resource = fields.Integer(required=True, allow_none=True)
    supporters = fields.Integer(required=True)
    post = fields.Integer(required=True, allow_none=True)
    submitter_id = fields.Integer(required=True, allow_none=True)
    duplicate_of = fields.Integer(required=True, allow_none=True)
    client_created_at = _when(required=True)
    created_at = _when(required=True)
    updated_at = _when(required=True)
    state_since = _when(required=True)
    resolved_at = _when(required=True)
    tracking_code = fields.String(metadata={"description": "for its submitter and the staff"})


class SubmissionPageSchema(OpenSchema):
    items = fields.List(fields.Nested(SubmissionSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True,
                                metadata={"description": "pass as `cursor` for the next page"})


class InboxItemSchema(SubmissionSchema):
    allowed_actions = fields.List(fields.String(), required=True)
    actions = fields.List(fields.Dict(), required=True)
    waited_seconds = fields.Integer(allow_none=True)
    auto_action = fields.String(allow_none=True)
    auto_at = _when()
    auto_in_seconds = fields.Integer(allow_none=True)
    overdue = fields.Boolean()
    submitter_name = fields.String(allow_none=True, metadata={"description": "a claim's volunteer"})


class InboxSchema(OpenSchema):
    items = fields.List(fields.Nested(InboxItemSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)
    count = fields.Integer(required=True)
    notices = fields.List(fields.Dict(), required=True)


class TrackSchema(OpenSchema):
    """What a tracking code tells anyone who holds it."""
    tracking_code = fields.String(required=True)
    form = fields.String(required=True)
    state = fields.String(required=True)
    state_label = fields.String(required=True)
    grid_name = fields.String(required=True)
    created_at = _when(required=True)
    updated_at = _when(required=True)
    replies = fields.List(fields.Dict(), required=True,
                          metadata={"description": "`{comment, at, tier, tier_label}` each"})


class SupportedSchema(OpenSchema):
    id = fields.Integer(required=True)
    supporters = fields.Integer(required=True)


class ErasedSchema(OpenSchema):
    tracking_code = fields.String(required=True)
    erased = fields.List(fields.String(), required=True, metadata={"description": "field names"})
    contacts_erased_at = _when(required=True)


class ExportJobSchema(OpenSchema):
    id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(
        ("queued", "running", "done", "failed")))
    progress = fields.Float(required=True, validate=validate.Range(min=0, max=1))
    url = fields.String(required=True, allow_none=True, metadata={"description": "when done"})
    format = fields.String(validate=validate.OneOf(("csv", "xlsx")))
    form = fields.String()
    rows = fields.Integer(allow_none=True)
    created_at = _when()
    finished_at = _when()
    expires_at = _when()
    error = fields.String(allow_none=True)
