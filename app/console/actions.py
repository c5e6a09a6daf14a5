"""How a console page acts: it loads the API's own schema from `request.form`, calls the API's
own service function, and lets the request commit (app.TongxinFlask.dispatch_request). A refused
action (the service's ApiError, or the schema's 422) becomes a message on the page through one
decorator, `refusals_flashed`. Console views never commit and never parse by hand."""
from functools import wraps

from flask import abort, request, url_for
from marshmallow import ValidationError, fields
from werkzeug.datastructures import MultiDict

from app.core.errors import ApiError, flatten_messages
from app.extensions import db

from .base import flash_api_error
from .typed import back_with_typed


def load_form(schema, form: MultiDict | None = None, **extra):
    """The schema (class or instance) loaded from a console form, as the API loads JSON: lists
    from repeated inputs, integers and booleans from their text, empty optional inputs left out.
    A bad input raises the same 422 ApiError the API answers with."""
    schema = schema() if isinstance(schema, type) else schema
    form = request.form if form is None else form
    data = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if isinstance(field, fields.List):
            values = [v for v in form.getlist(key) if v.strip()]
            if values or key in form:
                data[key] = values
            continue
        if key not in form:
            continue
        value = form.get(key, "")
        if value.strip() == "" and not field.required:
            continue
        if isinstance(field, fields.Integer):
            value = int(value) if value.strip().lstrip("-").isdigit() else value
        elif isinstance(field, fields.Boolean):
            value = value not in ("", "0", "false", "off")
        data[key] = value
    data.update(extra)
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ApiError(422, fields=flatten_messages(exc.messages)) from None


def refusals_flashed(fallback: str, **fallback_args):
    """A refused action (ApiError but 404) rolls back what the view did and comes back to the
    page with the reason flashed; 404 stays a 404 (unknown, or outside the caller's grid).
    `fallback`: the endpoint to return to when the form names no `next` page of the console."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except ApiError as exc:
                db.session.rollback()
                if exc.status == 404:
                    abort(404)
                flash_api_error(exc)
                target = request.form.get("next", "")
                values = {k: (v(kwargs) if callable(v) else v) for k, v in fallback_args.items()}
                if not target.startswith("/admin/") or target.startswith("//"):
                    target = url_for(fallback, **values)
                return back_with_typed(target, fallback, values)
        return wrapper
    return decorate
