"""The one display rule of deadlines: a due moment is shown as the last day on which the work is on time.

Due dates are stored as the instant the period ends (a period's last day ends at the next local midnight,
`deadline(day)`), so "5 working days after 2026-11-27" is stored as 2026-12-05 00:00 local time and shown as
截止 2026-12-04. A due moment at any other time of day (an expression that returns a date-time) is shown with
its time. Whether a task is overdue is decided by the stored instant alone (`due_at <= now`).

A user task's committed handling time (承诺办理时限, conventions.COMMITTED_DAYS) is read here too: a whole number
of official working days, counted like every working-day period from the day after the task opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["MAX_COMMITTED_DAYS", "DueDay", "committed_days", "due_day", "end_of_day", "moment_text"]

MAX_COMMITTED_DAYS = 250
"""The longest committed handling time, in working days (about one year)."""


@dataclass(frozen=True)
class DueDay:
    """A due moment as people read it: the last day, the time when it is not the day's end, days to go."""

    last_day: date
    time: time | None  # None: the deadline is the end of `last_day`
    days_left: int  # `last_day` minus today (local); negative once the last day is past
    overdue: bool


def end_of_day(day: date, zone: str) -> datetime:
    """Return the moment `day` has passed in the time zone `zone`: the next local midnight."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), ZoneInfo(zone))


def due_day(due_at: datetime, now: datetime, zone: str) -> DueDay:
    """Return how to show the stored due moment `due_at` at the moment `now` in the time zone `zone`."""
    tz = ZoneInfo(zone)
    local = due_at.astimezone(tz)
    if local.time() == time(0, 0):
        last_day, at = local.date() - timedelta(days=1), None
    else:
        last_day, at = local.date(), local.time().replace(second=0, microsecond=0)
    today = now.astimezone(tz).date()
    return DueDay(last_day, at, (last_day - today).days, due_at <= now)


def moment_text(at: datetime, zone: str) -> str:
    """Return a moment as a deadline is written: a local midnight is 24:00 of the day that just ended.

    A waiting timer set by `deadline(day)` fires at the end of `day`; the law writes that moment as 24:00 of the
    last day (Civil Code Art. 203), and so does every page, never as 00:00 of the day after.
    """
    local = at.astimezone(ZoneInfo(zone))
    if local.time() == time(0, 0):
        return f"{local.date() - timedelta(days=1)} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def committed_days(text: str) -> int:
    """Return a committed handling time as a number of working days, or raise ValueError saying what is wrong."""
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_COMMITTED_DAYS:
        raise ValueError(f"{text!r} is not a whole number of working days from 1 to {MAX_COMMITTED_DAYS}")
    return int(value)
