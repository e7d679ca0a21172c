"""In Chromium: a process owner edits a label and a due date in the modeler, sees the problem at its element,
deploys, and finds the new version in the list; an administrator dry-runs and migrates a running project."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import _shot, _sign_in, browser, live_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _select(page: Any, element: str) -> None:
    page.select_option("#find-element", element)
    page.wait_for_selector("#properties input[name=name]")
    assert element in page.inner_text("#properties")


def test_owner_edits_deploys_and_admin_migrates(browser: Any, live_url: str) -> None:  # noqa: F811
    clerk = _sign_in(browser, live_url, "qingyang_applicant_unit")
    clerk.goto(f"{live_url}/start")
    clerk.locator("form.start-form input[name=business_key]").fill("QY-MIGRATE-1")
    clerk.locator("form.start-form button[type=submit]").click()
    clerk.wait_for_selector("#task-form form")

    owner = _sign_in(browser, live_url, "qingyang_owner")
    owner.click("text=流程建模")
    owner.locator('.bundle[data-bundle=qingyang] a.button').click()
    owner.wait_for_selector("#workspace[data-ready=true]")
    owner.wait_for_selector('#bpmn-canvas [data-element-id="Task_Register"]')

    # A due date that is not an expression: validation names the element and marks it on the diagram.
    _select(owner, "Task_Register")
    owner.fill("#properties input[name=dueDate]", "add_working_days(")
    owner.press("#properties input[name=dueDate]", "Tab")
    owner.click("#validate")
    owner.wait_for_selector("#problems li >> text=Task_Register")
    assert owner.locator('[data-element-id="Task_Register"].gf-problem').count() == 1
    _shot(owner, "08-modeler-problem")

    _select(owner, "Task_Register")
    owner.fill("#properties input[name=dueDate]", "")
    owner.press("#properties input[name=dueDate]", "Tab")
    owner.fill("#properties input[name=name]", "填报项目基本情况（2026修订）")
    owner.press("#properties input[name=name]", "Tab")

    # A decision rule: the feasibility threshold moves from 500万 to 400万 in the dmn-js table.
    owner.click('#files button[data-path="dmn/DT_QY_03.dmn"]')
    owner.wait_for_selector("#dmn-canvas .tjs-table")
    cell = owner.locator("#dmn-canvas td.input-cell", has_text=">= 500").first
    cell.click()
    owner.keyboard.press("Control+A")
    owner.keyboard.type(">= 400")
    owner.click("#dmn-canvas .tjs-table th.annotation")
    _shot(owner, "09-modeler-dmn")

    # A form field, with the preview rendering the new label as a clerk will see it.
    owner.click('#files button[data-path="forms/register.schema.json"]')
    owner.wait_for_selector("#form-preview form")
    schema = owner.input_value("#schema-text")
    assert "申报投资额（万元）" in schema
    owner.fill("#schema-text", schema.replace("申报投资额（万元）", "申报总投资（万元）"))
    owner.wait_for_selector("#form-preview label >> text=申报总投资（万元）")
    _shot(owner, "09-modeler-form")

    owner.click("#save")
    owner.wait_for_selector(".status-ok >> text=已保存")
    owner.click("#validate")
    owner.wait_for_selector(".status-ok >> text=校验通过")
    owner.fill("#deploy-tag", "2026修订")
    owner.fill("#deploy-note", "填报环节改名")
    owner.click("#deploy")
    owner.wait_for_selector(".status-ok >> text=qingyang_project v2")
    _shot(owner, "09-modeler-deployed")
    owner.click("text=qingyang_project v2")
    owner.wait_for_selector("#history")
    row = owner.locator('#history tr[data-version="2"]')
    assert "填报环节改名" in row.inner_text() and "2026修订" in row.inner_text() and "current" in row.get_attribute("class")
    diff = owner.inner_text("#diff")
    assert "填报项目基本情况（2026修订）" in diff and ">= 400" in diff and "申报总投资（万元）" in diff
    assert "名称：填报项目基本情况 → 填报项目基本情况（2026修订）" in diff and "label:" not in diff
    owner.wait_for_selector("#diagram[data-ready=true]")
    _shot(owner, "10-versions-diff")

    admin = _sign_in(browser, live_url, "admin")
    admin.goto(f"{live_url}/processes/qingyang_project/versions")
    admin.select_option("#migration select[name=to_version]", "2")
    admin.click("#migration button[value=dry-run]")
    admin.wait_for_selector("#migration-report tr.movable")
    assert "QY-MIGRATE-1" in admin.inner_text("#migration-report")
    admin.click("#migration button[value=migrate]")
    admin.wait_for_selector("#migration-report >> text=已迁移")
    assert admin.locator('#changes tr[data-action="migrate-batch"]').count() == 1
    _shot(admin, "11-migrated")
    clerk.goto(f"{live_url}/")
    assert "填报项目基本情况（2026修订）" in clerk.inner_text("#inbox")


def test_properties_panel_reads_and_writes_what_govflow_reads(browser: Any, live_url: str) -> None:  # noqa: F811
    owner = _sign_in(browser, live_url, "qingyang_owner")
    owner.goto(f"{live_url}/modeler/qingyang")
    owner.wait_for_selector("#workspace[data-ready=true]")
    _select(owner, "Task_Register")
    assert owner.input_value("#properties select[name=formJsonSchemaFilename]") == "register.schema.json"
    assert owner.input_value("#properties select[name=formUiSchemaFilename]") == "register.uischema.json"
    _select(owner, "Rule_Path")
    assert owner.input_value("#properties select[name=calledDecisionId]") == "DT_QY_03"
    _select(owner, "Timer_PostEvalOpens")
    assert owner.input_value("#properties select[name=timerKind]") == "timeDate"
    assert owner.input_value("#properties input[name=timerExpression]").startswith("day_start(add_months(")
    _select(owner, "Lane_data_bureau")
    assert owner.input_value("#properties input[name=candidateGroup]") == "qingyang:data_bureau"
    assert owner.locator('#known-groups option[value="qingyang:applicant_unit"]').count() == 1

    owner.fill("#properties input[name=candidateGroup]", "qingyang:archive_office")
    owner.press("#properties input[name=candidateGroup]", "Tab")
    owner.click("#save")
    owner.wait_for_selector(".status-ok >> text=已保存")
    owner.reload()
    owner.wait_for_selector("#workspace[data-ready=true]")
    _select(owner, "Lane_data_bureau")
    assert owner.input_value("#properties input[name=candidateGroup]") == "qingyang:archive_office"


def test_owner_sets_a_committed_handling_time_on_any_user_task(browser: Any, live_url: str) -> None:  # noqa: F811
    owner = _sign_in(browser, live_url, "qingyang_owner")
    owner.goto(f"{live_url}/modeler/qingyang")
    owner.wait_for_selector("#workspace[data-ready=true]")
    _select(owner, "Task_DeptReview")  # a step with no statutory deadline
    field = "#properties input[name=committedWorkingDays]"
    assert owner.input_value(field) == ""
    assert "承诺办理时限" in owner.inner_text("#properties")
    owner.fill(field, "0")
    owner.press(field, "Tab")
    owner.click("#validate")
    owner.wait_for_selector("#problems li >> text=Task_DeptReview")
    assert "committedWorkingDays" in owner.inner_text("#problems")
    assert owner.locator('[data-element-id="Task_DeptReview"].gf-problem').count() == 1
    _select(owner, "Task_DeptReview")
    owner.fill(field, "3")
    owner.press(field, "Tab")
    owner.click("#save")
    owner.wait_for_selector(".status-ok >> text=已保存")
    owner.click("#validate")
    owner.wait_for_selector(".status-ok >> text=校验通过")
    owner.reload()
    owner.wait_for_selector("#workspace[data-ready=true]")
    _select(owner, "Task_DeptReview")
    assert owner.input_value(field) == "3"
