"""Webhook endpoints, the delivery outbox, and in-app notifications."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import system_now
from app.core.paths import PathString
from app.extensions import db

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class Webhook(db.Model):
    """An endpoint an admin registered for some event types (Standard Webhooks)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(String(500), default="")
    secret: Mapped[str] = mapped_column(String(100))   # "whsec_…"; never serialised again
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=system_now)


class Channel(db.Model):
    """A work group or mailbox of a grid node, as an apprise URL (a WeCom or DingTalk group
    robot, e-mail, an SMS gateway): told of the events under that node."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_node_id: Mapped[int] = mapped_column(ForeignKey("grid_nodes.id"))
    node_path: Mapped[str] = mapped_column(PathString)
    url: Mapped[str] = mapped_column(String(2000))   # holds the robot's key: never serialised
    events: Mapped[list] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    __table_args__ = (Index("ix_channels_node", "grid_node_id"),)


class Delivery(db.Model):
    """The transactional outbox: one intended delivery, written in its cause's transaction.

    `idempotency_key` (the Standard Webhooks `webhook-id`) is unique: a delivery is stored
    once and a receiver that saw it already can tell. `ordering_key` (the submission) keeps
    the events of one subject in order per target: a later one waits while an earlier one
    is still pending. `locked_until` is the lease of the worker carrying it out."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(40))   # "webhook:<id>" or "channel:<id>"
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(60))
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    ordering_key: Mapped[str | None] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text)   # the exact body that is signed and sent
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    __table_args__ = (
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_webhook", "webhook_id", "id"),
        Index("ix_deliveries_channel", "channel_id", "id"),
        Index("ix_deliveries_order", "target", "ordering_key", "state", "id"),
    )


class Notification(db.Model):
    """One in-app message to one person; its words are made in the reader's language."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(40))     # which message (messages.py)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"))
    params: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    read_at: Mapped[datetime | None]

    # One index: every row written costs its pages at each submission's commit.
    __table_args__ = (Index("ix_notifications_user", "user_id", "id"),)


class PushSubscription(db.Model):
    """A browser's Web Push subscription (PushSubscription.toJSON()) for one person."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    __table_args__ = (Index("ix_push_subscriptions_user", "user_id"),)


class CalendarToken(db.Model):
    """The secret of a person's private iCalendar feed URL (renewing replaces it)."""

    __tablename__ = "calendar_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=system_now)


class ReminderSent(db.Model):
    """The reminder ledger: one row per reminder given, so a tick run twice tells once."""

    __tablename__ = "reminders_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(default=system_now)
