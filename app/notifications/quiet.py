"""Quiet hours: non-urgent push and channel messages written at night wait until morning.

TONGXIN_QUIET_HOURS is "22:00-07:00" by default, in the community's time (TONGXIN_TIMEZONE);
"off" (or empty) sends at any hour. A held message is an outbox row whose first attempt is
due when the quiet hours end: nothing else holds it, and a worker restarted at night still
waits. In-app notifications and webhooks are never held (nobody is woken by them)."""
import os
from datetime import datetime, time, timedelta

from flask import current_app

from app.core.timezone import to_local, to_utc

DEFAULT = "22:00-07:00"
# Events that are sent at once, day or night.
URGENT_TYPES = {"timer.fired"}


def configure(app) -> None:
    text = app.config.get("QUIET_HOURS", os.environ.get("TONGXIN_QUIET_HOURS", DEFAULT))
    app.config["QUIET_HOURS"] = parse(text)


def parse(text) -> tuple[time, time] | None:
    """(start, end) from "22:00-07:00"; None for "off"; ValueError otherwise."""
    if text is None or isinstance(text, tuple):
        return text
    text = str(text).strip().lower()
    if text in ("", "off", "none", "0"):
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-", 1))
    except ValueError:
        raise ValueError(f"TONGXIN_QUIET_HOURS: give e.g. 22:00-07:00, not {text!r}") from None
    return start, end


def _in(local: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def hold_until(now: datetime, urgent: bool = False) -> datetime:
    """When a message written at `now` (naive UTC) may go: now, or the end of quiet hours."""
    window = current_app.config.get("QUIET_HOURS") if current_app else None
    if urgent or not window:
        return now
    start, end = window
    local = to_local(now)
    if not _in(local.time(), start, end):
        return now
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return to_utc(datetime.combine(day, end))


def is_urgent(event: dict) -> bool:
    if event.get("urgent") or event["type"] in URGENT_TYPES:
        return True
    sub = event.get("submission")
    data = getattr(sub, "data", None) if sub is not None else None
    return isinstance(data, dict) and data.get("urgency") == "urgent"
