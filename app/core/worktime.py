"""Time limits of workflow timers: plain durations and working time (CONTRACT §6.4).

A timer's `after` is a whole number and a unit: `30m`, `48h`, `3d` (elapsed time) or `8wh`,
`2wd` (working time). Working time runs only inside the community's working hours
(TONGXIN_WORKING_HOURS, default "09:00-18:00"; several windows as "08:30-12:00,14:00-17:30")
on working days — Monday to Friday, less TONGXIN_HOLIDAYS, plus TONGXIN_MAKEUP_WORKDAYS (the
weekend days worked in exchange for a holiday, 调休) — in the community's zone
(TONGXIN_TIMEZONE). One working day (`wd`) is one day's working hours: a letter received on
Friday at 17:00 with a limit of 2 working days is due on Tuesday at 17:00; one received on
Saturday is due at the end of Tuesday (its clock starts on Monday morning).

Holidays and make-up days are lists of dates and ranges: "2026-10-01..2026-10-07,2027-01-01".
The State Council publishes each year's; nothing is assumed when they are not set.

Times in and out are naive UTC, as everywhere in the database (app/core/clock.py).
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app

from app.core.timezone import to_local, to_utc

LIMIT_RE = re.compile(r"^(\d+)\s*(wd|wh|m|h|d)$")
PLAIN = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
DEFAULT_HOURS = "09:00-18:00"
# A calendar with no working day in a year is a mistake in the settings; refuse to loop on it.
MAX_DAYS = 366
BAD_LIMIT = "Not a valid time limit: give a whole number and a unit, e.g. 48 hours or 3 days."


class WorkCalendar:
    """Working hours on working days, in the community's zone."""

    def __init__(self, windows: tuple[tuple[time, time], ...], holidays: frozenset[date],
                 makeup: frozenset[date]):
        self.windows = windows
        self.holidays = holidays
        self.makeup = makeup
        self.day_length = sum((_seconds(end) - _seconds(start) for start, end in windows), 0)

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def _spans(self, day: date):
        for start, end in self.windows:
            yield datetime.combine(day, start), datetime.combine(day, end)

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant `seconds` of working time after `start` (naive UTC both)."""
        here = to_local(start).replace(tzinfo=None)
        left = timedelta(seconds=seconds)
        day = here.date()
        for _ in range(MAX_DAYS * 10):
            if self.is_working_day(day):
                for begin, end in self._spans(day):
                    if here >= end:
                        continue
                    begin = max(here, begin)
                    if left <= end - begin:
                        return to_utc(begin + left)
                    left -= end - begin
            day += timedelta(days=1)
            here = datetime.combine(day, time())
        raise ValueError("No working day in the working calendar (TONGXIN_HOLIDAYS)")

    def subtract(self, end: datetime, seconds: float) -> datetime:
        """The latest start from which `seconds` of working time have run by `end`."""
        here = to_local(end).replace(tzinfo=None)
        left = timedelta(seconds=seconds)
        day = here.date()
        for _ in range(MAX_DAYS * 10):
            if self.is_working_day(day):
                for begin, finish in reversed(list(self._spans(day))):
                    if here <= begin:
                        continue
                    finish = min(here, finish)
                    if left <= finish - begin:
                        return to_utc(finish - left)
                    left -= finish - begin
            here = datetime.combine(day, time())
            day -= timedelta(days=1)
        raise ValueError("No working day in the working calendar (TONGXIN_HOLIDAYS)")


@dataclass(frozen=True)
class Limit:
    """A timer's limit: `n` of `unit` (m, h, d elapsed; wh, wd working)."""
    n: int
    unit: str

    @property
    def working(self) -> bool:
        return self.unit in ("wd", "wh")

    def _work_seconds(self, cal: WorkCalendar) -> float:
        return self.n * (3600 if self.unit == "wh" else cal.day_length)

    def deadline(self, start: datetime) -> datetime:
        """When an item that entered its state at `start` reaches the limit."""
        if not self.working:
            return start + self.n * PLAIN[self.unit]
        cal = calendar()
        return cal.add(start, self._work_seconds(cal))

    def cutoff(self, now: datetime) -> datetime:
        """The latest start whose deadline has come by `now`: `state_since <= cutoff(now)`
        finds every item past the limit in one SQL comparison."""
        if not self.working:
            return now - self.n * PLAIN[self.unit]
        cal = calendar()
        return cal.subtract(now, self._work_seconds(cal))


def parse_limit(text) -> Limit:
    """A Limit from "48h", "3d", "2wd", "8wh"; ValueError (an English msgid) otherwise."""
    match = LIMIT_RE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(BAD_LIMIT)
    return Limit(int(match.group(1)), match.group(2))


def parse_duration(text) -> timedelta:
    """An elapsed duration ("6h", "3d"), for settings that are not working time."""
    limit = parse_limit(text)
    if limit.working:
        raise ValueError(BAD_LIMIT)
    return limit.n * PLAIN[limit.unit]


# --- the calendar from the settings ------------------------------------------------------------

def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def parse_hours(text: str) -> tuple[tuple[time, time], ...]:
    """"09:00-12:00,13:30-18:00" → ordered windows; ValueError for overlaps or nonsense."""
    windows = []
    for part in (text or DEFAULT_HOURS).split(","):
        try:
            start, end = (time.fromisoformat(bit.strip()) for bit in part.split("-", 1))
        except ValueError:
            raise ValueError(f"TONGXIN_WORKING_HOURS: give e.g. 09:00-18:00, not {text!r}") from None
        if end <= start:
            raise ValueError(f"TONGXIN_WORKING_HOURS: {part.strip()!r} ends before it starts")
        windows.append((start, end))
    windows.sort()
    for (_s1, e1), (s2, _e2) in zip(windows, windows[1:]):
        if s2 < e1:
            raise ValueError(f"TONGXIN_WORKING_HOURS: windows overlap in {text!r}")
    return tuple(windows)


def parse_days(text: str, name: str) -> frozenset[date]:
    """"2026-10-01..2026-10-07,2027-01-01" → the set of dates."""
    days = set()
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        try:
            first, _, last = part.partition("..")
            start, end = date.fromisoformat(first), date.fromisoformat(last or first)
        except ValueError:
            raise ValueError(f"{name}: give dates as 2026-10-01 or 2026-10-01..2026-10-07, "
                             f"not {part!r}") from None
        if end < start or (end - start).days > MAX_DAYS:
            raise ValueError(f"{name}: {part!r} is not a range of at most a year")
        days.update(start + timedelta(days=i) for i in range((end - start).days + 1))
    return frozenset(days)


def build_calendar(cfg: dict) -> WorkCalendar:
    """The calendar the settings describe; ValueError for a setting that cannot be read."""
    cal = WorkCalendar(parse_hours(cfg.get("WORKING_HOURS") or DEFAULT_HOURS),
                       parse_days(cfg.get("HOLIDAYS") or "", "TONGXIN_HOLIDAYS"),
                       parse_days(cfg.get("MAKEUP_WORKDAYS") or "", "TONGXIN_MAKEUP_WORKDAYS"))
    return cal


def calendar() -> WorkCalendar:
    """The app's calendar, built once from its settings."""
    app = current_app._get_current_object()
    cal = app.extensions.get("tongxin.calendar")
    key = (app.config.get("WORKING_HOURS"), app.config.get("HOLIDAYS"),
           app.config.get("MAKEUP_WORKDAYS"))
    if cal is None or cal[0] != key:
        cal = (key, build_calendar(app.config))
        app.extensions["tongxin.calendar"] = cal
    return cal[1]
