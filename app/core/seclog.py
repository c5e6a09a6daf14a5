"""Security events as one JSON line each on the `tongxin.security` logger (ASVS V7).

Refusals (401, 403, 429, a CSRF failure) and sign-ins, with who, from where and on which
route — never a token, password or request body. The audit table records what staff did
with personal data (exports, sensitive reads, role changes); this log is for spotting
attacks: ship it with the server's logs (gunicorn writes it to stderr).
"""
import json
import logging

from flask import g, request

logger = logging.getLogger("tongxin.security")
REFUSALS = {401: "unauthenticated", 403: "forbidden", 429: "rate_limited"}
SIGN_IN_ENDPOINTS = {"auth.login", "console.login"}


def log_security_event(response):
    """after_request: one line for each refusal and each sign-in attempt."""
    status = response.status_code
    if request.endpoint in SIGN_IN_ENDPOINTS and request.method == "POST":
        event = "sign_in" if status < 400 else "sign_in_refused"
    elif g.get("security_event"):
        event = g.security_event   # e.g. a console form without its CSRF token
    elif status in REFUSALS:
        event = REFUSALS[status]
    else:
        return response
    code = None
    if response.is_json and status >= 400:
        body = response.get_json(silent=True) or {}
        code = (body.get("error") or {}).get("code")
    user = g.get("_login_user")
    logger.warning(json.dumps({
        "event": event, "code": code, "status": status, "method": request.method,
        "path": request.path, "endpoint": request.endpoint,
        "user_id": getattr(user, "id", None), "auth": g.get("auth_via"),
        "client": request.remote_addr,
    }, ensure_ascii=False))
    return response
