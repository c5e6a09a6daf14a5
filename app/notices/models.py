"""The notice board: the committee or a branch publishes to a subtree; captains relay it."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.paths import PathString
from app.core.clock import system_now
from app.extensions import db


class Notice(db.Model):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    grid_node_id: Mapped[int] = mapped_column(ForeignKey("grid_nodes.id"))
    node_path: Mapped[str] = mapped_column(PathString, index=True)
    photo_id: Mapped[str | None] = mapped_column(ForeignKey("uploads.id"))
    public: Mapped[bool] = mapped_column(default=True)  # shown on the buildings' QR pages
    expires_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    node = relationship("GridNode", lazy="joined")


class NoticeRelay(db.Model):
    """A captain confirms they passed the notice on to their building."""

    __tablename__ = "notice_relays"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    grid_node_id: Mapped[int] = mapped_column(ForeignKey("grid_nodes.id"))
    at: Mapped[datetime] = mapped_column(default=system_now)

    __table_args__ = (UniqueConstraint("notice_id", "user_id", "grid_node_id", name="uq_notice_relay"),)
