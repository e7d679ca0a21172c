"""In Chromium: the bell shows a count once a task arrives for the clerk's group, and the list opens from it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from engine import unit_of_work
from engine.tools.testing import TESTER
from engine.usecases.instances import start_project

from .test_browser import _shot, _sign_in, browser, live_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_the_bell_counts_a_new_task_and_opens_the_list(app: Flask, browser: Any, live_url: str) -> None:  # noqa: F811
    page = _sign_in(browser, live_url, "smoke_applicant")
    assert page.locator("#bell-count").count() == 0
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        start_project(app.extensions["govflow.engine"], session, TESTER, "smoke_acceptance")
    page.reload()
    assert page.inner_text("#bell-count") == "1"
    _shot(page, "notifications-01-bell")
    page.click("#bell")
    page.wait_for_selector("#notifications tr.unread")
    assert "「验收示例」的「提交验收申请」已到达您所在的办理组" in page.inner_text("#notifications")
    _shot(page, "notifications-02-list")
    page.locator("#notifications tr.unread button", has_text="办理").click()
    page.wait_for_selector("#task-form form")
    assert page.locator("#bell-count").count() == 0  # read once opened
    page.goto(f"{live_url}/notifications/preferences")
    page.fill("input[name=address]", "clerk@example.org")
    page.check("input[name=digest]")
    page.click("#preferences button[type=submit]")
    page.wait_for_selector("#saved")
    assert page.locator("input[name=digest]").is_checked()
    _shot(page, "notifications-03-preferences")
