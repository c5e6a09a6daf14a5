"""Cookie sessions that really end: a random id in the signed cookie, a row on the server.

Sign-out revokes that session's row; a password change revokes every other session and
token of the person; an admin's reset, a deactivation or "end all sessions" revokes them
all. The row is read through the reference cache (like a bearer token), so checking it
costs no query on a request: revoking one changes the cache's generation.
"""
import secrets

from flask import current_app, session
from flask_login import login_user, logout_user
from sqlalchemy import select, update

from app.accounts.models import ApiToken, User, UserSession
from app.core import refcache
from app.core.clock import utcnow
from app.core.security import hash_token
from app.extensions import db

SESSION_KEY = "_sid"


def start_session(user: User) -> None:
    """Sign `user` in on this cookie with a new server-side session record."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(user_id=user.id, sid_hash=hash_token(sid), created_at=now,
                               expires_at=now + current_app.permanent_session_lifetime))
    db.session.flush()
    login_user(user)
    session[SESSION_KEY] = sid
    session.permanent = True   # the cookie, too, ends after PERMANENT_SESSION_LIFETIME (12 h)


def session_row(sid: str):
    """(user id, expires at, revoked at) of a session id, through the reference cache."""
    sid_hash = hash_token(sid)

    def load():
        row = db.session.execute(
            select(UserSession.user_id, UserSession.expires_at, UserSession.revoked_at)
            .where(UserSession.sid_hash == sid_hash)).first()
        return tuple(row) if row else None
    return refcache.cached(("session", sid_hash), load)


def session_is_live(user_id: int) -> bool:
    """Does this request's cookie carry a live session of `user_id`?"""
    sid = session.get(SESSION_KEY)
    if not isinstance(sid, str) or not sid:
        return False
    row = session_row(sid)
    return bool(row) and row[0] == user_id and row[2] is None and row[1] > utcnow()


def end_session() -> None:
    """Sign-out: this cookie's session ends on the server too (a copy of it is worthless)."""
    sid = session.pop(SESSION_KEY, None)
    if isinstance(sid, str) and sid:
        db.session.execute(update(UserSession).where(
            UserSession.sid_hash == hash_token(sid), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    logout_user()
    session.pop("csrf_token", None)


def end_all_sessions(user_id: int) -> int:
    """Revoke every cookie session and bearer token of a person; how many were live."""
    now = utcnow()
    ended = 0
    for model in (UserSession, ApiToken):
        ended += db.session.execute(update(model).where(
            model.user_id == user_id, model.revoked_at.is_(None), model.expires_at > now)
            .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount or 0
        # Expired ones are dead already; mark them too so nothing ever revives them.
        db.session.execute(update(model).where(
            model.user_id == user_id, model.revoked_at.is_(None))
            .values(revoked_at=now).execution_options(synchronize_session=False))
    return ended


def prune_sessions() -> int:
    """Delete session records that ended more than a day ago (the tick calls this)."""
    from datetime import timedelta
    from sqlalchemy import delete, or_

    cutoff = utcnow() - timedelta(days=1)
    return db.session.execute(delete(UserSession).where(or_(
        UserSession.expires_at < cutoff, UserSession.revoked_at < cutoff))).rowcount or 0


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    """A person changes their own password (API and console): the current one must match and
    the new one pass the policy; every other session and token of theirs ends and this browser
    gets a fresh session. Raises ApiError 403 (wrong current password) or 422 (new refused)."""
    from flask_babel import gettext as _

    from app.accounts.services import password_problem
    from app.core.errors import ApiError

    if not user.check_password(current_password):
        raise ApiError(403, _("The current password is wrong."), "wrong_password")
    problem = password_problem(new_password, user.username)
    if problem:
        raise ApiError(422, fields={"new_password": [problem]})
    user.set_password(new_password)
    end_all_sessions(user.id)   # every other session and token of mine: a thief's copy too
    start_session(user)
