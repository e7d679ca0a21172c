"""Date helpers that BPMN scripts, conditions, timers and DMN cells may call.

They take and return ISO strings, because task data must stay JSON and
SpiffWorkflow's timers expect an ISO string from a timer expression.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.calendar import BusinessCalendar, parse_date
from engine.clock import Clock

__all__ = ["build_helpers"]


def build_helpers(calendar: BusinessCalendar, clock: Clock, timezone: str) -> dict[str, Callable[..., object]]:
    """Return the helper functions bound to one calendar, clock (an instance's) and jurisdiction timezone."""
    zone = ZoneInfo(timezone)

    def local_today() -> date:
        return clock.now().astimezone(zone).date()

    def add_working_days(start: object, n: int) -> str:
        """Return the date n official working days after `start` (the start day not counted)."""
        return calendar.add_working_days(start, n).isoformat()

    def add_days(start: object, n: int) -> str:
        """Return the date n natural days after `start`."""
        return calendar.add_days(start, n).isoformat()

    def add_months(start: object, n: int, roll_over: bool | None = None) -> str:
        """Return the date n calendar months after `start`, clamped to the month's end.

        A period ending on a rest day moves to the next working day unless `roll_over` is False.
        """
        return calendar.add_months(start, n, roll_over).isoformat()

    def add_years(start: object, n: int, roll_over: bool | None = None) -> str:
        """Return the date n years after `start`, clamped to the month's end."""
        return calendar.add_years(start, n, roll_over).isoformat()

    def is_working_day(day: object) -> bool:
        """Tell whether `day` is an official working day."""
        return calendar.is_working_day(day)

    def working_days_between(start: object, end: object) -> int:
        """Count working days after `start` up to and including `end`."""
        return calendar.working_days_between(start, end)

    def today() -> str:
        """Return today's date in the jurisdiction's timezone."""
        return local_today().isoformat()

    def now() -> str:
        """Return the current time as an ISO datetime in the jurisdiction's timezone."""
        return clock.now().astimezone(zone).isoformat()

    def deadline(day: object) -> str:
        """Return the moment a period ending on `day` has passed: the next midnight, local time."""
        last_day = parse_date(day)
        return datetime.combine(last_day + timedelta(days=1), time(0, 0), zone).isoformat()

    def day_start(day: object) -> str:
        """Return the first moment of `day`, local time (when a window opens)."""
        return datetime.combine(parse_date(day), time(0, 0), zone).isoformat()

    def date_of(value: object) -> date:
        """Return `value` (ISO string, date or datetime) as a date for comparisons."""
        return parse_date(value)

    return {
        "add_working_days": add_working_days,
        "add_days": add_days,
        "add_months": add_months,
        "add_years": add_years,
        "is_working_day": is_working_day,
        "working_days_between": working_days_between,
        "today": today,
        "now": now,
        "deadline": deadline,
        "day_start": day_start,
        "date_of": date_of,
    }
