"""The resource list (资源清单): what partner units offer."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.paths import PathString
from app.core.clock import system_now
from app.extensions import db


class Resource(db.Model):
    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    grid_node_id: Mapped[int] = mapped_column(ForeignKey("grid_nodes.id"))
    node_path: Mapped[str] = mapped_column(PathString, index=True)
    capacity: Mapped[int | None]
    contact: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    org = relationship("Org", lazy="joined")
    node = relationship("GridNode", lazy="joined")
