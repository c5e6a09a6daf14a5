"""Volunteer posts (认领岗位)."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.paths import PathString
from app.core.clock import system_now
from app.extensions import db
from app.grid.models import GridNode


class Post(db.Model):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    grid_node_id: Mapped[int] = mapped_column(ForeignKey("grid_nodes.id"))
    node_path: Mapped[str] = mapped_column(PathString, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="service")  # service | captain
    capacity: Mapped[int]
    # Places taken by live claims; changed only by conditional UPDATEs (see services).
    claimed: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    open: Mapped[bool] = mapped_column(default=True)
    # Only holders of this role may claim (a party-member captain post: "member"); None: anyone.
    required_role: Mapped[str | None] = mapped_column(String(32))
    # When the post last became full, and when a place opened again after that: the
    # branch's inbox shows both.
    full_since: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]
    # Service activities (kind "activity"): a post with a public face.
    partner_org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    public_signup: Mapped[bool] = mapped_column(default=False, server_default="0")
    resident_capacity: Mapped[int | None]
    residents_signed: Mapped[int] = mapped_column(default=0, server_default="0")
    residents_served: Mapped[int | None]
    held_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    node: Mapped[GridNode] = relationship(lazy="joined")


class ActivitySignup(db.Model):
    """A resident signed up for a service activity (no account needed where allowed)."""

    __tablename__ = "activity_signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    __table_args__ = (UniqueConstraint("post_id", "phone", name="uq_activity_signup_phone"),)
