"""In Chromium: a clerk signs in, fills a task form (refused, then accepted) and sees the instance move on the
diagram; an administrator sees the heat map. Screenshots of the main pages go to test-artifacts/screenshots."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from engine import Bundle, unit_of_work
from engine.settings import PROJECT_ROOT
from engine.usecases.deployments import deploy_bundle
from engine.usecases.users import create_demo_users

from ..conftest import ARTIFACTS

pytestmark = pytest.mark.browser
SHOTS = ARTIFACTS / "screenshots"
PASSWORD = "govflow-demo"


def _chromium() -> str | None:
    return os.environ.get("GOVFLOW_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """Serve the app on a free loopback port for the length of a test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Launch Debian's Chromium through Playwright; CI insists on it, a workstation without it skips."""
    executable = _chromium()
    if executable is None:
        if os.environ.get("GOVFLOW_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (GOVFLOW_REQUIRE_BROWSER) but was not found")
        pytest.skip("Chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        yield launched
        launched.close()


def _sign_in(browser: Any, base: str, username: str) -> Any:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#who")
    return page


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _fill_register(page: Any) -> None:
    form = page.locator("#task-form")
    form.get_by_label("项目名称").fill("青阳县智慧城管平台")
    form.get_by_label("申报主体").select_option(label="县直单位")
    form.get_by_label("资金来源").select_option(label="财政资金")
    form.get_by_label("建设方式").select_option(index=1)
    form.get_by_label("项目性质").select_option(index=1)
    form.get_by_label("申报投资额（万元）").fill("180")
    form.get_by_label("申报时点").select_option(index=1)
    # A required boolean has no value until touched: tick the true ones, tick and untick the false ones.
    for label, value in (("涉密项目", False), ("已入项目（场景）储备库", True), ("涉及新建土建工程", False),
                         ("高能耗项目", False), ("可依托省市一体化数据平台", True), ("跨部门共建共享", False)):
        box = form.get_by_label(label, exact=True)
        box.check()
        if not value:
            box.uncheck()


def test_clerk_fills_a_form_and_sees_the_instance_move(browser: Any, live_url: str) -> None:
    page = _sign_in(browser, live_url, "qingyang_applicant_unit")
    _shot(page, "01-inbox-empty")
    page.goto(f"{live_url}/start")
    _shot(page, "02-start")
    page.locator("form.start-form input[name=business_key]").fill("QY-BROWSER-1")
    page.locator("form.start-form button[type=submit]").click()
    page.wait_for_selector("#task-form form")
    assert "填报项目基本情况" in page.inner_text("h1")

    # Invalid in the browser: rjsf refuses to send it and says why, in Chinese.
    page.locator("#task-form button[type=submit]").click()
    page.wait_for_selector("#task-form .errors")
    assert "必" in page.inner_text("#task-form .errors")
    _shot(page, "03-task-form-client-errors")

    # Invalid on the server (a client whose checks were bypassed): the field error shows, input stays.
    _fill_register(page)
    tampered = {"done": False}

    def negative_investment(route: Any) -> None:
        if tampered["done"]:
            route.continue_()
            return
        tampered["done"] = True
        body = json.loads(route.request.post_data or "{}")
        route.continue_(post_data=json.dumps({**body, "investmentWan": -1}))

    page.route("**/complete", negative_investment)
    page.locator("#task-form button[type=submit]").click()
    page.wait_for_selector("#form-alert")
    assert "不得小于 0" in page.inner_text("#task-form")
    assert ".investmentWan" not in page.inner_text("#task-form .errors")  # the summary names the field's title
    assert page.locator("#task-form").get_by_label("项目名称").input_value() == "青阳县智慧城管平台"
    _shot(page, "04-task-form-server-errors")

    page.locator("#task-form button[type=submit]").click()
    page.wait_for_url("**/instances/*")
    page.wait_for_selector("#diagram[data-ready=true]")
    assert page.locator('[data-element-id="Task_Register"].gf-done').count() == 1
    assert page.locator('[data-element-id="Task_DeptReview"].gf-active').count() == 1
    assert "填报项目基本情况" in page.inner_text("#audit") or "Task_Register" in page.inner_text("#audit")
    assert "判定适用范围" in page.inner_text("#decisions") and "Rule_Scope" not in page.inner_text("#decisions")
    _shot(page, "05-instance")
    # Lane (agency) names stay in view when the diagram is panned past the pool's left edge.
    page.get_by_role("button", name="显示全图").click()
    assert page.locator(".gf-lane-names").is_hidden()
    box = page.locator("#diagram").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(600, 0)  # scroll right, so the pool's left edge leaves the view
    page.wait_for_selector(".gf-lane-names", state="visible")
    assert "县直主管部门" in page.locator(".gf-lane-names").inner_text()
    page.get_by_role("button", name="回到当前步骤").click()
    _shot(page, "05-instance-current-step")

    reviewer = _sign_in(browser, live_url, "qingyang_supervising_department")
    assert "青阳县智慧城管平台" in reviewer.inner_text("#inbox")
    _shot(reviewer, "06-inbox-agency")

    admin = _sign_in(browser, live_url, "admin")
    admin.goto(f"{live_url}/monitor")
    _shot(admin, "07-monitor")
    admin.goto(f"{live_url}/monitor/qingyang_project/1")
    admin.wait_for_selector("#diagram[data-ready=true]")
    badge = admin.locator('.gf-count[data-element="Task_DeptReview"]')
    assert badge.inner_text() == "1"
    assert admin.locator('[data-element-id="Task_DeptReview"].gf-heat-5').count() == 1
    _shot(admin, "08-heat-map")
    admin.goto(f"{live_url}/api/v1/docs")
    admin.wait_for_selector(".swagger-ui .opblock")
    assert admin.locator(".opblock").count() >= 20
    _shot(admin, "09-api-docs")


def test_a_confirmation_starts_unticked_and_every_two_decimal_amount_passes(browser: Any, live_url: str,
                                                                            app: Flask) -> None:
    engine = app.extensions["govflow.engine"]
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        deploy_bundle(engine, session, Bundle.from_jurisdiction(PROJECT_ROOT, "xichuan"), "owner")
        create_demo_users(engine, session)
    page = _sign_in(browser, live_url, "xichuan_applicant_unit")
    page.goto(f"{live_url}/start")
    assert "淅川县政务信息化项目建设管理暂行办法" in page.inner_text("form.start-form .regulation")
    page.locator("form.start-form button[type=submit]").click()
    page.wait_for_selector("#task-form form")
    form = page.locator("#task-form")
    # 必须满足: the clerk ticks it; the form never arrives ticked.
    assert not form.locator("#root_aiUseCasesStudied").is_checked()  # 已研究人工智能大模型应用场景
    amount = form.locator("#root_estimateWan")  # 估算投资（万元）
    amount.fill("150.01")
    page.locator("#task-form button[type=submit]").click()
    page.wait_for_selector("#task-form .errors")
    assert "估算投资" not in page.inner_text("#task-form .errors")
    amount.fill("150.015")
    page.locator("#task-form button[type=submit]").click()
    page.wait_for_function("document.querySelector('#task-form .errors').innerText.includes('估算投资')")


def test_a_conditional_field_appears_when_relevant_and_its_value_goes_when_hidden(browser: Any, live_url: str) -> None:
    page = _sign_in(browser, live_url, "qingyang_applicant_unit")
    page.goto(f"{live_url}/start")
    page.locator("form.start-form input[name=business_key]").fill("QY-BROWSER-IF")
    page.locator("form.start-form button[type=submit]").click()
    page.wait_for_selector("#task-form form")
    _fill_register(page)
    form = page.locator("#task-form")
    cross, lead = form.get_by_label("跨部门共建共享", exact=True), form.locator("#root_leadUnit")
    assert lead.count() == 0  # 牵头单位 only for a cross-department project (二(一)5)
    cross.check()
    lead.wait_for()
    page.locator("#task-form button[type=submit]").click()
    page.wait_for_function("document.querySelector('#task-form .errors').innerText.includes('牵头单位')")
    assert "then" not in page.inner_text("#task-form")  # the missing field is named, not the branch
    lead.fill("县数据资源管理局")
    _shot(page, "10-task-form-conditional-field")
    cross.uncheck()
    lead.wait_for(state="detached")
    cross.check()
    lead.wait_for()
    assert lead.input_value() == ""  # hiding it dropped what was typed
    lead.fill("县数据资源管理局")
    cross.uncheck()
    lead.wait_for(state="detached")
    with page.expect_request("**/complete") as sent:
        page.locator("#task-form button[type=submit]").click()
    submitted = json.loads(sent.value.post_data or "{}")
    assert submitted["crossDepartment"] is False and "leadUnit" not in submitted
    page.wait_for_url("**/instances/*")


def test_an_applicant_finds_their_project_after_completing_the_first_task(browser: Any, live_url: str) -> None:
    page = _sign_in(browser, live_url, "qingyang_applicant_unit")
    page.goto(f"{live_url}/start")
    page.locator("form.start-form input[name=business_key]").fill("QY-BROWSER-LIST")
    page.locator("form.start-form button[type=submit]").click()
    page.wait_for_selector("#task-form form")
    _fill_register(page)
    page.locator("#task-form button[type=submit]").click()
    page.wait_for_url("**/instances/*")
    page.get_by_role("link", name="我的项目").first.click()
    page.wait_for_selector("#projects")
    row = page.locator('#projects tbody tr[data-instance]')
    assert row.count() == 1
    text = row.inner_text()
    for shown in ("QY-BROWSER-LIST", "青阳县智慧城管平台", "主管部门汇总审核", "县直主管部门", "180.00", "办理中"):
        assert shown in text, shown
    _shot(page, "10-projects-mine")
    row.get_by_role("link", name="青阳县智慧城管平台").click()
    page.wait_for_url("**/instances/*")
    bureau = _sign_in(browser, live_url, "qingyang_supervising_department")
    bureau.get_by_role("link", name="全部项目").click()
    bureau.wait_for_selector("#projects")
    bureau.fill("input[name=amount_min]", "180")
    bureau.fill("input[name=amount_max]", "180.00")
    bureau.locator("#project-filters button[type=submit]").click()
    bureau.wait_for_selector("#projects tbody tr[data-instance]")
    assert "QY-BROWSER-LIST" in bureau.inner_text("#projects")
    _shot(bureau, "11-projects-all")
