"""How a console page acts: it loads the API's own schema from `request.form`, calls the API's
own service function, and lets the request commit (app.TongxinFlask.dispatch_request). A refused
action (the service's ApiError, or the schema's 422) becomes a message on the page through one
decorator, `refusals_flashed`. Console views never commit and never parse by hand."""
import json
from functools import wraps

from flask import abort, current_app, g, make_response, redirect, request, session, url_for
from marshmallow import ValidationError, fields
from werkzeug.datastructures import MultiDict

from app.core.errors import ApiError, flatten_messages
from app.extensions import db

from .base import flash_api_error


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


# What was typed rides in the signed session cookie to the page redirected to; past this
# (JSON characters, \u-escaped) the cookie could outgrow a browser's 4 KB, so the page is
# shown again at once instead (typed_again).
TYPED_LIMIT = 2400


def back_with_typed(target: str, endpoint: str, values: dict):
    """After a refusal, back to `target` with what was typed kept for its inputs (the `typed`
    template helper) — never a password, never the CSRF token."""
    kept = {k: v for k, v in request.form.lists() if k != "csrf_token" and "password" not in k}
    if len(json.dumps(kept)) > TYPED_LIMIT:
        return typed_again(endpoint, values)
    session["typed"] = {"path": target.split("?", 1)[0], "form": kept}
    return redirect(target)


def load_typed() -> None:
    """On the page a refusal came back to, what was typed there (once; any other page drops it)."""
    kept = session.pop("typed", None) if "typed" in session else None
    if isinstance(kept, dict) and kept.get("path") == request.path and request.method == "GET":
        g.typed = MultiDict([(k, v) for k, vs in (kept.get("form") or {}).items() for v in vs])


def typed_again(endpoint: str, values: dict):
    """The refused form's page shown again (422) with what was typed still in its inputs: the
    page's view runs as its GET would (its POST branch is not taken again)."""
    g.typed = MultiDict([(k, v) for k, v in request.form.items(multi=True)
                         if k != "csrf_token" and "password" not in k])
    method, request.method = request.method, "GET"
    try:
        response = make_response(current_app.view_functions[endpoint](**values))
    finally:
        request.method = method
    if response.status_code == 200:
        response.status_code = 422
    return response


def typed(name: str, default=""):
    """What the person typed into `name` before a refusal (never a password), else `default`."""
    kept = g.get("typed")
    if kept is None or name not in kept or "password" in name:
        return default
    return kept.get(name)


def typed_list(name: str, default=()):
    """The values chosen in a multiple select or checkboxes `name` before a refusal."""
    kept = g.get("typed")
    return list(default) if kept is None or name not in kept else kept.getlist(name)


def was_typed() -> bool:
    return g.get("typed") is not None
