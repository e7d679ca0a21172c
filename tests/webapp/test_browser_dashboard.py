"""In Chromium: a process owner opens the dashboard, sees the charts drawn and the tables with the same figures;
an administrator sees the heat map's table beside the diagram."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import _fill_register, _shot, _sign_in, browser, live_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_owner_sees_charts_and_tables_on_the_dashboard(browser: Any, live_url: str) -> None:  # noqa: F811
    clerk = _sign_in(browser, live_url, "qingyang_applicant_unit")
    for n in range(2):
        clerk.goto(f"{live_url}/start")
        clerk.locator("form.start-form input[name=business_key]").fill(f"QY-DASH-{n}")
        clerk.locator("form.start-form button[type=submit]").click()
        clerk.wait_for_selector("#task-form form")
    _fill_register(clerk)  # the second application goes on to the supervising department
    clerk.locator("#task-form button[type=submit]").click()
    clerk.wait_for_url("**/instances/*")

    owner = _sign_in(browser, live_url, "qingyang_owner")
    owner.click("text=效能监察")
    owner.wait_for_selector("#chart-stages[data-ready=true] canvas")
    canvas = owner.locator("#chart-stages canvas").first
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    # Something was drawn: the canvas is not one flat colour.
    assert owner.evaluate("""() => {
        const c = document.querySelector('#chart-stages canvas');
        const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 4; i < pixels.length; i += 4) {
            if (pixels[i] !== pixels[0] || pixels[i + 1] !== pixels[1] || pixels[i + 2] !== pixels[2]) return true;
        }
        return false;
    }""")
    for chart in ("agencies", "p90", "rate", "investment", "verdicts"):
        assert owner.locator(f"#chart-{chart}[data-ready=true] canvas").count() >= 1, chart
    def table(key: str) -> list[list[str]]:
        return [row.split("\t") for row in owner.locator(f"#table-{key} tbody tr").all_inner_texts()]

    assert table("stages") == [["青阳县", "主管部门汇总审核", "1"], ["青阳县", "填报项目基本情况", "1"]]
    assert table("agencies") == [["青阳县", "县直主管部门", "1", "0"], ["青阳县", "项目建设单位", "1", "0"]]
    [handling] = table("handling")
    assert handling[:5] == ["青阳县", "项目建设单位", "2025-09", "1", "0.00"]
    assert table("investment") == [["青阳县", "尚未确定", "2", "180.00"]]
    _shot(owner, "10-dashboard")

    admin = _sign_in(browser, live_url, "admin")
    admin.goto(f"{live_url}/monitor/qingyang_project/1")
    admin.wait_for_selector("#diagram[data-ready=true]")
    assert [row.split("\t") for row in admin.locator("#heat-table tbody tr").all_inner_texts()] == [
        ["主管部门汇总审核", "县直主管部门", "1"], ["填报项目基本情况", "项目建设单位", "1"]]
    _shot(admin, "11-heat-map-table")
