"""The three-tier grid: street → community → estate → building."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.paths import PathString
from app.core.clock import system_now
from app.extensions import db

LEVELS = ("street", "community", "estate", "building")
# The staff tiers of the grid, lowest first: who holds one sees the subtree of the node.
STAFF_ROLES = ("committee", "branch", "captain")
TIER_RANK = {"captain": 1, "branch": 2, "committee": 3}
PARENT_LEVEL = {"street": (None,), "community": ("street", None), "estate": ("community",),
                "building": ("estate",)}


def path_ids(path: str) -> list[int]:
    """The ids of the nodes on a path, root first (the node's own last)."""
    return [int(p) for p in path.strip("/").split("/") if p]


class GridNode(db.Model):
    """A node of the grid. `path` is a materialised path of ids ("/1/4/17/") so that a
    subtree is one indexed prefix query: every permission check relies on it."""

    __tablename__ = "grid_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("grid_nodes.id"), index=True)
    path: Mapped[str] = mapped_column(PathString, default="")
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    parent: Mapped["GridNode | None"] = relationship(remote_side=[id])

    __table_args__ = (Index("ix_grid_nodes_path", "path"),)

    @property
    def ancestor_ids(self) -> list[int]:
        return path_ids(self.path)

    def to_dict(self, parent_code: str | None = None) -> dict:
        return {"id": self.id, "code": self.code, "name": self.name, "level": self.level,
                "parent_code": parent_code if parent_code is not None else
                (self.parent.code if self.parent else None)}
