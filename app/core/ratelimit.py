"""Keys for Flask-Limiter: per client address, per username."""
from flask import request

from app.extensions import client_address


def login_username_key() -> str:
    """Rate-limit key for failed sign-ins against one account, whoever tries it."""
    body = request.get_json(silent=True) or {}
    username = body.get("username") if isinstance(body, dict) else None
    return "login-user:" + str(username or "").strip().lower()[:150]


def login_client_key() -> str:
    return "login-client:" + client_address()


def is_failed_login(response) -> bool:
    return response.status_code == 401


class TrustedProxies:
    """Werkzeug's ProxyFix for TRUSTED_PROXIES hops (read per request, so tests may change it).

    Behind nginx (one hop) the client is the last address nginx appended to X-Forwarded-For
    and the scheme is X-Forwarded-Proto (HSTS, secure cookies). With 0 (the default) those
    headers are ignored: anyone could write them.
    """

    def __init__(self, wsgi_app, config):
        from werkzeug.middleware.proxy_fix import ProxyFix

        self.wsgi_app, self.config = wsgi_app, config
        self._fixes: dict[int, ProxyFix] = {}
        self._make = ProxyFix

    def __call__(self, environ, start_response):
        hops = int(self.config.get("TRUSTED_PROXIES") or 0)
        if hops <= 0:
            return self.wsgi_app(environ, start_response)
        fix = self._fixes.get(hops)
        if fix is None:
            fix = self._fixes[hops] = self._make(self.wsgi_app, x_for=hops, x_proto=hops)
        return fix(environ, start_response)


def public_intake_guard(grid_code) -> None:
    """Anonymous intake for one building (or node) is capped by PUBLIC_SUBMIT_LIMIT_NODE,
    besides each client's PUBLIC_SUBMIT_LIMIT: one busy address cannot silence a city, and
    a flood aimed at one building stops at that building."""
    import time

    from flask import current_app
    from flask_babel import gettext as _
    from limits import parse

    from app.core.errors import ApiError
    from app.extensions import limiter

    if not limiter.enabled:   # RATELIMIT_ENABLED=False: no limits at all, this one neither
        return
    code = str(grid_code or "")[:64]
    limit = parse(current_app.config["PUBLIC_SUBMIT_LIMIT_NODE"])
    if limiter.limiter.hit(limit, "public-node", code):
        return
    reset_at = limiter.limiter.get_window_stats(limit, "public-node", code).reset_time
    raise ApiError(429, _("Too many letters for this building right now; please try again "
                          "in a minute."), "rate_limited",
                   retry_after=max(1, int(reset_at - time.time())))
