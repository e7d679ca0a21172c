"""The task page: conditional fields refused when their branch is closed, deadlines shown as their last day."""

from __future__ import annotations

import re

from flask import Flask

from engine import FakeClock, tasks, unit_of_work
from engine.tools.testing import TESTER
from engine.usecases.instances import start_project

from ..jurisdictions.test_qingyang_process import ANSWERS
from .conftest import Login, Tokens
from .test_pages import APPLICANT, _complete, _embedded_json, _start


def test_data_for_a_hidden_branch_is_refused_naming_the_field_and_changes_nothing(
        app: Flask, login: Login, token_for: Tokens) -> None:
    clerk = login(APPLICANT)
    task = _start(clerk)
    config = _embedded_json(clerk.get(task).get_data(as_text=True), "task-form-config")
    assert "leadUnit" not in config["schema"]["properties"]  # shown only once 跨部门共建共享 is ticked
    assert config["schema"]["then"]["properties"]["leadUnit"]["title"] == "牵头单位"
    single = {**ANSWERS["Task_Register"], "crossDepartment": False, "leadUnit": "县数据资源管理局"}
    refused = _complete(clerk, task, single)
    assert refused.status_code == 422
    assert refused.json["fields"] == [{"field": "leadUnit", "message": "「牵头单位」不适用于本表当前的选择，不应填写"}]
    api = app.test_client().post(f"/api/v1/tasks/{task.rsplit('/', 1)[1]}/complete", json=single,
                                 headers=token_for(APPLICANT))
    assert api.status_code == 422 and [f["field"] for f in api.json["fields"]] == ["leadUnit"]
    assert "填报项目基本情况" in clerk.get(task).get_data(as_text=True)  # still open, nothing stored
    joint = {**single, "crossDepartment": True}
    assert _complete(clerk, task, joint).status_code == 200
    done = clerk.get(task).get_data(as_text=True)  # the submitted record titles the branch's field too
    assert "<dt>牵头单位</dt><dd>县数据资源管理局</dd>" in done and "leadUnit" not in done


def _due_cell(page: str) -> list[str]:
    found = re.search(r'<td class="due">(.*?)</td>', page, re.S)
    assert found is not None, "no due date on the page"
    return re.sub(r"<[^>]+>", "", found.group(1)).split()


def test_a_deadline_is_shown_as_its_last_day_with_the_days_left_or_overdue(
        app: Flask, login: Login, clock: FakeClock) -> None:
    clock.set("2026-11-27T10:00:00+08:00")  # a Friday; the smoke application is due in 5 working days
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        started = start_project(app.extensions["govflow.engine"], session, TESTER, "smoke", business_key="DUE-1")
    admin = login("admin")
    inbox = admin.get("/?q=DUE-1").get_data(as_text=True)
    assert _due_cell(inbox) == ["截止", "2026-12-04", "剩", "7", "天"]
    assert "2026-12-05" not in inbox
    [task_id] = re.findall(r'data-task="([0-9a-f-]{36})"', inbox)
    task_page = admin.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "截止 2026-12-04" in task_page and "剩 7 天" in task_page
    clock.set("2026-12-04T18:00:00+08:00")
    assert _due_cell(admin.get(f"/instances/{started.id}").get_data(as_text=True)) == ["截止", "2026-12-04", "今天到期"]
    assert "今天到期" in admin.get(f"/tasks/{task_id}").get_data(as_text=True)
    clock.set("2026-12-05T00:00:00+08:00")
    assert _due_cell(admin.get("/?q=DUE-1").get_data(as_text=True)) == ["截止", "2026-12-04", "逾期", "1", "天"]
    clock.set("2026-12-08T09:00:00+08:00")
    overdue = admin.get("/?q=DUE-1").get_data(as_text=True)
    assert _due_cell(overdue) == ["截止", "2026-12-04", "逾期", "4", "天"] and 'class="due-overdue"' in overdue
    assert "截止 2026-12-04" in admin.get("/monitor").get_data(as_text=True)
    admin.get("/lang/en")
    english = admin.get("/?q=DUE-1").get_data(as_text=True)
    assert " ".join(_due_cell(english)) == "Due 2026-12-04 4 days overdue"
    clock.set("2026-12-03T09:00:00+08:00")
    assert " ".join(_due_cell(admin.get("/?q=DUE-1").get_data(as_text=True))) == "Due 2026-12-04 1 day left"
    with unit_of_work(app.extensions["govflow.sessions"]) as session:  # a 5-working-day wait after signing
        tasks.complete(app.extensions["govflow.engine"], session, TESTER, task_id,
                       {"investmentWan": 120, "signedOn": "2026-12-08"})
    waiting = admin.get(f"/instances/{started.id}").get_data(as_text=True)
    assert "2026-12-15 24:00" in waiting and "2026-12-16 00:00" not in waiting
