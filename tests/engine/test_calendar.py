"""Business calendar: official working days with 调休, natural days, months with end clamping."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.calendar import BusinessCalendar, CalendarError, parse_date


@pytest.fixture
def cal() -> BusinessCalendar:
    return BusinessCalendar()


def test_national_day_2025_contract_filing_deadline(cal: BusinessCalendar) -> None:
    # Signed Tue 2025-09-30; 10-01..10-08 are holidays; Sat 10-11 is a make-up working day.
    assert cal.add_working_days("2025-09-30", 5) == date(2025, 10, 14)
    assert cal.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)


def test_make_up_weekend_days_count_as_working(cal: BusinessCalendar) -> None:
    assert cal.is_working_day("2025-09-28")  # Sunday, make-up day
    assert cal.is_working_day("2025-10-11")  # Saturday, make-up day
    assert not cal.is_working_day("2025-10-07")  # Tuesday, holiday
    assert cal.add_working_days("2025-09-26", 1) == date(2025, 9, 28)


def test_spring_festival_2025_is_skipped(cal: BusinessCalendar) -> None:
    # 2025-01-28..02-04 off; Sun 01-26 and Sat 02-08 are make-up days.
    assert cal.add_working_days("2025-01-27", 1) == date(2025, 2, 5)
    assert cal.working_days_between("2025-01-24", "2025-02-08") == 6  # 01-26, 01-27, 02-05..02-08


def test_backwards_counting(cal: BusinessCalendar) -> None:
    assert cal.add_working_days("2025-10-14", -5) == date(2025, 9, 30)
    assert cal.add_working_days("2025-10-14", 0) == date(2025, 10, 14)


@pytest.mark.parametrize(("start", "months", "end"), [
    ("2025-01-31", 1, date(2025, 2, 28)),
    ("2024-01-31", 1, date(2024, 2, 29)),
    ("2025-03-31", 1, date(2025, 4, 30)),
    ("2025-05-15", 6, date(2025, 11, 17)),  # 11-15 is a Saturday: moved to Monday (Art. 203)
])
def test_months_end_on_the_corresponding_day_clamped(cal: BusinessCalendar, start: str, months: int,
                                                     end: date) -> None:
    assert cal.add_months(start, months) == end


def test_month_period_ending_on_a_holiday_moves_to_next_working_day(cal: BusinessCalendar) -> None:
    assert cal.add_months("2025-09-01", 1) == date(2025, 10, 9)
    assert BusinessCalendar(shift_month_periods=False).add_months("2025-09-01", 1) == date(2025, 10, 1)


def test_years_clamp_leap_day(cal: BusinessCalendar) -> None:
    assert BusinessCalendar(shift_month_periods=False).add_years("2024-02-29", 2) == date(2026, 2, 28)


def test_natural_days_are_not_moved(cal: BusinessCalendar) -> None:
    assert cal.add_days("2025-09-01", 30) == date(2025, 10, 1)
    assert BusinessCalendar(shift_natural_days=True).add_days("2025-09-01", 30) == date(2025, 10, 9)


def test_deadline_includes_its_last_day(cal: BusinessCalendar) -> None:
    assert not cal.deadline_passed("2025-10-14", "2025-10-14")
    assert cal.deadline_passed("2025-10-14", "2025-10-15")


def test_uncovered_years_fall_back_to_weekdays_and_say_so(cal: BusinessCalendar) -> None:
    assert not cal.covers(2030)
    assert cal.covers(2025)
    assert cal.add_working_days("2030-01-04", 1) == date(2030, 1, 7)


def test_uncovered_years_can_be_an_error() -> None:
    strict = BusinessCalendar(uncovered="error")
    with pytest.raises(CalendarError):
        strict.add_working_days("2030-01-04", 1)


def test_extra_official_data_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "2030.json"
    path.write_text(json.dumps({"holidays": ["2030-01-01", "2030-01-07"], "workdays": ["2030-01-05"]}))
    cal = BusinessCalendar.from_file(path)
    assert cal.covers(2030)
    assert cal.add_working_days("2030-01-04", 1) == date(2030, 1, 5)
    assert cal.add_working_days("2030-01-05", 1) == date(2030, 1, 8)


@pytest.mark.parametrize(("start", "n", "field"), [("2025-13-01", 1, "date"), ("yesterday", 1, "date"),
                                                   ("2025-01-01", 1.5, "n"), ("2025-01-01", "2", "n")])
def test_bad_input_names_the_field(cal: BusinessCalendar, start: str, n: object, field: str) -> None:
    with pytest.raises(CalendarError) as caught:
        cal.add_working_days(start, n)
    assert [e.field for e in caught.value.errors] == [field]


def test_parse_date_accepts_datetimes_and_iso_strings() -> None:
    assert parse_date("2025-10-14T08:00:00+08:00") == date(2025, 10, 14)
    assert parse_date(date(2025, 1, 2)) == date(2025, 1, 2)
