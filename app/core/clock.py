"""The one source of "now": naive UTC datetimes, injectable for tests and `--now`."""
from datetime import datetime, timezone

from flask import current_app


def system_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def utcnow() -> datetime:
    """Current time in naive UTC, from the app's CLOCK (tests replace it)."""
    clock = current_app.config.get("CLOCK") if current_app else None
    return clock() if clock else system_now()


def isoformat(value: datetime | None) -> str | None:
    """Serialise a naive UTC datetime as ISO 8601 with a Z suffix."""
    if value is None:
        return None
    return value.replace(microsecond=value.microsecond).isoformat() + "Z"


def parse_iso(value: str) -> datetime:
    """Parse ISO 8601 (with or without offset) into naive UTC; raises ValueError."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed
