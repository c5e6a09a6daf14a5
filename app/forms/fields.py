"""Field types (Indico's registry pattern): each type names its marshmallow field, validates
its own options, and is described to the PWA as plain JSON (the definition itself)."""
import re

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.accounts.services import PHONE_RE, normalize_phone
from app.core.schema_types import LabelSchema, StrictBoolean

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class ChoiceSchema(Schema):
    value = fields.String(required=True, validate=validate.Length(min=1, max=100))
    label = fields.Nested(LabelSchema, required=True)


class VisibleIfSchema(Schema):
    field = fields.String(required=True)
    equals = fields.Raw()
    in_ = fields.List(fields.Raw(), data_key="in")
    not_empty = fields.Boolean()

    @validates_schema
    def one_condition(self, data, **kwargs):
        if sum(k in data for k in ("equals", "in_", "not_empty")) != 1:
            raise ValidationError("Give exactly one of equals, in, not_empty.")


class FieldSetupSchema(Schema):
    """Options common to every field type; types add their own checks in `check_setup`."""

    name = fields.String(required=True, validate=validate.Regexp(NAME_RE))
    type = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)
    help = fields.Nested(LabelSchema)
    required = fields.Boolean(load_default=False)
    default = fields.Raw(allow_none=True)
    min = fields.Float(allow_none=True)
    max = fields.Float(allow_none=True)
    min_length = fields.Integer(validate=validate.Range(min=0), allow_none=True)
    max_length = fields.Integer(validate=validate.Range(min=1, max=100000), allow_none=True)
    pattern = fields.String(allow_none=True)
    choices = fields.List(fields.Nested(ChoiceSchema))
    sensitive = fields.Boolean(load_default=False)
    visible_if = fields.Nested(VisibleIfSchema, allow_none=True)
    multiple = fields.Boolean()
    levels = fields.List(fields.String())

    @validates_schema
    def type_rules(self, data, **kwargs):
        ftype = FIELD_TYPES.get(data.get("type"))
        if ftype is None:
            raise ValidationError(f"Unknown field type '{data.get('type')}'.", "type")
        ftype.check_setup(data)
        if data.get("min") is not None and data.get("max") is not None and data["min"] > data["max"]:
            raise ValidationError("min must not be greater than max.", "min")
        lo, hi = data.get("min_length"), data.get("max_length")
        if lo is not None and hi is not None and lo > hi:
            raise ValidationError("min_length must not be greater than max_length.", "min_length")
        if data.get("pattern"):
            try:
                re.compile(data["pattern"])
            except re.error as exc:
                raise ValidationError(f"Invalid pattern: {exc}", "pattern") from exc


def _messages() -> dict:
    return {"required": _("This field is required."), "null": _("This field is required."),
            "invalid": _("Not a valid value.")}


class FieldType:
    name = ""
    default_max_length: int | None = None

    @classmethod
    def check_setup(cls, data: dict) -> None:
        pass

    @classmethod
    def make(cls, d: dict) -> fields.Field:
        raise NotImplementedError

    @classmethod
    def kwargs(cls, d: dict) -> dict:
        # Presence and visibility are checked before the schema runs (forms.services).
        return {"required": False, "allow_none": False, "error_messages": _messages()}


class TextField(FieldType):
    name = "text"
    default_max_length = 200

    @classmethod
    def make(cls, d):
        validators = []
        lo = d.get("min_length")
        hi = d.get("max_length") or cls.default_max_length
        if d.get("required"):
            lo = max(lo or 0, 1)
        validators.append(validate.Length(
            min=lo, max=hi, error=_("Length must be between {min} and {max} characters.")
            .replace("{min}", str(lo or 0)).replace("{max}", str(hi))))
        if d.get("pattern"):
            validators.append(validate.Regexp(d["pattern"], error=_("Not in the expected format.")))
        msgs = _messages() | {"invalid": _("Not a valid text.")}
        return StrippedString(validate=validators, **(cls.kwargs(d) | {"error_messages": msgs}))


class StrippedString(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        return result.strip()


class TextareaField(TextField):
    name = "textarea"
    default_max_length = 5000


class IntegerField(FieldType):
    name = "integer"

    @classmethod
    def make(cls, d):
        msgs = _messages() | {"invalid": _("Not a valid whole number.")}
        return fields.Integer(strict=True, validate=_range(d), **(cls.kwargs(d) | {"error_messages": msgs}))


class NumberField(FieldType):
    name = "number"

    @classmethod
    def make(cls, d):
        msgs = _messages() | {"invalid": _("Not a valid number."),
                              "special": _("Not a valid number.")}
        return fields.Float(allow_nan=False, validate=_range(d),
                            **(cls.kwargs(d) | {"error_messages": msgs}))


def _range(d):
    lo, hi = d.get("min"), d.get("max")
    if lo is None and hi is None:
        return []
    if lo is not None and hi is not None:
        msg = _("Must be between {min} and {max}.")
    elif lo is not None:
        msg = _("Must be at least {min}.")
    else:
        msg = _("Must be at most {max}.")
    return [validate.Range(min=lo, max=hi, error=msg.replace("{min}", str(lo)).replace("{max}", str(hi)))]


class DateField(FieldType):
    name = "date"

    @classmethod
    def make(cls, d):
        msgs = _messages() | {"invalid": _("Not a valid date (YYYY-MM-DD)."),
                              "format": _("Not a valid date (YYYY-MM-DD).")}
        return IsoText(fields.Date(error_messages=msgs), **cls.kwargs(d))


class DateTimeField(FieldType):
    name = "datetime"

    @classmethod
    def make(cls, d):
        msgs = _messages() | {"invalid": _("Not a valid date and time (ISO 8601)."),
                              "format": _("Not a valid date and time (ISO 8601).")}
        return IsoText(fields.DateTime(error_messages=msgs), **cls.kwargs(d))


class IsoText(fields.Field):
    """Validates with an inner date/datetime field, but stores the original ISO text."""

    def __init__(self, inner: fields.Field, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.inner.make_error("invalid")
        return self.inner.deserialize(value).isoformat()


class SelectField(FieldType):
    name = "select"

    @classmethod
    def check_setup(cls, data):
        if not data.get("choices"):
            raise ValidationError("A select field needs choices.", "choices")
        values = [c["value"] for c in data["choices"]]
        if len(values) != len(set(values)):
            raise ValidationError("Choice values must be unique.", "choices")

    @classmethod
    def make(cls, d):
        values = [c["value"] for c in d["choices"]]
        msg = _("Choose one of the offered options.")
        return fields.String(validate=validate.OneOf(values, error=msg),
                             **(cls.kwargs(d) | {"error_messages": _messages() | {"invalid": msg}}))


class MultiselectField(SelectField):
    name = "multiselect"

    @classmethod
    def make(cls, d):
        values = [c["value"] for c in d["choices"]]
        msg = _("Choose from the offered options.")
        validators = [validate.ContainsOnly(values, error=msg)]
        if d.get("required"):
            validators.append(validate.Length(min=1, error=_("Choose at least one option.")))
        inner = fields.String(error_messages={"invalid": msg})
        return fields.List(inner, validate=validators,
                           **(cls.kwargs(d) | {"error_messages": _messages() | {"invalid": msg}}))


class BooleanField(FieldType):
    name = "boolean"

    @classmethod
    def make(cls, d):
        msgs = _messages() | {"invalid": _("Must be true or false.")}
        return StrictBoolean(**(cls.kwargs(d) | {"error_messages": msgs}))


class ConsentField(BooleanField):
    name = "consent"

    @classmethod
    def make(cls, d):
        msg = _("You must agree to continue.")
        return StrictBoolean(validate=validate.Equal(True, error=msg),
                             **(cls.kwargs(d) | {"error_messages": _messages() | {"invalid": msg}}))


class PhoneField(FieldType):
    name = "phone"

    @classmethod
    def make(cls, d):
        return PhoneString(**(cls.kwargs(d) | {"error_messages": _messages() | {
            "invalid": _("Enter a valid mainland China mobile number (11 digits).")}}))


class PhoneString(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        phone = normalize_phone(value)
        if not PHONE_RE.match(phone):
            raise self.make_error("invalid")
        return phone


class EmailField(FieldType):
    name = "email"

    @classmethod
    def make(cls, d):
        msg = _("Enter a valid email address.")
        return fields.Email(validate=validate.Length(max=254, error=msg),
                            **(cls.kwargs(d) | {"error_messages": _messages() | {"invalid": msg}}))


class GridField(FieldType):
    """A grid node code; checked against the grid and the caller's scope in services."""
    name = "grid"

    @classmethod
    def make(cls, d):
        return fields.String(validate=validate.Length(min=1, max=64),
                             **(cls.kwargs(d) | {"error_messages": _messages()}))


class PostField(FieldType):
    """A volunteer post id; checked against open posts in services."""
    name = "post"

    @classmethod
    def make(cls, d):
        msgs = _messages() | {"invalid": _("Not a valid post.")}
        return fields.Integer(strict=True, **(cls.kwargs(d) | {"error_messages": msgs}))


class PhotoField(FieldType):
    """Upload ids from POST /api/v1/uploads; existence checked in services."""
    name = "photo"

    @classmethod
    def make(cls, d):
        msg = _("Not a valid list of photos.")
        hi = int(d.get("max") or 9)
        validators = [validate.Length(max=hi, error=_("At most {max} photos.").replace("{max}", str(hi)))]
        if d.get("required"):
            validators.append(validate.Length(min=1, error=_("Add at least one photo.")))
        return fields.List(fields.String(validate=validate.Length(max=64)), validate=validators,
                           **(cls.kwargs(d) | {"error_messages": _messages() | {"invalid": msg}}))


FIELD_TYPES: dict[str, type[FieldType]] = {t.name: t for t in (
    TextField, TextareaField, IntegerField, NumberField, DateField, DateTimeField, SelectField,
    MultiselectField, BooleanField, ConsentField, PhoneField, EmailField, GridField, PostField,
    PhotoField)}
