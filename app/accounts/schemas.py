"""Input schemas for sign-in and sign-up."""
from marshmallow import Schema, fields, validate

from app.accounts.models import ROLES
from app.core.schema_types import OpenSchema

# What the views check in words (app/accounts/services.py: USERNAME_RE, normalize_phone and
# PHONE_RE), stated for the document only: a username of 2 to 150 letters, digits or _ . - @
# once trimmed; a phone empty or (MOBILE_DOC, where one is required) a mainland mobile number,
# spaces, dashes and +86 allowed.
USERNAME_DOC = {"pattern": r"^\s*[\w.\-@]{2,150}\s*$"}
PHONE_DOC = {"pattern": r"^[\s-]*(?:\+[\s-]*8[\s-]*6[\s-]*)?(?:1[\s-]*[3-9](?:[\s-]*\d){9}[\s-]*)?$"}
MOBILE_DOC = {"pattern": r"^[\s-]*(?:\+[\s-]*8[\s-]*6[\s-]*)?1[\s-]*[3-9](?:[\s-]*\d){9}[\s-]*$"}
ROLE_DOC = {"enum": list(ROLES)}


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=150))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class SignupSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=2, max=150),
                             metadata=USERNAME_DOC)
    # The password rules (accounts/services.password_problem) say why in words; the document
    # states the length they need.
    password = fields.String(required=True, validate=validate.Length(max=256),
                             metadata={"minLength": 8})
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(load_default="", validate=validate.Length(max=32), metadata=PHONE_DOC)


class PasswordSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=256))
    new_password = fields.String(required=True, validate=validate.Length(max=256),
                                 metadata={"minLength": 8})


class PersonCreateSchema(Schema):
    """One person added by hand, with their first role (API body or the console's form)."""
    username = fields.String(required=True, validate=validate.Length(min=2, max=150),
                             metadata=USERNAME_DOC)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(load_default="", validate=validate.Length(max=32), metadata=PHONE_DOC)
    # Empty: one is generated; given: at least 8 characters (password_problem).
    password = fields.String(load_default="", validate=validate.Length(max=256),
                             metadata={"pattern": r"^(|[\s\S]{8,})$"})
    role = fields.String(required=True, validate=validate.Length(min=1, max=20), metadata=ROLE_DOC)
    grid_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    org = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class PersonUpdateSchema(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    phone = fields.String(validate=validate.Length(max=32), metadata=PHONE_DOC)


class RoleGrantSchema(Schema):
    role = fields.String(required=True, validate=validate.Length(min=1, max=20), metadata=ROLE_DOC)
    grid_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    org = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class RoleSchema(OpenSchema):
    role = fields.String(required=True, metadata={"enum": list(ROLES)})
    grid_code = fields.String(required=True, allow_none=True)
    grid_name = fields.String(allow_none=True)
    org = fields.String(required=True, allow_none=True, metadata={"description": "a partner's unit"})


class UserSchema(OpenSchema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    roles = fields.List(fields.Nested(RoleSchema), required=True)


class SignedInSchema(OpenSchema):
    """POST /auth/login (and a password change): a bearer token, the CSRF token for cookie
    writes, and who signed in."""
    token = fields.String(required=True)
    csrf_token = fields.String(required=True)
    user = fields.Nested(UserSchema, required=True)


class MeSchema(UserSchema):
    """The user's keys, and the same again under `user`."""
    user = fields.Nested(UserSchema, required=True)
    csrf_token = fields.String(required=True)


class SignedUpSchema(UserSchema):
    user = fields.Nested(UserSchema, required=True)


class SignedOutSchema(OpenSchema):
    status = fields.String(required=True, metadata={"enum": ["ok"]})


class ImportedSchema(OpenSchema):
    """POST /imports/<kind>: the plan (and with `dry_run`, nothing written)."""
    kind = fields.String(required=True, metadata={"enum": ["grid", "users"]})
    dry_run = fields.Boolean(required=True)
    counts = fields.Dict(required=True)
    rows = fields.List(fields.Dict(), required=True, metadata={
        "description": "`{row, status: new|changed|unchanged, key, name, changes}` each"})
    generated = fields.List(fields.Dict(), required=True, metadata={
        "description": "`{display_name, username, password}` for new people (shown once)"})


class NewPasswordSchema(OpenSchema):
    id = fields.Integer(required=True)
    password = fields.String(required=True, metadata={"description": "shown once"})


class ActiveSchema(OpenSchema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    active = fields.Boolean(required=True)


class SessionsEndedSchema(OpenSchema):
    id = fields.Integer(required=True)
    ended = fields.Integer(required=True)


class UnlockedSchema(OpenSchema):
    id = fields.Integer(required=True)
    unlocked = fields.Integer(required=True)


class PersonSchema(UserSchema):
    phone = fields.String(required=True)
    active = fields.Boolean(required=True)
    locked = fields.Boolean(required=True)
    role_ids = fields.List(fields.Integer(), required=True)
    password = fields.String(metadata={"description": "POST /users: the password, shown once"})
