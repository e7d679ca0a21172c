"""Deadlines: shown as their last day, and a committed handling time (承诺办理时限) on any user task."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time

import pytest

from engine import Bundle, DeploymentError, FakeClock, due_day, inbox
from engine.deadlines import committed_days, end_of_day, moment_text
from engine.spiff.bundle_rules import bundle_rule_problems
from engine.spiff.elements import read_elements
from engine.tools.testing import ProcessHarness

from .helpers import SMOKE

ZONE = "Asia/Shanghai"
APPLY_DUE = '<spiffworkflow:property name="dueDate" value="add_working_days(today(), 5)"/>'
REVIEW_FORM = '''<bpmn:userTask id="Task_Review" name="审核">
      <bpmn:extensionElements><spiffworkflow:properties>'''


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_five_working_days_after_friday_27_november_are_due_on_friday_4_december() -> None:
    stored = end_of_day(date(2026, 12, 4), ZONE)
    assert stored == _moment("2026-12-05T00:00:00+08:00")  # the stored instant: the period has passed
    shown = due_day(stored, _moment("2026-11-27T10:00:00+08:00"), ZONE)
    assert (shown.last_day, shown.time, shown.days_left, shown.overdue) == (date(2026, 12, 4), None, 7, False)
    on_the_day = due_day(stored, _moment("2026-12-04T23:59:59+08:00"), ZONE)
    assert (on_the_day.days_left, on_the_day.overdue) == (0, False)
    after = due_day(stored, _moment("2026-12-05T00:00:00+08:00"), ZONE)
    assert (after.days_left, after.overdue) == (-1, True)
    assert due_day(stored, _moment("2026-12-08T09:00:00+08:00"), ZONE).days_left == -4


def test_a_due_moment_within_a_day_keeps_its_time_and_the_overdue_rule_is_the_stored_instant() -> None:
    at_five = _moment("2026-12-04T09:00:00+00:00")  # 17:00 in Shanghai
    before = due_day(at_five, _moment("2026-12-04T16:59:00+08:00"), ZONE)
    assert (before.last_day, before.time, before.days_left, before.overdue) == (date(2026, 12, 4), time(17, 0), 0, False)
    assert due_day(at_five, _moment("2026-12-04T17:00:00+08:00"), ZONE).overdue


def test_a_timer_at_the_end_of_a_day_is_written_as_24_00_of_that_day() -> None:
    assert moment_text(end_of_day(date(2026, 12, 4), ZONE), ZONE) == "2026-12-04 24:00"
    assert moment_text(_moment("2026-12-04T09:00:00+00:00"), ZONE) == "2026-12-04 17:00"


@pytest.mark.parametrize(("text", "days"), [("5", 5), (" 1 ", 1), ("250", 250)])
def test_a_committed_handling_time_is_a_whole_number_of_working_days(text: str, days: int) -> None:
    assert committed_days(text) == days


@pytest.mark.parametrize("text", ["0", "251", "-3", "5.5", "五", "P5D", "", "５"])
def test_any_other_committed_handling_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a whole number of working days from 1 to 250"):
        committed_days(text)


def _smoke(apply: str | None = None, review: str | None = None) -> Bundle:
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    bpmn = texts["bpmn/smoke.bpmn"]
    if apply is not None:
        bpmn = bpmn.replace(APPLY_DUE, APPLY_DUE + f'\n        <spiffworkflow:property name="committedWorkingDays" value="{apply}"/>')
    if review is not None:
        bpmn = bpmn.replace(REVIEW_FORM, REVIEW_FORM + f'\n        <spiffworkflow:property name="committedWorkingDays" value="{review}"/>')
    texts["bpmn/smoke.bpmn"] = bpmn
    return Bundle.from_texts("smoke", texts)


def _problems(bundle: Bundle) -> list[tuple[str | None, str]]:
    return [(p.element, p.message) for p in bundle_rule_problems(bundle, read_elements(bundle).checked())]


def test_an_invalid_committed_handling_time_is_a_deployment_problem_naming_the_element() -> None:
    assert _problems(_smoke("3", "2")) == []
    assert _problems(_smoke(review="三天")) == [
        ("Task_Review", "committedWorkingDays of Task_Review: '三天' is not a whole number of working days from 1 to 250")]
    texts = _smoke().as_texts()
    texts["bpmn/smoke.bpmn"] = texts["bpmn/smoke.bpmn"].replace(
        '<bpmn:extensionElements><spiffworkflow:calledDecisionId>',
        '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="committedWorkingDays" '
        'value="2"/></spiffworkflow:properties><spiffworkflow:calledDecisionId>')
    assert _problems(Bundle.from_texts("smoke", texts)) == [
        ("Rule", "businessRuleTask Rule has committedWorkingDays, which only a user task may have")]
    with pytest.raises(DeploymentError) as refused:
        ProcessHarness([_smoke(apply="0")])
    assert any(p.element == "Task_Apply" for p in refused.value.problems)


@pytest.fixture
def friday(database_url: str) -> Iterator[tuple[FakeClock, str]]:
    yield FakeClock("2026-11-27T10:00:00+08:00"), database_url


def test_the_earlier_of_the_statutory_and_the_committed_deadline_holds(friday: tuple[FakeClock, str]) -> None:
    clock, url = friday
    for committed, last_day in (("3", date(2026, 12, 2)), ("8", date(2026, 12, 4)), (None, date(2026, 12, 4))):
        harness = ProcessHarness([_smoke(apply=committed)], clock=FakeClock(clock.now().isoformat()), database_url=url)
        try:
            task = harness.start("smoke").task("Task_Apply")
            assert task.due_at == end_of_day(last_day, ZONE), committed
            assert due_day(task.due_at, harness.clock.now(), ZONE).last_day == last_day
        finally:
            harness.close()


def test_a_step_without_a_statutory_deadline_gets_one_from_its_committed_handling_time(
        friday: tuple[FakeClock, str]) -> None:
    clock, url = friday
    harness = ProcessHarness([_smoke(review="2")], clock=clock, database_url=url)
    try:
        run = harness.start("smoke")
        run.complete("Task_Apply", {"investmentWan": 120, "signedOn": "2026-11-27"})
        harness.advance(days=8)  # Saturday 5 December: the five-working-day wait has passed
        review = run.task("Task_Review")
        # Counted from the day after it opened, on working days only: Monday 7 and Tuesday 8 December.
        assert review.due_at == end_of_day(date(2026, 12, 8), ZONE)
        assert inbox.due_state(review, _moment("2026-12-08T23:00:00+08:00")) == "due_soon"
        assert inbox.due_state(review, _moment("2026-12-09T00:00:00+08:00")) == "overdue"
    finally:
        harness.close()
