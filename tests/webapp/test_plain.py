"""Pages show names and plain words: decision values by their labels, 是/否, periods, amounts, errors worded."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask import Flask, session
from flask.testing import FlaskClient

from engine import Bundle, Labels, NotFound, unit_of_work
from engine.settings import PROJECT_ROOT
from engine.usecases.deployments import deploy_bundle
from webapp.plain import error_text, form_value, label_text, plain_value

from ..jurisdictions.test_qingyang_process import ANSWERS
from .conftest import Login, csrf_of

APPLICANT = "qingyang_applicant_unit"
LABELS = Labels(values={"approvalSteps": {"COMBINED": "合并编制，一次审批"}})


@pytest.mark.parametrize(("language", "expected"), [
    ("zh", ["是", "否", "3个月", "1年6个月", "1,200.50 万元", "0.10 万元", "合并编制，一次审批", "—", "审批步骤"]),
    ("en", ["Yes", "No", "3 months", "1 years 6 months", "1,200.50 × 10,000 yuan", "0.10 × 10,000 yuan",
            "合并编制，一次审批", "—", "审批步骤"]),
])
def test_values_are_worded_in_the_interface_language(app: Flask, language: str, expected: list[str]) -> None:
    with app.test_request_context("/"):
        session["lang"] = language
        shown = [plain_value(True), plain_value(False), plain_value("P3M"), plain_value("P1Y6M"),
                 plain_value(Decimal("1200.5"), "investmentWan"), plain_value("0.1", "estimateWan"),
                 plain_value("COMBINED", "approvalSteps", LABELS), plain_value(None),
                 label_text("审批步骤 approvalSteps")]
    assert shown == expected


def test_codes_without_a_name_and_dates_stay_as_they_are(app: Flask) -> None:
    with app.test_request_context("/"):
        assert plain_value("2025-09-30") == "2025-09-30"
        assert plain_value(["COMBINED", "COMBINED"], "approvalSteps", LABELS) == "合并编制，一次审批、合并编制，一次审批"
        assert plain_value(12, "months") == "12"
        assert label_text("路径") == "路径"
        session["lang"] = "en"
        assert label_text("审批文件路径 Approval document path") == "Approval document path"


def test_a_submitted_choice_shows_by_its_name_in_its_form(app: Flask) -> None:
    schema = {"properties": {"applicantType": {"type": "string", "title": "申报主体", "enum": ["COUNTY_UNIT"]},
                             "estimateWan": {"type": "number", "title": "估算（万元）"}}}
    ui = {"applicantType": {"ui:enumNames": ["县直单位"]}}
    with app.test_request_context("/"):
        assert form_value("COUNTY_UNIT", "applicantType", schema, ui) == "县直单位"
        assert form_value(150, "estimateWan", schema, ui) == "150.00 万元"
        assert form_value(True, "confirmed", schema, ui) == "是"


def _start_and_register(clerk: FlaskClient) -> str:
    response = clerk.post("/start", data={"process": "qingyang_project", "business_key": "QY-PLAIN-2",
                                          "csrf_token": csrf_of(clerk)})
    task_path = str(response.headers["Location"])
    done = clerk.post(task_path + "/complete", json=ANSWERS["Task_Register"],
                      headers={"X-CSRF-Token": csrf_of(clerk)})
    assert done.status_code == 200, done.json
    return str(done.json["redirect"])


def _text(page: str) -> str:
    main = page.split("<main>", 1)[1]
    main = re.sub(r"<script.*?</script>|<details>.*?</details>", " ", main, flags=re.S)
    return re.sub(r"<[^>]+>", " ", main)


def test_the_instance_page_names_decision_values_elements_people_and_the_unit(login: Login) -> None:
    clerk = login(APPLICANT)
    instance_path = _start_and_register(clerk)
    page = clerk.get(instance_path).get_data(as_text=True)
    assert "<dt>申报主体</dt><dd>县直单位</dd>" in page  # the submission in the trail, by titles and names
    text = _text(page)
    assert "判定适用范围" in text and "属于适用范围" in text  # Rule_Scope gave IN_SCOPE
    assert "县直单位" in text and "财政资金" in text and "是否涉密 否" in re.sub(r"\s+", " ", text)  # inputs, a flag
    assert "填报项目基本情况" in text and "青阳县示范申报单位" in text
    assert "青阳县示范申报单位经办人" in text  # the demo clerk who registered it, by display name
    for code in ("IN_SCOPE", "COUNTY_UNIT", "Task_Register", "Rule_Scope", "qingyang:demo_unit", "False",
                 "investmentWan", "qingyang_applicant_unit"):
        assert code not in text, code
    clerk.get("/lang/en")
    english = _text(clerk.get(instance_path).get_data(as_text=True))
    assert "Decisions" in english and re.search(r"是否涉密\s+No", english) and "isClassified" not in english


def test_error_pages_word_engine_errors_in_the_chosen_language(login: Login) -> None:
    clerk = login(APPLICANT)
    missing = clerk.get("/instances/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    page = missing.get_data(as_text=True)
    assert "未找到该流程实例，或您无权查看" in page and "does not exist" not in page
    clerk.get("/lang/en")
    assert "No such process instance, or not yours to see" in clerk.get(
        "/instances/00000000-0000-0000-0000-000000000000").get_data(as_text=True)
    assert "页面不存在" not in clerk.get("/no-such-page").get_data(as_text=True)
    clerk.get("/lang/zh")
    assert "页面不存在" in clerk.get("/no-such-page").get_data(as_text=True)


def test_a_refused_page_request_carries_the_worded_message(login: Login) -> None:
    clerk = login(APPLICANT)
    response = clerk.post("/tasks/00000000-0000-0000-0000-000000000000/complete", json={},
                          headers={"X-CSRF-Token": csrf_of(clerk)})
    assert response.status_code == 404
    assert response.json["text"] == "未找到该任务，或您无权查看"
    assert "does not exist" in response.json["message"]  # the API and logs keep the engine's words


def test_an_unkeyed_error_is_worded_by_its_class(app: Flask) -> None:
    with app.test_request_context("/"):
        assert error_text(NotFound("decision X is gone")) == "未找到您要的内容，或您无权查看"
        assert error_text(NotFound("t").keyed("error_task_claimed", user="nobody-known")) == "该任务已由nobody-known认领"


def test_the_migration_report_names_positions_and_words_reasons(app: Flask, login: Login) -> None:
    clerk = login(APPLICANT)
    _start_and_register(clerk)  # Rule_Scope (DT_QY_01) ran; the project waits at Task_DeptReview
    engine = app.extensions["govflow.engine"]
    texts = Bundle.from_jurisdiction(PROJECT_ROOT, "qingyang").as_texts()
    texts["dmn/DT_QY_01.dmn"] = texts["dmn/DT_QY_01.dmn"].replace('"POOLED_CAPITAL_CONSTRUCTION"]', '"OTHER"]', 1)
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        assert deploy_bundle(engine, session, Bundle.from_texts("qingyang", texts), "owner").created
    admin = login("admin")
    page = admin.post("/processes/qingyang_project/migrate", data={
        "to_version": "2", "action": "dry-run", "csrf_token": csrf_of(admin)}).get_data(as_text=True)
    report = _text(page.split('id="migration-report"', 1)[1].split("</table>", 1)[0].join(["<main>", ""]))
    assert "主管部门汇总审核" in report and "Task_DeptReview" not in report
    assert "判定适用范围" in report and "Rule_Scope" not in report and "changed after it ran" not in report
