"""Accounts: users, roles, tokens, password policy (the people import: importer.py)."""
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import ApiToken, Org, RoleAssignment, User
from app.core.clock import utcnow
from app.core.security import hash_token
from app.core.events import emit
from app.extensions import db
from app.grid.services import ancestor_at

USERNAME_RE = re.compile(r"^[\w.\-@]{2,150}$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
COMMON_PASSWORDS = {
    "12345678", "123456789", "1234567890", "password", "password1", "qwerty123", "11111111",
    "00000000", "88888888", "66666666", "abc12345", "abcd1234", "iloveyou", "a1234567",
    "qwertyui", "1q2w3e4r", "admin123", "123123123", "woaini1314", "aa123456", "asdfghjk",
}
# Which grid level each staff role sits on.
ROLE_LEVELS = {"committee": ("community", "street"), "branch": ("estate",),
               "captain": ("building",), "member": ("community", "estate", "building"),
               "volunteer": ("street", "community", "estate", "building")}


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"[\s\-]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is refused, or None."""
    if len(password) < 8:
        return _("The password must be at least 8 characters long.")
    if username and password.lower() == username.lower():
        return _("The password must not be the same as the username.")
    if password.lower() in COMMON_PASSWORDS:
        return _("This password is too common.")
    return None


def user_by_username(username: str) -> User | None:
    return db.session.execute(
        select(User).where(User.username == username)).scalar_one_or_none()


def authenticate(username: str, password: str) -> User | None:
    user = user_by_username(username.strip())
    if user is None:
        # Spend the same time as a real check, so timing tells nothing.
        User(password_hash=_dummy_hash()).check_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


_DUMMY = {}


def _dummy_hash() -> str:
    if "h" not in _DUMMY:
        u = User()
        u.set_password(secrets.token_hex(8))
        _DUMMY["h"] = u.password_hash
    return _DUMMY["h"]


def issue_token(user: User) -> str:
    token = secrets.token_urlsafe(32)
    days = current_app.config["TOKEN_LIFETIME_DAYS"]
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token),
                            created_at=utcnow(), expires_at=utcnow() + timedelta(days=days)))
    db.session.flush()
    return token


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = utcnow()


def revoke_all_tokens(user: User) -> None:
    for token in db.session.execute(select(ApiToken).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).scalars():
        token.revoked_at = utcnow()


def create_user(username: str, password: str, display_name: str = "", phone: str = "") -> User:
    user = User(username=username, display_name=display_name or username, phone=phone,
                created_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def get_or_create_org(name: str) -> Org:
    org = db.session.execute(select(Org).where(Org.name == name)).scalar_one_or_none()
    if org is None:
        org = Org(name=name)
        db.session.add(org)
        db.session.flush()
    return org


def partner_units() -> list[dict]:
    """Every partner unit by name, with how many active accounts act for it (`people`): a
    dispatch to a unit with none waits for somebody who cannot see it, so pickers say so."""
    people = dict(db.session.execute(
        select(RoleAssignment.org_id, func.count(func.distinct(RoleAssignment.user_id)))
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == "partner", User.active.is_(True))
        .group_by(RoleAssignment.org_id)).all())
    return [{"id": o.id, "name": o.name, "people": people.get(o.id, 0)}
            for o in db.session.execute(select(Org).order_by(Org.name)).scalars()]


def grant_role(user: User, role: str, node=None, org: Org | None = None) -> bool:
    """Give a role (idempotent). Returns True if it was new."""
    key = RoleAssignment.make_key(role, node.id if node else None, org.id if org else None)
    if any(r.scope_key == key for r in user.roles):
        return False
    user.roles.append(RoleAssignment(role=role, grid_node_id=node.id if node else None,
                                     org_id=org.id if org else None, scope_key=key,
                                     created_at=utcnow()))
    db.session.flush()
    return True


def grant_role_for_transition(effect: dict, sub, event, actor, from_state: str) -> None:
    """The workflow effect `grant_role`: the submitter gets a role at a level of the grid
    above the submission's node (registered in app/hooks.py)."""
    if not sub.submitter_id:
        return
    user = db.session.execute(select(User).where(User.id == sub.submitter_id)).scalar_one()
    node = ancestor_at(sub.node, effect.get("level") or "community") or sub.node
    grant_role(user, effect.get("role") or "member", node)
    emit(db.session, "registration.approved", submission=sub)
