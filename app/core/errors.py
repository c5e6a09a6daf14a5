"""One error shape for the whole API: {"error": {"code", "message", "fields"?}}."""
import re

from flask import jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy.exc import (DBAPIError, DisconnectionError, InterfaceError, OperationalError,
                            SQLAlchemyError)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.extensions import db

DEFAULT_MESSAGES = {
    400: _l("The request is malformed."),
    401: _l("Please sign in first."),
    403: _l("You are not allowed to do this."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    409: _l("This conflicts with the current state."),
    413: _l("The request is too large."),
    415: _l("Unsupported media type."),
    422: _l("Some fields are not valid."),
    429: _l("Too many requests, please try again later."),
    500: _l("Internal server error."),
    503: _l("The service is temporarily unavailable, please try again."),
}
CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "validation_error", 429: "rate_limited", 500: "internal_error", 503: "unavailable",
}


class ApiError(Exception):
    """An error the API answers with: status, machine code, translated message, fields."""

    def __init__(self, status: int, message=None, code: str | None = None, fields=None, **extra):
        super().__init__(str(message or ""))
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.fields = fields
        self.extra = extra


# marshmallow formats some messages before we see them; map them back to msgids.
FORMATTED = [
    (re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"), "Longer than maximum length {max}."),
    (re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"), "Shorter than minimum length {min}."),
    (re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"),
     "Length must be between {min} and {max}."),
    (re.compile(r"^Must be greater than or equal to (?P<min>[\d.\-]+) and less than or equal to "
                r"(?P<max>[\d.\-]+)\.$"),
     "Must be greater than or equal to {min} and less than or equal to {max}."),
    (re.compile(r"^Must be greater than or equal to (?P<min>[\d.\-]+)\.$"),
     "Must be greater than or equal to {min}."),
    (re.compile(r"^Must be less than or equal to (?P<max>[\d.\-]+)\.$"),
     "Must be less than or equal to {max}."),
    (re.compile(r"^Must be one of: (?P<choices>.*)\.$"), "Must be one of: {choices}."),
]


def translate(message) -> str:
    """Messages from marshmallow/webargs are English msgids; look them up in the catalogue."""
    text = str(message)
    if not text:
        return text
    translated = _(text)
    if translated != text:
        return translated
    for pattern, msgid in FORMATTED:
        match = pattern.match(text)
        if match:
            return _(msgid).format(**match.groupdict())
    return text


def flatten_messages(messages, prefix: str = "") -> dict:
    """Turn marshmallow's nested error dict into {"a.b": ["msg", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "_schema"
            for k, v in flatten_messages(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, (str, bytes)) or hasattr(m, "__html__") or type(m).__name__ == "LazyString" for m in messages):
            out[prefix or "_schema"] = [translate(m) for m in messages]
        else:
            for m in messages:
                for k, v in flatten_messages(m, prefix).items():
                    out.setdefault(k, []).extend(v)
    else:
        out[prefix or "_schema"] = [translate(messages)]
    return out


def error_response(status: int, message=None, code: str | None = None, fields=None, **extra):
    body = {"code": code or CODES.get(status, "error"),
            "message": str(message) if message else str(DEFAULT_MESSAGES.get(status, _("Error.")))}
    if fields:
        body["fields"] = fields
    body.update(extra)
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _handle_api_error(exc: ApiError):
    response = error_response(exc.status, exc.message, exc.code, exc.fields, **exc.extra)
    if "retry_after" in exc.extra:
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response


def _handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if status == 400 and messages:
        return error_response(400, _("The request body is not valid JSON."), "bad_request")
    if messages:
        # webargs: {"json": {...}} / {"query": {...}}; the location is not part of the path.
        merged: dict = {}
        for errs in messages.values():
            merged.update(flatten_messages(errs))
        return error_response(422, None, fields=merged)
    response = error_response(status)
    if status == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 429:
        response.headers.update({k: v for k, v in exc.get_response().headers.items()
                                 if k.lower().startswith(("x-ratelimit", "retry-after"))})
    return response


def _handle_validation_error(exc: ValidationError):
    return error_response(422, None, fields=flatten_messages(exc.messages))


# Faults of the database, not of the request: the server is down or restarting (PostgreSQL's
# admin shutdown), the connection dropped, a statement or connection timed out, SQLite's disk
# is full or failing. Raised as SQLAlchemy's, or as the driver's own where code reads the
# driver directly (the reference cache's generation, the lean submission path).
RETRY_AFTER_SECONDS = 5


def _driver_faults() -> tuple[type[BaseException], ...]:
    import sqlite3

    faults: list[type[BaseException]] = [sqlite3.OperationalError, sqlite3.InterfaceError]
    try:
        import psycopg
    except ImportError:   # SQLite-only installs need no PostgreSQL driver
        return tuple(faults)
    return (*faults, psycopg.OperationalError, psycopg.InterfaceError)


def safe_rollback() -> None:
    """Roll the request's session back; on a dead connection that fails too, so the session
    lets its connections go (invalidated: the pool makes new ones) and starts afresh."""
    try:
        db.session.rollback()
    except (SQLAlchemyError, *_driver_faults()):
        _discard_session()


def _discard_session() -> None:
    from flask import current_app

    current_app.logger.warning("rollback failed on a dead database connection; discarded")
    if db.session.registry.has():
        try:
            db.session.registry().invalidate()
        except (SQLAlchemyError, *_driver_faults()):
            pass   # the connections are beyond use already; the registry lets them go below
    db.session.registry.clear()


def safe_teardown(exc=None) -> None:
    """teardown_appcontext: end the request's session without ever raising (a rollback on a
    connection the database closed used to escape to the server's HTML 500)."""
    try:
        db.session.remove()
    except (SQLAlchemyError, *_driver_faults()):
        _discard_session()


def _is_database_fault(exc: BaseException) -> bool:
    if isinstance(exc, (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _driver_faults())


def _handle_db_down(exc: Exception):
    if not _is_database_fault(exc):
        raise exc   # a programming error (bad SQL, bad value): the 500 path, logged
    safe_rollback()
    orig = getattr(exc, "orig", exc)
    if "locked" in str(orig).lower():
        response = error_response(503, _("The database is busy, please try again."), "busy")
    else:
        response = error_response(503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _handle_stale(exc: StaleDataError):
    """Two requests changed the same row at once (e.g. a waitlist promotion racing a cancel):
    nothing was saved; the caller may simply try again."""
    safe_rollback()
    response = error_response(409, _("Someone changed this at the same time; nothing was "
                                     "saved. Please try again."), "concurrent_change")
    response.headers["Retry-After"] = "1"
    return response


def _handle_unexpected(exc: Exception):
    from flask import current_app
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(500)


def register_error_handlers(app) -> None:
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(ValidationError, _handle_validation_error)
    for fault in (DBAPIError, DisconnectionError, PoolTimeout, *_driver_faults()):
        app.register_error_handler(fault, _handle_db_down)
    app.register_error_handler(StaleDataError, _handle_stale)
    if not app.config.get("PROPAGATE_EXCEPTIONS"):
        app.register_error_handler(Exception, _handle_unexpected)
