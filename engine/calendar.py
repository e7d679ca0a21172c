"""Business calendar: official PRC working days, natural days and calendar months.

Counting follows Civil Code Arts. 200–203 by analogy (policies README §1.3):
the triggering day is not counted; a month period ends on the same day of the
target month, clamped to the month's end; a month period ending on a rest day
moves to the next working day. Natural-day periods are not moved.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import chinese_calendar

from engine.errors import FieldError, InvalidInput
from engine.limits import MAX_WORKING_DAYS

__all__ = ["BusinessCalendar", "CalendarError", "parse_date"]


class CalendarError(InvalidInput):
    """A date or amount given to the calendar is not usable."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message, errors)


def parse_date(value: object, field: str = "date") -> date:
    """Return `value` (date, datetime or ISO string) as a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)
        except ValueError:
            pass
    raise CalendarError(f"{field} must be an ISO date (YYYY-MM-DD), got {value!r}",
                        [FieldError(field, f"not an ISO date: {value!r}")])



def _amount(n: object, limit: int | None = None) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise CalendarError(f"n must be a whole number, got {n!r}", [FieldError("n", f"应为整数：{n!r}")])
    if limit is not None and abs(n) > limit:
        raise CalendarError(f"n must be at most {limit} in size, got {n}", [FieldError("n", f"不得超过 {limit}")])
    return n


def _in_range(make: Callable[[], date]) -> date:
    # Python dates stop at years 1 and 9999; past them is a bad input, not a crash.
    try:
        return make()
    except (OverflowError, ValueError):
        raise CalendarError("the resulting date falls outside the years 1 to 9999",
                            [FieldError("n", "结果超出公元 1–9999 年的日期范围")]) from None


class BusinessCalendar:
    """Working-day arithmetic on the State Council's published holiday calendar."""

    def __init__(self, holidays: set[date] | None = None, workdays: set[date] | None = None, *,
                 uncovered: Literal["weekdays", "error"] = "weekdays", shift_month_periods: bool = True,
                 shift_natural_days: bool = False) -> None:
        self._holidays = set(chinese_calendar.constants.holidays) | set(holidays or ())
        self._workdays = set(chinese_calendar.constants.workdays) | set(workdays or ())
        published = {d.year for d in chinese_calendar.constants.holidays}
        self._covered_years = published | {d.year for d in (holidays or ())}
        self.uncovered = uncovered
        self.shift_month_periods = shift_month_periods
        self.shift_natural_days = shift_natural_days

    @classmethod
    def from_file(cls, path: Path, **options: object) -> BusinessCalendar:
        """Add official data from a JSON file {"holidays": [...], "workdays": [...]}."""
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        holidays = {parse_date(d, "holidays") for d in document.get("holidays", [])}
        workdays = {parse_date(d, "workdays") for d in document.get("workdays", [])}
        return cls(holidays, workdays, **options)  # type: ignore[arg-type]

    def covers(self, year: int) -> bool:
        """Tell whether the official calendar of `year` is known."""
        return year in self._covered_years

    def is_working_day(self, day: object) -> bool:
        """Tell whether `day` is an official working day (make-up weekend days included)."""
        d = parse_date(day)
        if not self.covers(d.year):
            if self.uncovered == "error":
                raise CalendarError(f"the official calendar for {d.year} is not loaded",
                                    [FieldError("date", f"no official calendar for {d.year}")])
            return d.weekday() < 5
        if d in self._workdays:
            return True
        if d in self._holidays:
            return False
        return d.weekday() < 5

    def next_working_day(self, day: object) -> date:
        """Return `day` if it is a working day, else the first working day after it."""
        d = parse_date(day)

        def walk() -> date:
            nonlocal d
            while not self.is_working_day(d):
                d += timedelta(days=1)
            return d

        return _in_range(walk)

    def add_working_days(self, start: object, n: object) -> date:
        """Return the date n working days after `start`; the start day is not counted."""
        d, count = parse_date(start), _amount(n, MAX_WORKING_DAYS)
        step = 1 if count >= 0 else -1
        remaining = abs(count)

        def walk() -> date:
            nonlocal d, remaining
            while remaining:
                d += timedelta(days=step)
                if self.is_working_day(d):
                    remaining -= 1
            return d

        return _in_range(walk)

    def add_days(self, start: object, n: object) -> date:
        """Return the date n natural days after `start`."""
        days = _amount(n)
        d = _in_range(lambda: parse_date(start) + timedelta(days=days))
        return self.next_working_day(d) if self.shift_natural_days else d

    def add_months(self, start: object, n: object, roll_over: bool | None = None) -> date:
        """Return the same day n months later, clamped to the month's end, moved off rest days.

        `roll_over` overrides the calendar's Art. 203 setting for one call (False: the nominal date).
        """
        d, months = parse_date(start), _amount(n)
        shift = self.shift_month_periods if roll_over is None else roll_over
        index = d.year * 12 + (d.month - 1) + months
        year, month = divmod(index, 12)
        if not 1 <= year <= 9999:
            _in_range(lambda: date(year, 1, 1))
        last = _stdlib_calendar.monthrange(year, month + 1)[1]
        end = date(year, month + 1, min(d.day, last))
        return self.next_working_day(end) if shift and months > 0 else end

    def add_years(self, start: object, n: object, roll_over: bool | None = None) -> date:
        """Return the same day n years later (29 Feb becomes 28 Feb), moved off rest days."""
        return self.add_months(start, _amount(n) * 12, roll_over)

    def working_days_between(self, start: object, end: object) -> int:
        """Count working days after `start` up to and including `end`."""
        d, last = parse_date(start), parse_date(end, "end")
        count = 0
        while d < last:
            d += timedelta(days=1)
            count += self.is_working_day(d)
        return count

    @staticmethod
    def deadline_passed(deadline: object, on: object) -> bool:
        """Tell whether a deadline that includes its last day has passed on `on`."""
        return parse_date(on, "on") > parse_date(deadline, "deadline")
