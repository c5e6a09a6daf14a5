"""Extension instances, created once and bound in create_app()."""
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from marshmallow import INCLUDE, Schema, fields
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from sqlalchemy.orm import DeclarativeBase



def client_address() -> str:
    """The client's address, the rate limiter's key (behind a proxy, configure ProxyFix so
    this is the real one)."""
    return request.remote_addr or "unknown"


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=client_address, headers_enabled=True)
class ErrorBodySchema(Schema):
    """What every error answer says (app/core/errors.py): a code, a message in the caller's
    language, and for invalid input each field's reasons."""
    class Meta:
        unknown = INCLUDE   # some errors add details (retry_after, …)

    code = fields.String(required=True, metadata={"description": "what went wrong, e.g. not_found"})
    message = fields.String(required=True, metadata={"description": "in words, zh-CN or en"})
    reasons = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                          data_key="fields",
                          metadata={"description": "each invalid field's reasons"})
    retry_after = fields.Integer(metadata={"description": "seconds (429, 503, locks)"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class TongxinApi(Api):
    """flask-smorest's Api, documenting the errors the API really answers."""
    ERROR_SCHEMA = ErrorSchema


api = TongxinApi()
talisman = Talisman()
