"""The outbox's ops, checked by the same schemas as the HTTP routes they replay."""
from marshmallow import EXCLUDE, Schema, fields, validate

from app.core.schema_types import OpenSchema
from app.submissions.schemas import TransitionSchema

OPS = ("submit", "transition", "relay")


class OpSchema(Schema):
    """What every op names: its kind (the rest is the kind's own schema's)."""

    class Meta:
        unknown = EXCLUDE

    op = fields.String(required=True, validate=validate.OneOf(OPS))


class SubmissionRef(fields.Field):
    """A submission's id (a number) or uuid (a string)."""

    default_error_messages = {"invalid": "Not a valid value."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise self.make_error("invalid")
        return str(value)


class TransitionOpSchema(TransitionSchema):
    """POST /submissions/<submission>/transitions, queued offline: idempotent on `op_id`.
    Other keys of the op (its kind, what a client adds) are left out."""

    class Meta:
        unknown = EXCLUDE

    op_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    submission = SubmissionRef(required=True)


class OpResultSchema(OpenSchema):
    status = fields.String(required=True, validate=validate.OneOf((
        "created", "duplicate", "applied", "conflict", "invalid", "forbidden", "not_found")))
    op_id = fields.String(allow_none=True)
    errors = fields.Dict(metadata={"description": "why an op is invalid, forbidden or in "
                                                  "conflict: `{code, message, fields?}`"})
    submission = fields.Dict(metadata={"description": "the submission, as GET answers it"})


class SyncAnswerSchema(OpenSchema):
    results = fields.List(fields.Nested(OpResultSchema), required=True,
                          metadata={"description": "one per op, in order"})
