"""In Chromium, in Chinese and in English: every page a Qingyang project passes shows names and words, never ids.

The agencies' clerks carry a project from application to the post-evaluation window; at every step
the clerk's inbox and task page, the instance page and the administrator's monitoring pages are
scanned for ASCII identifiers in their visible text (Foo_Bar, snake_case, SCREAMING_CASE, camelCase,
`x:y` ids, Python literals); so is the start page.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from engine import FakeClock, unit_of_work
from engine.usecases import tasks
from engine.usecases.users import actor_of
from webapp.scheduler import fire_timers_job

from ..jurisdictions.test_qingyang_process import ANSWERS
from .test_browser import _shot, _sign_in
from .test_browser import browser as browser  # noqa: F401  (the fixture, shared)
from .test_browser import live_url as live_url  # noqa: F401

pytestmark = pytest.mark.browser

IDENTIFIER = re.compile(
    r"\b(?:[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+"  # Foo_Bar, snake_case, SCREAMING_CASE
    r"|[a-z]+[A-Z][A-Za-z0-9]*"  # camelCase
    r"|[A-Z]{3,}[0-9]*"  # SCREAMING without an underscore (NONE, DUE)
    r"|[a-z][a-z0-9_]*:[a-z][a-z0-9_]*"  # group and unit ids
    r"|True|False|None)\b")
# Legitimately ASCII on these pages: the product's name, the language switch, business keys (QY-2025-0001).
ALLOWED = {"Govflow", "English", "API"}
BUSINESS_KEY = re.compile(r"\b[A-Z]{2,}(?:-[A-Z0-9]+)+\b")


def identifiers(text: str) -> set[str]:
    """Return the ASCII identifiers in a page's visible text, less what is legitimately ASCII."""
    return {found for found in IDENTIFIER.findall(BUSINESS_KEY.sub(" ", text)) if found not in ALLOWED}


def test_the_scan_finds_what_a_clerk_should_never_read() -> None:
    text = "审批步骤 FEASIBILITY_THEN_DESIGN · Task_Register · qingyang:demo_unit · False · investmentWan · P3M"
    assert identifiers(text) == {"FEASIBILITY_THEN_DESIGN", "Task_Register", "qingyang:demo_unit", "False",
                                 "investmentWan"}
    assert identifiers("截止 2026-12-04 · 1,200.00 万元 · 3个月 · 项目编号 QY-PLAIN-1 · Govflow") == set()


def _scan(page: Any, kind: str, found: dict[str, set[str]]) -> None:
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    header = page.inner_text("header") if page.locator("header").count() else ""
    for word in identifiers(text + "\n" + header):
        found.setdefault(word, set()).add(kind)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_identifier_reaches_a_clerk_on_a_whole_qingyang_run(browser: Any, live_url: str,  # noqa: F811
                                                               app: Flask, clock: FakeClock, language: str) -> None:
    clock.set("2025-03-01T09:00:00+08:00")
    engine, sessions = app.extensions["govflow.engine"], app.extensions["govflow.sessions"]
    found: dict[str, set[str]] = {}
    pages: dict[str, Any] = {}

    def page_of(username: str) -> Any:
        if username not in pages:
            pages[username] = _sign_in(browser, live_url, username)
            if language == "en":
                pages[username].goto(f"{live_url}/lang/en")
        return pages[username]

    applicant = page_of("qingyang_applicant_unit")
    applicant.goto(f"{live_url}/start")
    _scan(applicant, "start", found)
    applicant.locator("form.start-form input[name=business_key]").fill("QY-PLAIN-1")
    applicant.locator("form.start-form button[type=submit]").click()
    applicant.wait_for_selector("#task-form form")
    instance_path = "/instances/" + applicant.evaluate(
        "document.querySelector('a[href^=\"/instances/\"]').getAttribute('href').split('/').pop()")
    admin = page_of("admin")

    def work_until_nothing_is_ready() -> None:
        for _ in range(40):
            with unit_of_work(sessions) as session:
                ready = tasks.instance_tasks(session, actor_of(session, "admin"), instance_path.rsplit("/", 1)[1])
            if not ready:
                return
            task = ready[0]
            username = "qingyang_applicant_unit" if task.candidate_group == "qingyang:applicant_unit" \
                else (task.candidate_group or "").replace(":", "_")
            clerk = page_of(username)
            clerk.goto(f"{live_url}/")
            _scan(clerk, "inbox", found)
            clerk.goto(f"{live_url}/tasks/{task.id}")
            clerk.wait_for_selector("#task-form form")
            _scan(clerk, "task", found)
            with unit_of_work(sessions) as session:
                tasks.complete(engine, session, actor_of(session, username), task.id, ANSWERS[task.spec_id])
            clerk.goto(f"{live_url}{instance_path}")
            clerk.wait_for_selector("#diagram[data-ready=true]")
            _scan(clerk, "instance", found)
        raise AssertionError("the project never stopped")

    work_until_nothing_is_ready()
    clock.set("2025-08-16T00:00:01+08:00")  # the three-month trial run is over
    assert len(fire_timers_job(app)) == 1
    work_until_nothing_is_ready()
    for path, kind in ((instance_path, "instance"), ("/monitor", "monitor"),
                       ("/monitor/qingyang_project/1", "heat map")):
        admin.goto(f"{live_url}{path}")
        _scan(admin, kind, found)
    _shot(admin, "10-plain-heat-map")
    admin.goto(f"{live_url}{instance_path}")
    admin.wait_for_selector("#diagram[data-ready=true]")
    _shot(admin, "11-plain-instance")
    assert found == {}, "identifiers on the pages: " + "; ".join(
        f"{word} ({', '.join(sorted(kinds))})" for word, kinds in sorted(found.items()))
