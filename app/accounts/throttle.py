"""Sign-in protection that never locks the owner out (ASVS V2.2.1).

Failed sign-ins are counted per account *and* client: after LOGIN_FAIL_LIMIT_USER's number
of failures (default 10) that client is locked out of that account for LOGIN_LOCK_SECONDS
(default 60 s), doubling with each further failure up to the limit's period (15 minutes).
The right password from any other client still works, and staff can lift a lock at once
(audited). A global per-client ceiling (LOGIN_FAIL_LIMIT_CLIENT, Flask-Limiter) bounds
guessing across many accounts; it is sized for a carrier's NAT, where thousands of phones
share one address.

Rows live in the database, not the limiter's storage: every worker and app server sees the
same lock without Redis, and the injected clock drives them in tests.
"""
import math
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from limits import parse
from sqlalchemy import delete, select

from app.accounts.models import SignInThrottle
from app.core.clock import utcnow
from app.core.errors import ApiError
from app.core.ratelimit import client_address
from app.extensions import db


def _policy() -> tuple[int, int, int]:
    """(failures before a lock, first lock in seconds, longest lock in seconds)."""
    limit = parse(current_app.config["LOGIN_FAIL_LIMIT_USER"])
    return (limit.amount, int(current_app.config.get("LOGIN_LOCK_SECONDS", 60)),
            int(limit.get_expiry()))


def _key(username: str) -> tuple[str, str]:
    return str(username or "").strip().lower()[:150], client_address()[:64]


def _row(username: str) -> SignInThrottle | None:
    name, client = _key(username)
    return db.session.execute(select(SignInThrottle).where(
        SignInThrottle.username == name, SignInThrottle.client == client)).scalar_one_or_none()


def locked_error(seconds: int) -> ApiError:
    minutes = max(1, math.ceil(seconds / 60))
    return ApiError(429, _("Too many failed sign-ins from this device. Try again in "
                           "%(minutes)d minutes, or ask staff to unlock your account.",
                           minutes=minutes),
                    "rate_limited", locked=True, retry_after=seconds)


def check(username: str) -> None:
    """Raise 429 (with how long) if this client is locked out of this account."""
    row = _row(username)
    if row is not None and row.locked_until is not None and row.locked_until > utcnow():
        raise locked_error(math.ceil((row.locked_until - utcnow()).total_seconds()))


def record_failure(username: str) -> int | None:
    """Count a failed sign-in (committed at once: the request then fails); the lock's
    length in seconds if this failure locked the client out."""
    after, first, longest = _policy()
    now = utcnow()
    row = _row(username)
    if row is None or now - row.last_failed_at > timedelta(seconds=longest):
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        name, client = _key(username)
        row = SignInThrottle(username=name, client=client, failures=0, last_failed_at=now)
        db.session.add(row)
    row.failures += 1
    row.last_failed_at = now
    seconds = None
    if row.failures >= after:
        seconds = min(longest, first * 2 ** (row.failures - after))
        row.locked_until = now + timedelta(seconds=seconds)
    db.session.commit()
    return seconds


def record_success(username: str) -> None:
    """The right password from this client: its count starts again."""
    name, client = _key(username)
    db.session.execute(delete(SignInThrottle).where(
        SignInThrottle.username == name, SignInThrottle.client == client))


def unlock(username: str) -> int:
    """Staff: lift every lock and count on this account, from every client."""
    name, _client = _key(username)
    return db.session.execute(delete(SignInThrottle).where(
        SignInThrottle.username == name)).rowcount or 0


def is_locked(username: str) -> bool:
    name, _client = _key(username)
    return db.session.execute(select(SignInThrottle.id).where(
        SignInThrottle.username == name, SignInThrottle.locked_until > utcnow())).first() is not None


def prune() -> int:
    """Forget failures older than the longest lock (the tick calls this): the rows hold an
    address and a username, kept no longer than they protect anyone."""
    _after, _first, longest = _policy()
    return db.session.execute(delete(SignInThrottle).where(
        SignInThrottle.last_failed_at < utcnow() - timedelta(seconds=longest),
        (SignInThrottle.locked_until.is_(None)) | (SignInThrottle.locked_until < utcnow()),
    )).rowcount or 0
