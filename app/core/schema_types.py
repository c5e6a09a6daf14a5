"""Schema types shared by every layer's request bodies and definitions."""
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from app.core.timezone import parse_local


class LabelSchema(Schema):
    """A label in both languages: Chinese required, English optional."""
    zh = fields.String(required=True, validate=validate.Length(min=1, max=500))
    en = fields.String(load_default="", validate=validate.Length(max=500))


class IsoDateTime(fields.Field):
    """An ISO 8601 date-time string, read as a naive UTC datetime; a time without an offset
    is the community's wall time (TONGXIN_TIMEZONE)."""
    default_error_messages = {"invalid": "Not a valid datetime."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return parse_local(value)
        except ValueError:
            raise self.make_error("invalid") from None


class StrictBoolean(fields.Boolean):
    """true or false only: marshmallow's Boolean also takes 0, 1, "yes", "on"… (a
    `{"closed": 0}` read as false)."""
    default_error_messages = {"invalid": "Not a valid boolean."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class NotEmptySchema(Schema):
    """A PATCH body that changes nothing ({}) is refused (422), not answered 200."""

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.", "_schema")


class OpenSchema(Schema):
    """An answer as the document describes it (never used to serialise one): the keys it
    names, typed, and room for more (`additionalProperties`)."""

    class Meta:
        unknown = INCLUDE


class ItemsSchema(OpenSchema):
    """A list answer whose items the route's description tells."""
    items = fields.List(fields.Dict(), required=True)
