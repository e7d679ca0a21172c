"""Pages for people: a Qingyang project carried from application to acceptance by the agencies' clerks."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from engine import FakeClock, unit_of_work
from engine.tools.testing import TESTER
from engine.usecases.instances import start_project
from engine.usecases.users import create_user
from webapp.scheduler import fire_timers_job

from ..jurisdictions.test_qingyang_process import ANSWERS
from .conftest import Login, Tokens, csrf_of

APPLICANT = "qingyang_applicant_unit"


def _start(clerk: FlaskClient, key: str = "QY-WEB-001") -> str:
    """Start a Qingyang application and return the first task's page path."""
    response = clerk.post("/start", data={"process": "qingyang_project", "business_key": key,
                                          "csrf_token": csrf_of(clerk)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"])


def _complete(clerk: FlaskClient, task_path: str, data: dict[str, Any], **headers: str) -> Any:
    return clerk.post(task_path + "/complete", json=data, headers={"X-CSRF-Token": csrf_of(clerk), **headers})


def _embedded_json(page: str, element_id: str) -> Any:
    found = re.search(rf'id="{element_id}">(.*?)</script>', page, re.S)
    assert found is not None, f"no #{element_id} on the page"
    return json.loads(found.group(1))


def _task_ids(page: str) -> list[str]:
    return re.findall(r'data-task="([0-9a-f-]{36})"', page)


def test_start_page_opens_the_first_task_with_its_form(login: Login) -> None:
    clerk = login(APPLICANT)
    assert "项目编号（可不填" in clerk.get("/start").get_data(as_text=True)
    page = clerk.get(_start(clerk)).get_data(as_text=True)
    assert "填报项目基本情况" in page
    config = _embedded_json(page, "task-form-config")
    assert config["schema"]["properties"]["projectName"]["title"] == "项目名称"
    assert config["uiSchema"]["applicantType"]["ui:enumNames"][0] == "县直单位"
    assert config["csrfToken"] == csrf_of(clerk)
    again = clerk.post("/start", data={"process": "qingyang_project", "business_key": "QY-WEB-001",
                                       "csrf_token": csrf_of(clerk)})
    assert again.status_code == 422 and "已被使用" in again.get_data(as_text=True)


def test_invalid_submission_keeps_the_task_and_names_the_fields(login: Login) -> None:
    clerk = login(APPLICANT)
    task = _start(clerk)
    bad = _complete(clerk, task, {**ANSWERS["Task_Register"], "investmentWan": -5, "projectName": ""})
    assert bad.status_code == 422
    fields = {f["field"]: f["message"] for f in bad.json["fields"]}
    assert set(fields) == {"investmentWan", "projectName"} and "不得小于" in fields["investmentWan"]
    assert "填报项目基本情况" in clerk.get(task).get_data(as_text=True)  # still open
    assert _complete(clerk, task, ANSWERS["Task_Register"]).status_code == 200


def test_other_units_and_agencies_cannot_reach_the_task(login: Login) -> None:
    task = _start(login(APPLICANT))
    for outsider in ("qingyang_other_applicant", "qingyang_data_bureau", "smoke_applicant"):
        clerk = login(outsider)
        assert clerk.get(task).status_code == 404
        assert _complete(clerk, task, ANSWERS["Task_Register"]).status_code == 404
        assert clerk.post(task + "/claim", data={"csrf_token": csrf_of(clerk)}).status_code == 404
        assert _task_ids(clerk.get("/").get_data(as_text=True)) == []
    bureau = login("qingyang_data_bureau")
    assert bureau.get("/monitor").status_code == 403
    assert 'href="/start"' not in bureau.get("/").get_data(as_text=True)
    assert 'href="/start"' in login(APPLICANT).get("/").get_data(as_text=True)


def test_claim_and_unclaim_from_the_inbox(app: Flask, login: Login) -> None:
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        create_user(app.extensions["govflow.engine"], session, "qy_colleague", "govflow-demo",
                    groups=["qingyang:applicant_unit"], unit="qingyang:demo_unit")
    clerk, other = login(APPLICANT), login("qy_colleague")
    task = _start(clerk)
    task_id = task.rsplit("/", 1)[1]
    assert clerk.post(task + "/claim", data={"csrf_token": csrf_of(clerk), "next": "/?scope=mine"}).headers[
        "Location"] == "/?scope=mine"
    assert _task_ids(clerk.get("/?scope=mine").get_data(as_text=True)) == [task_id]
    assert other.post(task + "/claim", data={"csrf_token": csrf_of(other)}).status_code == 409
    assert clerk.post(task + "/unclaim", data={"csrf_token": csrf_of(clerk)}).status_code == 302
    assert _task_ids(clerk.get("/?scope=mine").get_data(as_text=True)) == []
    found = clerk.get("/?q=qy-web").get_data(as_text=True)
    assert _task_ids(found) == [task_id] and _task_ids(clerk.get("/?q=nothing").get_data(as_text=True)) == []


def test_clerks_carry_a_qingyang_project_from_application_to_acceptance(app: Flask, login: Login, clock: FakeClock,
                                                                        token_for: Tokens) -> None:
    clock.set("2025-03-01T09:00:00+08:00")
    clerks: dict[str, FlaskClient] = {}
    applicant = clerks.setdefault(APPLICANT, login(APPLICANT))
    _start(applicant)
    instance_path = ""
    done: list[str] = []
    admin_token = token_for("admin")

    def work_until_nothing_is_ready() -> None:
        nonlocal instance_path
        for _ in range(40):
            admin = clerks.setdefault("admin", login("admin"))
            pending = _task_ids(admin.get("/?per_page=200").get_data(as_text=True))
            if not pending:
                return
            detail = admin.get(f"/api/v1/tasks/{pending[0]}", headers=admin_token)
            group, spec = detail.json["task"]["candidate_group"], detail.json["task"]["task"]
            clerk = clerks.setdefault(group, login(group.replace(":", "_")))
            response = _complete(clerk, f"/tasks/{pending[0]}", ANSWERS[spec])
            assert response.status_code == 200, (spec, response.json)
            instance_path = response.json["redirect"]
            done.append(spec)
        raise AssertionError(f"still working after {done}")

    work_until_nothing_is_ready()
    assert done[:3] == ["Task_Register", "Task_DeptReview", "Task_JointReview"]
    assert done[-1] == "Task_TrialRun"
    clock.set("2025-08-16T00:00:01+08:00")  # the three-month trial run is over
    assert len(fire_timers_job(app)) == 1
    work_until_nothing_is_ready()
    assert done[-2:] == ["Task_SelfAcceptance", "Task_FileAcceptance"]
    page = applicant.get(instance_path).get_data(as_text=True)
    assert "验收" in page and "Timer_PostEvalOpens" in page  # waiting for the post-evaluation window
    config = _embedded_json(page, "diagram-config")
    assert "Task_FileAcceptance" in config["done"] and config["active"] == ["Timer_PostEvalOpens"]
    assert 'id="qingyang_project"' in config["xml"]
    assert page.count("决策") >= 2 and "Rule_Gates" in page


def test_monitoring_heat_map_and_retry_for_administrators(app: Flask, login: Login) -> None:
    applicant = login(APPLICANT)
    for n in range(3):
        _start(applicant, key=f"QY-HEAT-{n}")
    admin = login("admin")
    monitor = admin.get("/monitor").get_data(as_text=True)
    assert "qingyang_project" in monitor and "没有逾期任务" in monitor
    heat = admin.get("/monitor/qingyang_project/1").get_data(as_text=True)
    config = _embedded_json(heat, "diagram-config")
    assert config["counts"] == {"Task_Register": 3}
    assert login(APPLICANT).get("/monitor/qingyang_project/1").status_code == 403


def test_heat_map_lists_every_element_with_its_count_by_name(app: Flask, login: Login) -> None:
    applicant = login(APPLICANT)
    tasks = [_start(applicant, key=f"QY-TABLE-{n}") for n in range(3)]
    assert _complete(applicant, tasks[0], ANSWERS["Task_Register"]).status_code == 200
    for language in ("zh", "en"):
        admin = login("admin")
        admin.get(f"/lang/{language}")
        heat = admin.get("/monitor/qingyang_project/1").get_data(as_text=True)
        assert _embedded_json(heat, "diagram-config")["counts"] == {"Task_Register": 2, "Task_DeptReview": 1}
        table = heat.split('id="heat-table"', 1)[1].split("</table>", 1)[0]
        cells = [re.sub(r"<[^>]+>", " ", row).split() for row in re.findall(r"<tr data-element.*?</tr>", table, re.S)]
        assert cells == [["填报项目基本情况", "项目建设单位", "2"], ["主管部门汇总审核", "县直主管部门", "1"]]
        assert "Task_" not in re.sub(r'data-element="[^"]*"', "", table)


def test_instances_in_error_are_listed_with_their_message_and_can_be_retried(app: Flask, login: Login) -> None:
    engine = app.extensions["govflow.engine"]
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        failed = start_project(engine, session, TESTER, "smoke_failing", data={"divisor": 0}, business_key="ERR-1")
    admin = login("admin")
    heat = admin.get("/monitor/smoke_failing/1").get_data(as_text=True)
    assert "ERR-1" in heat and "division by zero" in heat
    assert f'/instances/{failed.id}/retry' in heat
    clerk = login("qingyang_data_bureau")
    assert clerk.post(f"/instances/{failed.id}/retry", data={"csrf_token": csrf_of(clerk)}).status_code == 403
    retried = admin.post(f"/instances/{failed.id}/retry", data={"csrf_token": csrf_of(admin),
                                                               "next": "/monitor/smoke_failing/1"})
    assert retried.headers["Location"] == "/monitor/smoke_failing/1"
    page = admin.get(f"/instances/{failed.id}").get_data(as_text=True)
    assert "重试" in page and "division by zero" in page  # retried, and the data still divides by zero
