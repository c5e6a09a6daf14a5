"""The points ledger: append-only; a reversal is a new negative entry."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.paths import PathString
from app.core.clock import system_now
from app.extensions import db


class PointEntry(db.Model):
    __tablename__ = "point_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    points: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("submission_events.id"))
    node_path: Mapped[str] = mapped_column(PathString, default="")
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_points_once"),
                      Index("ix_points_user", "user_id"),
                      Index("ix_points_path", "node_path"))
