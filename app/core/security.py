"""Who is calling: bearer tokens or the session cookie, and CSRF for cookie writes."""
import hashlib
import hmac
import re
import secrets

from flask import current_app, g, request, session
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user
from sqlalchemy import select

from app.core import refcache
from app.core.clock import utcnow
from app.core.errors import ApiError
from app.core.ids import as_id
from app.extensions import db

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_EXEMPT_ENDPOINTS = {"auth.login", "auth.signup"}
# API writes that anyone may call without signing in (each checks what an anonymous caller
# may do itself). Every other API write answers 401 to an anonymous caller before its
# arguments are parsed: a protected route tells nobody its field list (ASVS V4.1.1).
# A new route for anonymous writers belongs here (tests/test_auth_first.py walks the rest).
ANONYMOUS_WRITES = {"auth.login", "auth.signup", "submissions.create", "submissions.me_too",
                    "uploads.upload", "posts.resident_signup", "sync.sync"}
# Whole paths that residents use with a tracking code instead of an account.
ANONYMOUS_WRITE_PREFIXES = ("/api/v1/track/",)

# The account models and the session check, registered by app.accounts at app start (core
# knows no feature).
_models: dict = {}


def register_account_models(user_model: type, token_model: type, session_is_live) -> None:
    _models["user"], _models["token"] = user_model, token_model
    _models["session_is_live"] = session_is_live


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(32)
    return session["csrf_token"]


def load_request_user() -> None:
    """before_request: a Bearer header decides alone; otherwise Flask-Login's session."""
    g.pop("_login_user", None)
    g.pop("_scope", None)
    g.pop("api_token_id", None)
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        g.auth_via = "token"
        token = _token_row(hash_token(header[7:].strip()))
        user = cached_user(token[1]) if token and token[3] is None and token[2] > utcnow() else None
        if user is not None and user.active:
            g._login_user = user
            g.api_token_id = token[0]
        else:
            g._login_user = AnonymousUserMixin()
        return
    g.auth_via = "session"


def _token_row(token_hash: str):
    """(id, user id, expires at, revoked at) of a token, through the reference cache."""
    ApiToken = _models["token"]

    def load():
        row = db.session.execute(
            select(ApiToken.id, ApiToken.user_id, ApiToken.expires_at, ApiToken.revoked_at)
            .where(ApiToken.token_hash == token_hash)).first()
        return tuple(row) if row else None
    return refcache.cached(("token", token_hash), load)


def cached_user(user_id: int):
    """The caller: a user with their roles (and the roles' nodes and units), through the
    reference cache.

    The cache's read-only snapshot itself, never in a session (refcache.snapshot): merging a
    copy into every request's session cost 7% of a submission. Everything on it is loaded;
    code only reads it. Code that changes the caller's own account loads them instead
    (`own_account()`)."""
    User = _models["user"]

    def load():
        return db.session.get(User, user_id)   # roles come with it (selectin, nodes joined)
    return refcache.snapshot(("user", user_id), load)


def session_user(user_id: str):
    """Flask-Login's user loader: the cookie's user, if its server-side session is live."""
    uid = as_id(user_id)
    if uid is None or not _models["session_is_live"](uid):
        return None
    user = cached_user(uid)
    return user if user and user.active else None


def own_account():
    """The signed-in user as a row of this request's session, to change (401 if none)."""
    User = _models["user"]

    return db.session.get(User, require_user().id)


def refuse_nul() -> None:
    """before_request: NUL never belongs in our data (and PostgreSQL text cannot hold it):
    refuse it in the URL, the query and JSON bodies, before any parser sees it."""
    query = request.query_string   # raw: a NUL in a key or value arrives as %00
    bad = "\x00" in request.path or b"\x00" in query or b"%00" in query
    if not bad and request.is_json and (request.content_length or 0) <= (
            current_app.config["MAX_CONTENT_LENGTH"] or 0):
        raw = request.get_data(cache=True)
        bad = b"\x00" in raw or b"\\u0000" in raw or json_too_deep(raw)
    if bad:
        from flask_babel import gettext as _
        raise ApiError(400, _("The request is malformed."), "bad_request")


def authenticate_first() -> None:
    """before_request: an anonymous write to a protected API route is 401 at once, before
    flask-smorest's `arguments` parse and validate its body (which answered 422)."""
    if (request.method in WRITE_METHODS and request.path.startswith("/api/")
            and request.endpoint is not None and request.endpoint not in ANONYMOUS_WRITES
            and not request.path.startswith(ANONYMOUS_WRITE_PREFIXES)
            and not current_user.is_authenticated):
        raise ApiError(401)


MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Does a JSON body nest arrays or objects deeper than `limit`? (Python's parser recurses:
    100,000 levels raised RecursionError, a 500.) Bodies with fewer brackets than the limit
    are answered at C speed; others are scanned outside their strings."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def check_csrf() -> None:
    """before_request: cookie-authenticated writes must carry X-CSRF-Token."""
    if request.method not in WRITE_METHODS or g.get("auth_via") != "session":
        return
    if request.endpoint in CSRF_EXEMPT_ENDPOINTS or not request.path.startswith("/api/"):
        return
    if not current_user.is_authenticated:
        return
    sent = request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf_token", "")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise ApiError(403, _("Missing or invalid CSRF token."), "csrf_failed")


def require_user():
    """The signed-in user, or 401."""
    if not current_user.is_authenticated:
        raise ApiError(401)
    return current_user._get_current_object()


def optional_user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def no_store(response):
    """after_request: API answers (signed-in data, exports) are never kept by a browser or a
    shared cache, unless the route chose its own caching (ASVS V8.2.1)."""
    if request.path.startswith("/api/") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
