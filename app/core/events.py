"""Domain events: a service says what happened; subscribers registered at app start act on it.

`emit(session, "submission.created", submission=sub, actor=user)` calls every subscriber in
the caller's transaction, before it commits: what a subscriber writes (an outbox row, an
in-app notification) is saved with the change or rolled back with it, never on its own.
Subscribers write rows only; nothing is sent from inside a request (the worker sends).
"""
import secrets
from collections.abc import Callable, Iterable

from flask import current_app

from app.core.clock import utcnow

EXTENSION = "tongxin.event_subscribers"


def subscribe(app, subscriber: Callable) -> None:
    """Register `subscriber(session, event)` for every event of this app."""
    app.extensions.setdefault(EXTENSION, []).append(subscriber)


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def emit(session, type_: str, **subjects) -> dict | None:
    """Hand one event to the subscribers, in the caller's transaction. Returns the event."""
    subscribers = current_app.extensions.get(EXTENSION)
    if not subscribers:
        return None
    event = {"id": new_event_id(), "type": type_, "at": utcnow(), **subjects}
    for subscriber in subscribers:
        subscriber(session, event)
    return event


def emit_each(session, type_: str, submissions: Iterable, **subjects) -> None:
    """One event per submission (the lean insert path stores a run at once)."""
    for sub in submissions:
        emit(session, type_, submission=sub, **subjects)
