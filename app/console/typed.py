"""What was typed into a console form the person was refused on, kept for the page they come
back to (never a password, never the CSRF token): the templates' `typed(name, default)`."""
import json

from flask import current_app, g, make_response, redirect, request, session
from werkzeug.datastructures import MultiDict


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
