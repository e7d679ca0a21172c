"""Every coded value a decision gives or tests has a name in its bundle; deploying refuses one without."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import Bundle, DeploymentError, Engine, NotFound, conventions, naming
from engine.settings import PROJECT_ROOT
from engine.spiff.compiler import compile_bundle
from engine.spiff.elements import read_elements
from engine.spiff.labels import is_period_or_date, label_problems, read_labels
from engine.usecases.users import create_user

from .helpers import SMOKE, deploy_smoke, unit

LABELS = f"forms/{conventions.VALUE_LABELS}"


def _with(changes: dict[str, str | None]) -> Bundle:
    files = dict(Bundle.from_directory(SMOKE).as_texts())
    for path, text in changes.items():
        if text is None:
            files.pop(path, None)
        else:
            files[path] = text
    return Bundle.from_texts("smoke", files)


def _labels_without(variable: str, value: str) -> str:
    document = json.loads((SMOKE / conventions.VALUE_LABELS).read_text(encoding="utf-8"))
    entry = document["properties"][variable]
    entry["oneOf"] = [option for option in entry["oneOf"] if option["const"] != value]
    return json.dumps(document, ensure_ascii=False)


def _problems(bundle: Bundle) -> list[tuple[str, int | None, str | None, str]]:
    return [(p.file, p.line, p.element, p.message) for p in label_problems(bundle, read_elements(bundle).checked())]


def test_the_shipped_bundles_name_every_value_their_decisions_give_or_test() -> None:
    assert _problems(Bundle.from_directory(SMOKE)) == []
    for jurisdiction in ("qingyang", "yunfu", "datong", "xichuan", "fengxian"):
        assert _problems(Bundle.from_jurisdiction(PROJECT_ROOT, jurisdiction)) == [], jurisdiction


def test_an_output_value_without_a_label_is_refused_at_its_file_table_and_rule() -> None:
    bundle = _with({LABELS: _labels_without("route", "SIMPLE")})
    assert _problems(bundle) == [(
        "dmn/DT_S_01.dmn", 8, "R2",
        "decision DT_S_01, table Table_S, rule 2 (R2): output route value 'SIMPLE' has no label; "
        "name it in forms/labels.schema.json under 'route'")]
    with pytest.raises(DeploymentError) as refused:
        compile_bundle(bundle)
    assert any(p.element == "R2" and "'SIMPLE'" in p.message for p in refused.value.problems)


def test_a_value_an_input_tests_needs_a_label_too_unless_a_form_names_it() -> None:
    assert [problem[2:] for problem in _problems(_with({LABELS: _labels_without("category", "service")}))] == [(
        "S2_R2", "decision DT_S_02, table Table_S2, rule 2 (S2_R2): input category value 'service' has no label; "
                 "name it in forms/labels.schema.json or the form field 'category'")]
    form = json.loads((SMOKE / "apply.schema.json").read_text(encoding="utf-8"))
    form["properties"]["category"] = {"type": "string", "title": "类别",
                                      "oneOf": [{"const": "service", "title": "购买服务"}]}
    named_by_form = _with({LABELS: _labels_without("category", "service"),
                           "forms/apply.schema.json": json.dumps(form, ensure_ascii=False)})
    assert _problems(named_by_form) == []


def test_a_bundle_without_a_labels_file_names_nothing() -> None:
    found = _problems(_with({LABELS: None}))
    assert {element for _, _, element, _ in found} == {"R1", "R2", "R3", "S2_R2", "S3_R1", "S3_R2"}


def test_periods_and_dates_are_worded_and_need_no_label() -> None:
    assert is_period_or_date("P3M") and is_period_or_date("P1Y6M") and is_period_or_date("2025-09-30")
    assert not is_period_or_date("PROHIBITED") and not is_period_or_date("P") and not is_period_or_date("REJECT")
    table = (SMOKE / "DT_S_01.dmn").read_text(encoding="utf-8").replace('"SIMPLE"', '"P6M"')
    assert _problems(_with({"dmn/DT_S_01.dmn": table})) == []


def test_a_malformed_labels_entry_is_refused() -> None:
    document = {"type": "object", "properties": {"route": {"type": "string", "enum": ["FULL"]},
                                                 "unit": {"oneOf": [{"const": "smoke:unit", "title": " "}]}}}
    messages = [message for file, _, _, message in _problems(_with({LABELS: json.dumps(document)}))
                if file == LABELS]
    assert messages == [
        'route: name its values as "oneOf": [{"const": value, "title": name}, …]',
        'unit: every entry needs a string "const" and a non-empty "title", not {"const": "smoke:unit", "title": " "}']


def test_read_labels_collects_values_units_groups_elements_and_decisions() -> None:
    bundle = Bundle.from_jurisdiction(PROJECT_ROOT, "qingyang")
    labels = read_labels(bundle, read_elements(bundle).checked())
    assert labels.value("approvalSteps", "COMBINED") == "合并编制，一次审批"
    assert labels.value("fundingMode", "CONSTRUCTION") == "政府投资建设"  # from the form's ui:enumNames
    assert labels.value(None, "FEASIBILITY_THEN_DESIGN") == "先审批可研，再审批初步设计和概算"
    assert labels.value("route", "NONE") is None  # not a value of route; ambiguous across variables
    assert labels.units["qingyang:demo_unit"] == "青阳县示范申报单位"
    assert labels.groups["qingyang:data_bureau"] == "县数据资源管理部门"
    assert labels.element("Task_Register") == "填报项目基本情况" and labels.element("Rule_Scope") == "判定适用范围"
    assert labels.jurisdiction == "青阳县"
    assert labels.titles["projectName"] == "项目名称" and "unit" not in labels.titles
    decision = labels.decisions["DT_QY_03"]
    assert decision.name.startswith("审批文件路径") and decision.outputs["approvalSteps"].startswith("审批步骤")
    assert decision.inputs["investmentWan"].startswith("投资额（万元）")


def test_names_for_finds_people_units_groups_jurisdictions_and_processes(
        engine: Engine, sessions: sessionmaker[Session]) -> None:
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        create_user(engine, session, "li", "a-long-password", groups=["smoke:applicant"], unit="smoke:unit",
                    display_name="李明")
    with unit(sessions) as session:
        names = naming.names_for(engine, session, process_id="smoke", people=["li", "ghost", None],
                                 units=["smoke:unit", "smoke:elsewhere"], groups=["smoke:applicant"],
                                 processes=["smoke_failing", "missing"])
    assert (names.person("li"), names.person("ghost")) == ("李明", "ghost")
    assert (names.unit("smoke:unit"), names.unit("smoke:elsewhere")) == ("试点单位", "smoke:elsewhere")
    assert names.group("smoke:applicant") == "建设单位"  # the first lane carrying the group names it
    assert names.process("smoke_failing") == "出错示例" and names.process("missing") == "missing"
    assert (names.element("Task_Apply"), names.element("Nowhere")) == ("申报", "Nowhere")
    assert names.labels.value("route", "FULL") == "完整程序"


def test_an_error_carries_a_message_key_and_its_arguments() -> None:
    error = NotFound("instance 42 does not exist").keyed("error_instance_not_found", id=42)
    assert (error.message, error.key, error.params) == ("instance 42 does not exist", "error_instance_not_found",
                                                         {"id": "42"})
    assert NotFound("x").key is None and NotFound("x").params == {}
