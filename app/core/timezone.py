"""The community's own time: one zone (TONGXIN_TIMEZONE) for everything a person reads or types.

The database keeps naive UTC (app/core/clock.py); the API exchanges instants with an explicit
offset. A naive time a person types ("2026-03-10T09:00", "2026-03-10") is wall time in the
community's zone, and a day, week or month is cut at its local midnight.
"""
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

DEFAULT_ZONE = "Asia/Shanghai"


@lru_cache(maxsize=16)
def load_zone(name: str) -> ZoneInfo:
    """The zone by IANA name; ValueError for a name the system does not know."""
    if not name or not isinstance(name, str) or name.startswith(("/", ".")):
        raise ValueError(f"Not an IANA time zone: {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"Unknown time zone {name!r} (expected an IANA name such as "
                         f"{DEFAULT_ZONE})") from None


def zone_name() -> str:
    return (current_app.config.get("TIMEZONE") if current_app else None) or DEFAULT_ZONE


def zone() -> ZoneInfo:
    return load_zone(zone_name())


def to_local(value: datetime | None) -> datetime | None:
    """A naive UTC instant as an aware datetime in the community's zone."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(zone())


def to_utc(local: datetime) -> datetime:
    """A wall time (naive = the community's zone, or aware) as naive UTC."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone())
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def local_iso(value: datetime | None) -> str | None:
    """ISO 8601 with the community's offset, e.g. 2026-12-02T12:14:36+08:00."""
    local = to_local(value)
    return local.isoformat(timespec="seconds") if local else None


def parse_local(text: str) -> datetime:
    """ISO 8601 as naive UTC; a time without an offset (or a bare date, read as its
    midnight) is wall time in the community's zone. Raises ValueError."""
    if not isinstance(text, str):
        raise ValueError("not a string")
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    if len(raw) == 10:
        return local_midnight(date.fromisoformat(raw))
    parsed = datetime.fromisoformat(raw)
    return to_utc(parsed)


def local_midnight(day: date) -> datetime:
    """The start of a local calendar day, as naive UTC."""
    return to_utc(datetime.combine(day, time.min))


def local_today(now_utc: datetime) -> date:
    return to_local(now_utc).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local day in naive UTC (23 or 25 hours long on a DST change)."""
    return local_midnight(day), local_midnight(day + timedelta(days=1))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)
