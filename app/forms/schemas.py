"""Form definitions: the schema a published definition must satisfy."""
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.core.schema_types import LabelSchema, OpenSchema, StrictBoolean
from app.forms.fields import NAME_RE, FieldSetupSchema


class FormDefinitionSchema(Schema):
    slug = fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9\-]{0,63}$"))
    title = fields.Nested(LabelSchema, required=True)
    description = fields.Nested(LabelSchema)
    public = StrictBoolean(load_default=False)
    submit_scope = fields.String(validate=validate.OneOf(("staff", "any")))
    fields_ = fields.List(fields.Nested(FieldSetupSchema), required=True,
                          validate=validate.Length(min=1, max=200), data_key="fields")
    workflow = fields.Raw(allow_none=True)
    # {old state: new state} for states the new workflow drops while submissions hold them.
    state_map = fields.Dict(keys=fields.String(), values=fields.String())

    @validates_schema
    def cross_field(self, data, **kwargs):
        seen: dict[str, int] = {}
        errors = {}
        for i, f in enumerate(data.get("fields_") or []):
            if f["name"] in seen:
                errors[f"fields.{i}.name"] = [_("Another field already has the machine name “%(name)s”.", name=f["name"])]
            seen[f["name"]] = i
        for i, f in enumerate(data.get("fields_") or []):
            cond = f.get("visible_if")
            if cond:
                if cond["field"] not in seen or cond["field"] == f["name"]:
                    errors[f"fields.{i}.visible_if.field"] = [
                        _("“Shown when” names a field that is not in this form.")]
        if sum(1 for f in data.get("fields_") or [] if f["type"] == "post") > 1:
            errors["fields"] = [_("At most one volunteer post field.")]
        if errors:
            raise ValidationError(errors)


def dump_definition(data: dict) -> dict:
    """Back from loaded form to the stored JSON (data keys, no Nones)."""
    out = {k: v for k, v in data.items() if k not in ("fields_", "workflow", "state_map")}
    out["fields"] = [_clean_field(f) for f in data["fields_"]]
    return out


def _clean_field(f: dict) -> dict:
    out = {}
    for key, value in f.items():
        if value is None:
            continue
        if key == "visible_if":
            value = {("in" if k == "in_" else k): v for k, v in value.items()}
        out[key] = value
    return out


__all__ = ["FormDefinitionSchema", "dump_definition", "NAME_RE"]


class FormSchema(OpenSchema):
    """A form version as the API and the PWA see it (services.describe)."""
    slug = fields.String(required=True)
    kind = fields.String(required=True)
    version = fields.Integer(required=True)
    current_version = fields.Integer(required=True)
    public = fields.Boolean(required=True)
    closed = fields.Boolean(required=True)
    submit_scope = fields.String(required=True)
    title = fields.Dict(required=True, metadata={"description": "`{zh, en}`"})
    description = fields.Dict(required=True, allow_none=True)
    fields_ = fields.List(fields.Dict(), required=True, data_key="fields",
                          metadata={"description": "each with name, type, label {zh, en}, required"})
    workflow = fields.Dict(required=True, allow_none=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class FormListSchema(OpenSchema):
    items = fields.List(fields.Nested(FormSchema), required=True)
