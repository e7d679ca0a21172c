"""Deploying bundles: immutable versions, idempotence, and rejections that deploy nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import Bundle, DeploymentError, Engine, NotFound
from engine.store.models import Deployment, ProcessVersion
from engine.usecases.deployments import deploy_bundle, get_version, list_versions

SMOKE = Path(__file__).parent.parent / "data" / "bundles" / "smoke"


@pytest.fixture
def bundle_dir(tmp_path: Path) -> Path:
    target = tmp_path / "smoke"
    shutil.copytree(SMOKE, target)
    return target


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_deploy_stores_one_version_per_process_with_lanes(engine: Engine, session: Session, bundle_dir: Path) -> None:
    result = deploy_bundle(engine, session, Bundle.from_directory(bundle_dir), "owner")
    assert result.created
    assert sorted(v.process_id for v in result.new_versions) == [
        "smoke", "smoke_accept_loop", "smoke_acceptance", "smoke_failing"]
    version = get_version(session, "smoke")
    assert (version.version, version.created_by, version.bundle) == (1, "owner", "smoke")
    assert version.lanes == {"smoke": {"申请单位": "smoke:applicant"}}
    caller = get_version(session, "smoke_acceptance")
    assert caller.lanes == {"smoke_acceptance": {"建设单位": "smoke:applicant", "数据局": "smoke:data_bureau"},
                            "smoke_accept_loop": {"数据局": "smoke:data_bureau", "建设单位": "smoke:applicant"}}
    assert '"spec"' in version.spec_json
    assert sorted(result.deployment.files) == [
        "bpmn/acceptance.bpmn", "bpmn/failing.bpmn", "bpmn/smoke.bpmn", "dmn/DT_S_01.dmn", "dmn/DT_S_02.dmn", "dmn/DT_S_03.dmn",
        "forms/accept.schema.json", "forms/apply.schema.json", "forms/check.schema.json",
        "forms/divide.schema.json", "forms/labels.schema.json", "forms/rectify.schema.json"]
    assert [d.decision_id for d in result.new_decisions] == ["DT_S_01", "DT_S_02", "DT_S_03"]


def test_identical_content_creates_no_new_version(engine: Engine, session: Session, bundle_dir: Path) -> None:
    deploy_bundle(engine, session, Bundle.from_directory(bundle_dir), "owner")
    again = deploy_bundle(engine, session, Bundle.from_directory(bundle_dir), "owner")
    assert not again.created
    assert _count(session, Deployment) == 1
    assert [v.version for v in list_versions(session, "smoke")] == [1]


def test_changing_one_process_versions_only_that_process(engine: Engine, session: Session, bundle_dir: Path) -> None:
    deploy_bundle(engine, session, Bundle.from_directory(bundle_dir), "owner")
    path = bundle_dir / "smoke.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace('name="审核"', 'name="复核"'), encoding="utf-8")
    result = deploy_bundle(engine, session, Bundle.from_directory(bundle_dir), "owner2")
    assert [(v.process_id, v.version) for v in result.new_versions] == [("smoke", 2)]
    assert [v.process_id for v in result.unchanged] == ["smoke_accept_loop", "smoke_acceptance", "smoke_failing"]
    assert get_version(session, "smoke").version == 2
    assert get_version(session, "smoke", 1).version == 1


def test_changing_a_form_versions_the_process_that_uses_it(engine: Engine, session: Session,
                                                           bundle_dir: Path) -> None:
    deploy_bundle(engine, session, Bundle.from_directory(bundle_dir), "owner")
    path = bundle_dir / "check.schema.json"
    path.write_text(path.read_text(encoding="utf-8").replace("已核对", "已经核对"), encoding="utf-8")
    result = deploy_bundle(engine, session, Bundle.from_directory(bundle_dir), "owner")
    assert [(v.process_id, v.version) for v in result.new_versions] == [("smoke_acceptance", 2),
                                                                        ("smoke_failing", 2)]


def test_changing_a_decision_versions_the_decision_and_its_caller(engine: Engine, session: Session,
                                                                  bundle_dir: Path) -> None:
    deploy_bundle(engine, session, Bundle.from_directory(bundle_dir), "owner")
    path = bundle_dir / "DT_S_01.dmn"
    path.write_text(path.read_text(encoding="utf-8").replace("&gt;= 500", "&gt;= 300"), encoding="utf-8")
    result = deploy_bundle(engine, session, Bundle.from_directory(bundle_dir), "owner")
    assert [(d.decision_id, d.version) for d in result.new_decisions] == [("DT_S_01", 2)]
    assert [(v.process_id, v.version) for v in result.new_versions] == [("smoke", 2)]


def _rejected(engine: Engine, session: Session, bundle_dir: Path) -> DeploymentError:
    with pytest.raises(DeploymentError) as caught:
        deploy_bundle(engine, session, Bundle.from_directory(bundle_dir), "owner")
    assert _count(session, Deployment) == 0
    assert _count(session, ProcessVersion) == 0
    return caught.value


def test_xxe_payload_is_rejected_without_reading_the_file(engine: Engine, session: Session, bundle_dir: Path,
                                                          tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    path = bundle_dir / "smoke.bpmn"
    text = path.read_text(encoding="utf-8")
    text = text.replace('<?xml version="1.0" encoding="UTF-8"?>',
                        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>')
    text = text.replace("<bpmn:script>", "<bpmn:script>&xxe;")
    text = text.replace('name="审核"', 'name="审核"><bpmn:documentation>&xxe;</bpmn:documentation')
    path.write_text(text, encoding="utf-8")
    error = _rejected(engine, session, bundle_dir)
    problem = error.problems[0]
    assert problem.file == "bpmn/smoke.bpmn"
    assert problem.line == 2
    assert "DOCTYPE" in problem.message
    assert "TOP-SECRET-VALUE" not in str(error)


def test_malformed_xml_names_file_and_line(engine: Engine, session: Session, bundle_dir: Path) -> None:
    path = bundle_dir / "smoke.bpmn"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[9] = lines[9].replace("</bpmn:startEvent>", "")
    path.write_text("\n".join(lines), encoding="utf-8")
    problem = _rejected(engine, session, bundle_dir).problems[0]
    assert problem.file == "bpmn/smoke.bpmn"
    assert problem.line is not None and problem.line >= 10


def test_oversized_file_is_rejected(engine: Engine, session: Session, bundle_dir: Path) -> None:
    small = Engine(engine.settings.__class__(database_url=engine.settings.database_url, max_file_bytes=1000))
    with pytest.raises(DeploymentError, match="over the limit"):
        deploy_bundle(small, session, Bundle.from_directory(bundle_dir), "owner")


def test_missing_form_names_the_element(engine: Engine, session: Session, bundle_dir: Path) -> None:
    (bundle_dir / "check.schema.json").unlink()
    problems = {p.element: p for p in _rejected(engine, session, bundle_dir).problems}
    assert {"Task_Check", "Task_Submit", "Task_Escalate"} <= set(problems)
    assert problems["Task_Check"].file == "bpmn/failing.bpmn"
    assert problems["Task_Check"].line is not None
    assert "check.schema.json" in problems["Task_Check"].message


def test_invalid_json_schema_names_the_file(engine: Engine, session: Session, bundle_dir: Path) -> None:
    (bundle_dir / "check.schema.json").write_text('{"type": "object", "properties": {"a": {"type": "nope"}}}')
    problem = _rejected(engine, session, bundle_dir).problems[0]
    assert problem.file == "forms/check.schema.json"
    assert "properties/a/type" in problem.message


def test_a_form_nested_too_deep_is_named_not_a_crash(engine: Engine, session: Session, bundle_dir: Path) -> None:
    (bundle_dir / "check.schema.json").write_text('{"type": "object", "x": ' + "[" * 50_000 + "]" * 50_000 + "}")
    problem = _rejected(engine, session, bundle_dir).problems[0]
    assert (problem.file, problem.message) == ("forms/check.schema.json", "nests deeper than 32 levels")


@pytest.mark.parametrize(("file_name", "old", "new", "element", "line", "what"), [
    ("failing.bpmn", "ratio = 100 / divisor", "ratio = __import__('os').getcwd()", "Task_Divide", 13, "script"),
    ("failing.bpmn", "ratio = 100 / divisor", "ratio = 100 /", "Task_Divide", 13, "script"),
    ("DT_S_01.dmn", '"FULL"', "__import__('os').system('id')", "R1", 7, "rule 1 output"),
    ("DT_S_01.dmn", "&gt;= 500", "&gt;= ().__class__", "R1", 7, "rule 1 input entry"),
])
def test_code_the_sandbox_would_refuse_is_refused_at_deploy_at_its_element_and_line(
        engine: Engine, session: Session, bundle_dir: Path, file_name: str, old: str, new: str, element: str,
        line: int, what: str) -> None:
    path = bundle_dir / file_name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    [problem] = _rejected(engine, session, bundle_dir).problems
    assert (problem.element, problem.line) == (element, line)
    assert problem.message.startswith(f"{what} cannot run: ")


def test_decision_without_catch_all_rule_is_rejected(engine: Engine, session: Session, bundle_dir: Path) -> None:
    path = bundle_dir / "DT_S_01.dmn"
    text = path.read_text(encoding="utf-8")
    start = text.index('<rule id="R3">')
    path.write_text(text[:start] + text[text.index("</rule>", start) + len("</rule>"):], encoding="utf-8")
    problem = _rejected(engine, session, bundle_dir).problems[0]
    assert (problem.file, problem.element) == ("dmn/DT_S_01.dmn", "R2")
    assert "catch-all" in problem.message


def test_missing_decision_names_the_business_rule_task(engine: Engine, session: Session, bundle_dir: Path) -> None:
    (bundle_dir / "DT_S_01.dmn").unlink()
    problem = _rejected(engine, session, bundle_dir).problems[0]
    assert problem.element == "Rule"
    assert "DT_S_01" in problem.message


def test_lane_without_candidate_group_is_rejected(engine: Engine, session: Session, bundle_dir: Path) -> None:
    path = bundle_dir / "failing.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace('name="candidateGroup"', 'name="group"'))
    problem = _rejected(engine, session, bundle_dir).problems[0]
    assert problem.element == "Task_Check"
    assert "candidateGroup" in problem.message


def test_xsd_violation_names_file_and_line(engine: Engine, session: Session, bundle_dir: Path) -> None:
    path = bundle_dir / "smoke.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace("<bpmn:userTask id=\"Task_Review\"",
                                                             "<bpmn:userTask bogus=\"1\" id=\"Task_Review\""))
    problem = _rejected(engine, session, bundle_dir).problems[0]
    assert problem.file == "bpmn/smoke.bpmn"
    assert problem.line is not None
    assert "bogus" in problem.message


def test_bad_timer_expression_is_rejected(engine: Engine, session: Session, bundle_dir: Path) -> None:
    path = bundle_dir / "smoke.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace("deadline(add_working_days(signedOn, 5))",
                                                             "deadline(add_working_days(signedOn, 5)"))
    problem = _rejected(engine, session, bundle_dir).problems[0]
    assert problem.element == "Timer"


def test_reserved_element_ids_are_rejected(engine: Engine, session: Session, bundle_dir: Path) -> None:
    path = bundle_dir / "failing.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace("StartEvent_F", "Start"))
    problem = _rejected(engine, session, bundle_dir).problems[0]
    assert problem.element == "Start"
    assert "reserved" in problem.message


def test_unknown_version_is_not_found(engine: Engine, session: Session) -> None:
    with pytest.raises(NotFound):
        get_version(session, "nope")


def test_a_folder_laid_out_like_the_repository_deploys_as_the_same_bundle(tmp_path: Path) -> None:
    for kind, pattern in (("bpmn", "*.bpmn"), ("dmn", "*.dmn"), ("forms", "*.json")):
        (tmp_path / "laid_out" / kind).mkdir(parents=True)
        for source in SMOKE.glob(pattern):
            shutil.copy(source, tmp_path / "laid_out" / kind / source.name)
    laid_out = Bundle.from_directory(tmp_path / "laid_out", "smoke")
    assert laid_out.as_texts() == Bundle.from_directory(SMOKE, "smoke").as_texts()


def test_redeploying_older_content_says_it_is_not_current_and_how_to_go_back(engine: Engine, session: Session,
                                                                              bundle_dir: Path) -> None:
    first = Bundle.from_directory(bundle_dir, "smoke")
    deploy_bundle(engine, session, first, "owner")
    assert deploy_bundle(engine, session, first, "owner").notice == \
        "this content was deployed before and is current; nothing changed"
    acceptance = bundle_dir / "acceptance.bpmn"
    acceptance.write_text(acceptance.read_text(encoding="utf-8").replace('name="提交验收申请"', 'name="提交申请"'),
                          encoding="utf-8")
    assert deploy_bundle(engine, session, Bundle.from_directory(bundle_dir, "smoke"), "owner").created
    again = deploy_bundle(engine, session, first, "owner")
    assert not again.created
    assert [(v.process_id, v.version) for v in again.not_current] == [("smoke_acceptance", 1)]
    assert again.notice.startswith("this content was deployed before as smoke_acceptance version 1, which new "
                                   "instances no longer start on; to go back to it, make it current")
