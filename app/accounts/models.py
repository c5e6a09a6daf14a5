"""People, partner organisations, role assignments and API tokens."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.clock import system_now
from app.extensions import db
from app.grid.models import GridNode

ROLES = ("admin", "committee", "branch", "captain", "member", "volunteer", "partner")


class Org(db.Model):
    """A co-building partner unit (共建单位): gas company, telecom, school..."""

    __tablename__ = "orgs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=system_now)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    roles: Mapped[list["RoleAssignment"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        from flask import current_app
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *names: str) -> bool:
        return any(r.role in names for r in self.roles)

    def to_dict(self) -> dict:
        return {"id": self.id, "username": self.username, "display_name": self.display_name,
                "roles": [r.to_dict() for r in self.roles]}


class RoleAssignment(db.Model):
    """A role held on a grid node (staff, member, volunteer) or for a partner unit."""

    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    grid_node_id: Mapped[int | None] = mapped_column(ForeignKey("grid_nodes.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"), index=True)
    # role:node:org, so that the unique constraint also covers the NULL columns.
    scope_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    user: Mapped[User] = relationship(back_populates="roles")
    node: Mapped[GridNode | None] = relationship(lazy="joined")
    org: Mapped[Org | None] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("user_id", "scope_key", name="uq_role_assignment"),)

    @staticmethod
    def make_key(role: str, node_id: int | None, org_id: int | None) -> str:
        return f"{role}:{node_id or ''}:{org_id or ''}"

    def to_dict(self) -> dict:
        return {"role": self.role, "grid_code": self.node.code if self.node else None,
                "grid_name": self.node.name if self.node else None,
                "org": self.org.name if self.org else None}


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """A cookie session on the server: the cookie carries a random id, this row its SHA-256.

    The row is what makes a session end for real (sign-out, a password change, an admin's
    reset or "end all sessions"): a copied cookie whose row is revoked or expired signs
    nobody in. Looked up through the reference cache (api_tokens' way): no query per request.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SignInThrottle(db.Model):
    """Failed sign-ins of one account from one client, and the lock they earned there.

    Keyed on the pair, so an attacker elsewhere never locks the owner out of their own phone.
    """

    __tablename__ = "sign_in_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), index=True)
    client: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("username", "client", name="uq_sign_in_throttle"),)
