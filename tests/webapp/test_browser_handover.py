"""In Chromium: a clerk completes a step, withdraws it (撤回) while the next agency has not touched it, finds the
form as submitted, and completes it again; a leader hands the next task to a member of the group."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import _fill_register, _shot, _sign_in, browser, live_url  # noqa: F401  # fixtures reused

pytestmark = pytest.mark.browser


def test_a_clerk_withdraws_a_completion_and_a_leader_assigns_the_next_task(
        browser: Any, live_url: str) -> None:  # noqa: F811
    page = _sign_in(browser, live_url, "qingyang_applicant_unit")
    assert "提交即视为认领" in page.inner_text("#claim-rule")
    page.goto(f"{live_url}/start")
    page.locator("form.start-form input[name=business_key]").fill("QY-WITHDRAW-1")
    page.locator("form.start-form button[type=submit]").click()
    page.wait_for_selector("#task-form form")
    _fill_register(page)
    page.locator("#task-form button[type=submit]").click()
    page.wait_for_url("**/instances/*")
    page.wait_for_selector("#withdraw-form")
    assert "可以撤回" in page.inner_text("#withdraw-form")
    _shot(page, "20-withdraw-offer")

    page.locator("#withdraw-form button[type=submit]").click()
    page.wait_for_selector("#task-form form")
    # The step is open again for the same clerk, with what was submitted.
    assert page.locator("#task-form").get_by_label("项目名称").input_value() == "青阳县智慧城管平台"
    _shot(page, "21-withdrawn-task")
    page.locator("#task-form button[type=submit]").click()
    page.wait_for_url("**/instances/*")
    page.wait_for_selector("#diagram[data-ready=true]")
    assert page.locator('[data-element-id="Task_DeptReview"].gf-active').count() == 1
    assert "撤回" in page.inner_text("#audit")

    leader = _sign_in(browser, live_url, "qingyang_supervising_department")
    leader.goto(f"{live_url}/?q=QY-WITHDRAW-1")
    leader.locator("#inbox tbody a.button", has_text="办理").click()
    leader.wait_for_selector("#assign-form")
    leader.locator("#assign-form select[name=assignee]").select_option("qingyang_supervising_department_member")
    leader.locator("#assign-form button[type=submit]").click()
    leader.wait_for_selector("#assign-form")
    assert "qingyang_supervising_department_member" in leader.inner_text(".claim-bar")
    _shot(leader, "22-assigned")

    member = _sign_in(browser, live_url, "qingyang_supervising_department_member")
    member.goto(f"{live_url}/?scope=mine")
    assert "QY-WITHDRAW-1" in member.inner_text("#inbox")
