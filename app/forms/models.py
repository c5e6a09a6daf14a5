"""Forms and their immutable, numbered versions."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import system_now
from app.extensions import db


class Form(db.Model):
    __tablename__ = "forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="custom")
    public: Mapped[bool] = mapped_column(default=False)
    # "staff": only into the caller's staff subtree; "any": any node (residents, volunteers).
    submit_scope: Mapped[str] = mapped_column(String(16), default="staff")
    closed: Mapped[bool] = mapped_column(default=False)
    current_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    versions: Mapped[list["FormVersion"]] = relationship(
        back_populates="form", order_by="FormVersion.number")


class FormVersion(db.Model):
    """A published definition. Never edited: publishing makes a new number."""

    __tablename__ = "form_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    number: Mapped[int]
    definition: Mapped[dict] = mapped_column(JSON)
    workflow: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    form: Mapped[Form] = relationship(back_populates="versions")

    __table_args__ = (UniqueConstraint("form_id", "number", name="uq_form_version"),)

    def field_map(self) -> dict:
        return {f["name"]: f for f in self.definition["fields"]}
