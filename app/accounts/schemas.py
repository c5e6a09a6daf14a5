"""Input schemas for sign-in and sign-up."""
from marshmallow import Schema, fields, validate


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=150))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class SignupSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=2, max=150))
    # The password rules (accounts/services.password_problem) say why in words; the document
    # states the length they need.
    password = fields.String(required=True, validate=validate.Length(max=256),
                             metadata={"minLength": 8})
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(load_default="", validate=validate.Length(max=32))


class PasswordSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=256))
    new_password = fields.String(required=True, validate=validate.Length(max=256),
                                 metadata={"minLength": 8})


class PersonCreateSchema(Schema):
    """One person added by hand, with their first role (API body or the console's form)."""
    username = fields.String(required=True, validate=validate.Length(min=2, max=150))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(load_default="", validate=validate.Length(max=32))
    password = fields.String(load_default="", validate=validate.Length(max=256))
    role = fields.String(required=True, validate=validate.Length(min=1, max=20))
    grid_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    org = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class PersonUpdateSchema(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    phone = fields.String(validate=validate.Length(max=32))


class RoleGrantSchema(Schema):
    role = fields.String(required=True, validate=validate.Length(min=1, max=20))
    grid_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    org = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
