"""Joint meetings (区域党建共建联席会议) of a community with its co-building units."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.paths import PathString
from app.core.clock import system_now
from app.extensions import db


class Meeting(db.Model):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    grid_node_id: Mapped[int] = mapped_column(ForeignKey("grid_nodes.id"))  # the community
    node_path: Mapped[str] = mapped_column(PathString, index=True)
    starts_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200), default="")
    invited_org_ids: Mapped[list] = mapped_column(JSON, default=list)
    agenda: Mapped[list] = mapped_column(JSON, default=list)
    attendance: Mapped[list] = mapped_column(JSON, default=list)  # org names present
    decisions: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    held_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    node = relationship("GridNode", lazy="joined")
