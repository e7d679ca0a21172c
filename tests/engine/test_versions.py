"""Drafts, validation before deploy, current versions, rollback and migration of the smoke bundle."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from engine import Bundle, Conflict, DeploymentError, Engine, InvalidInput, NotFound, PermissionDenied
from engine.store.models import AuditEvent
from engine.tools.cli import main
from engine.tools.testing import TESTER, ProcessHarness
from engine.usecases import drafts, migration
from engine.usecases.access import Actor
from engine.usecases.deployments import (
    deploy_bundle,
    get_version,
    list_versions,
    make_current,
    process_changes,
    version_history,
)
from engine.usecases.instances import start_project
from engine.usecases.state import load
from engine.usecases.tasks import claim, task_view
from engine.usecases.versiondiff import diff_versions

from .helpers import SMOKE, deploy_smoke, unit

OWNER = Actor("smoke_owner", role="process_owner", groups=frozenset({"smoke:data_bureau"}))
OTHER_OWNER = Actor("qy_owner", role="process_owner", groups=frozenset({"qingyang:data_bureau"}))
CLERK = Actor("smoke_clerk", groups=frozenset({"smoke:data_bureau"}))
ACCEPTANCE = "bpmn/acceptance.bpmn"


@pytest.fixture
def harness(database_url: str) -> Iterator[ProcessHarness]:
    """Return a harness with the smoke bundle deployed, closed after the test."""
    h = ProcessHarness([Bundle.from_directory(SMOKE, "smoke")], database_url=database_url)
    yield h
    h.close()


def _text(sessions: sessionmaker[Session], path: str) -> str:
    with unit(sessions) as session:
        return drafts.open_draft(session, OWNER, "smoke").files[path]


def test_a_draft_is_never_live_until_deployed(engine: Engine, sessions: sessionmaker[Session]) -> None:
    deploy_smoke(engine, sessions)
    xml = _text(sessions, ACCEPTANCE).replace('name="提交验收申请"', 'name="提交验收申请（新）"')
    with unit(sessions) as session:
        saved = drafts.save_file(engine, session, OWNER, "smoke", ACCEPTANCE, xml, None)
        assert (saved.revision, saved.changed) == (1, [ACCEPTANCE])
    with unit(sessions) as session:
        assert get_version(session, "smoke_acceptance").version == 1
        started = start_project(engine, session, TESTER, "smoke_acceptance")
        assert started.version == 1
    with unit(sessions) as session, pytest.raises(InvalidInput) as no_note:
        drafts.deploy_draft(engine, session, OWNER, "smoke", revision=1)
    assert no_note.value.errors[0].field == "note"
    with unit(sessions) as session:
        result = drafts.deploy_draft(engine, session, OWNER, "smoke", revision=1, tag="v2", note="改名")
        assert [(v.process_id, v.version) for v in result.new_versions] == [("smoke_acceptance", 2)]
        assert result.deployment.tag == "v2" and result.deployment.deployed_by == "smoke_owner"
    with unit(sessions) as session:
        assert get_version(session, "smoke_acceptance").version == 2
        assert drafts.open_draft(session, OWNER, "smoke").revision is None  # the draft is gone
        [event] = session.query(AuditEvent).filter_by(action="deploy").all()[-1:]
        assert event.data["tag"] == "v2" and event.data["note"] == "改名"


def test_stale_saves_conflict_and_nothing_is_lost(engine: Engine, sessions: sessionmaker[Session]) -> None:
    deploy_smoke(engine, sessions)
    xml = _text(sessions, ACCEPTANCE)
    with unit(sessions) as session:
        drafts.save_file(engine, session, OWNER, "smoke", ACCEPTANCE, xml.replace("开始", "开始A"), None)
    with unit(sessions) as session, pytest.raises(Conflict, match="saved by smoke_owner"):
        drafts.save_file(engine, session, OWNER, "smoke", ACCEPTANCE, xml.replace("开始", "开始B"), None)
    with unit(sessions) as session:
        assert "开始A" in drafts.open_draft(session, OWNER, "smoke").files[ACCEPTANCE]
        with pytest.raises(InvalidInput) as bad_path:
            drafts.save_file(engine, session, OWNER, "smoke", "../etc/passwd", "x", 1)
        assert bad_path.value.errors[0].field == "path"


def test_only_owners_of_the_jurisdiction_edit(engine: Engine, sessions: sessionmaker[Session]) -> None:
    deploy_smoke(engine, sessions)
    for outsider in (OTHER_OWNER, CLERK):
        with unit(sessions) as session, pytest.raises(PermissionDenied):
            drafts.open_draft(session, outsider, "smoke")
    with unit(sessions) as session, pytest.raises(NotFound):
        drafts.open_draft(session, Actor("root", role="admin"), "nowhere")


def test_problems_are_reported_at_their_element_and_nothing_deploys(engine: Engine,
                                                                      sessions: sessionmaker[Session]) -> None:
    deploy_smoke(engine, sessions)
    xml = _text(sessions, ACCEPTANCE)
    broken = (xml.replace('value="check.schema.json"/>', 'value="missing.schema.json"/>', 1)
              .replace('"P5D"', 'P5D').replace('value="smoke:data_bureau"', 'value="smoke:nobody"'))
    with unit(sessions) as session:
        drafts.save_file(engine, session, OWNER, "smoke", ACCEPTANCE, broken, None)
    with unit(sessions) as session:
        problems = drafts.validate_draft(engine, session, OWNER, "smoke")
    assert [(p.element, p.file) for p in problems] == [("Task_Submit", ACCEPTANCE)]
    assert "missing.schema.json" in problems[0].message and problems[0].line
    with unit(sessions) as session:
        fixed = broken.replace('value="missing.schema.json"/>', 'value="check.schema.json"/>')
        drafts.save_file(engine, session, OWNER, "smoke", ACCEPTANCE, fixed, 1)
    with unit(sessions) as session:
        messages = {p.element: p.message for p in drafts.validate_draft(engine, session, OWNER, "smoke")}
    assert "group 'smoke:nobody'" in messages["Lane_A_Bureau"]
    assert "P5D" in messages["Timer_Overdue"] and "no form field" in messages["Timer_Overdue"]
    with unit(sessions) as session, pytest.raises(DeploymentError):
        drafts.deploy_draft(engine, session, OWNER, "smoke", revision=2, note="坏的")
    with unit(sessions) as session:
        assert len(list_versions(session, "smoke_acceptance")) == 1


def test_rollback_makes_an_older_version_current_and_running_instances_stay(
        engine: Engine, sessions: sessionmaker[Session]) -> None:
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
        texts[ACCEPTANCE] = texts[ACCEPTANCE].replace("验收示例", "验收示例二")
        deploy_bundle(engine, session, Bundle.from_texts("smoke", texts), "owner", "v2")
        on_two = start_project(engine, session, TESTER, "smoke_acceptance").id
    with unit(sessions) as session:
        make_current(engine, session, "smoke_acceptance", 1, "admin")
    with unit(sessions) as session:
        assert start_project(engine, session, TESTER, "smoke_acceptance").version == 1
        row, _ = load(engine, session, on_two)
        assert row.process_version.version == 2
        event = session.query(AuditEvent).filter_by(action="make-current").one()
        assert event.data == {"process": "smoke_acceptance", "from_version": 2, "to_version": 1, "rollback": True}


def test_migration_keeps_the_original_timer_deadline(harness: ProcessHarness) -> None:
    run = harness.start("smoke_acceptance")
    due = run.instance().next_timer_due_at
    harness.clock.advance(days=3)
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    texts[ACCEPTANCE] = texts[ACCEPTANCE].replace('name="提交验收申请"', 'name="提交验收申请（修订）"')
    assert harness.deploy(Bundle.from_texts("smoke", texts)) == {"smoke_acceptance": 2}
    [moved] = harness.migrate("smoke_acceptance", 2).movable
    assert moved.instance_id == run.id
    moved_instance = run.instance()
    assert moved_instance.version == 2 and moved_instance.next_timer_due_at == due
    assert run.task("Task_Submit").name == "提交验收申请（修订）"  # the open task shows the new wording
    assert harness.advance(days=2, seconds=1) == [run.id]  # fires on the first deadline, not 5 days later
    assert sorted(run.waiting()) == ["Task_Escalate", "Task_Submit"]


def test_cli_diff_make_current_and_migrate(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVFLOW_DATABASE_URL", database_url)
    runner = CliRunner()

    def govflow(*args: str) -> Any:
        result = runner.invoke(main, list(args))
        assert result.exit_code == 0, result.output + result.stderr
        return json.loads(result.stdout)

    govflow("init-db")
    govflow("deploy", "--json", "--from", str(SMOKE))
    govflow("users", "create", "ops", "--password", "ops-password", "--role", "admin", "--unit", "smoke:unit")
    started = govflow("start", "smoke_acceptance", "--actor", "ops")["id"]
    changed = tmp_path / "smoke"
    shutil.copytree(SMOKE, changed)
    path = changed / "acceptance.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace('name="超期督办"', 'name="超期督办（升级）"'),
                    encoding="utf-8")
    govflow("deploy", "--json", "--from", str(changed))
    [change] = govflow("diff", "smoke_acceptance", "1", "2")["changes"]
    assert (change["where"], change["details"]) == ("Task_Escalate", ["label: 超期督办 → 超期督办（升级）"])
    dry = govflow("migrate", "--process", "smoke_acceptance", "--to-version", "2", "--dry-run")
    assert (dry["movable"], dry["instances"][0]["instance_id"]) == (1, started)
    assert govflow("instance", started)["version"] == 1
    done = govflow("migrate", "--process", "smoke_acceptance", "--to-version", "2", "--instance", started)
    assert done["movable"] == 1 and govflow("instance", started)["version"] == 2
    again = govflow("migrate", "--process", "smoke_acceptance", "--to-version", "2", "--instance", started,
                    "--instance", "nope")
    assert [i["can_migrate"] for i in again["instances"]] == [False, False]
    assert govflow("make-current", "--process", "smoke_acceptance", "--version", "1")["version"] == 1


def test_a_draft_opened_before_another_deploy_cannot_overwrite_it(engine: Engine,
                                                                   sessions: sessionmaker[Session]) -> None:
    deploy_smoke(engine, sessions)
    xml = _text(sessions, ACCEPTANCE)
    with unit(sessions) as session:
        drafts.save_file(engine, session, OWNER, "smoke", ACCEPTANCE, xml.replace("开始", "开始（草稿）"), None)
    with unit(sessions) as session:  # meanwhile the bundle is deployed from the command line
        texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
        texts[ACCEPTANCE] = texts[ACCEPTANCE].replace("验收示例", "验收示例（命令行）")
        deploy_bundle(engine, session, Bundle.from_texts("smoke", texts), "ops", "hotfix")
    with unit(sessions) as session, pytest.raises(Conflict, match="deployed again"):
        drafts.deploy_draft(engine, session, OWNER, "smoke", revision=1, note="草稿")
    with unit(sessions) as session:
        assert get_version(session, "smoke_acceptance").version == 2


def test_migration_is_blocked_when_a_passed_step_now_requires_a_field_the_instance_never_gave(
        harness: ProcessHarness) -> None:
    run = harness.start("smoke")
    run.complete("Task_Apply", {"investmentWan": 120, "signedOn": "2025-01-06"})
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    # Version 2 renames the applicant's field; a later decision reading the new name would find nothing.
    texts["forms/apply.schema.json"] = texts["forms/apply.schema.json"].replace("investmentWan", "totalWan")
    texts["dmn/DT_S_01.dmn"] = texts["dmn/DT_S_01.dmn"].replace("investmentWan", "totalWan")
    assert harness.deploy(Bundle.from_texts("smoke", texts)) == {"smoke": 2}
    report = harness.migrate("smoke", 2, dry_run=True)
    [blocked] = report.blocked
    assert blocked.instance_id == run.id
    assert ("Task_Apply already ran, and its form in version 2 requires totalWan, which this instance never "
            "collected") in map(str, blocked.reasons)
    fresh = harness.start("smoke", version=1)
    assert [c.instance_id for c in harness.migrate("smoke", 2, [fresh.id]).movable] == [fresh.id]


def test_version_history_changes_and_diffs_are_for_the_jurisdiction_and_administrators_only(
        engine: Engine, sessions: sessionmaker[Session]) -> None:
    deploy_smoke(engine, sessions)
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    texts["bpmn/smoke.bpmn"] = texts["bpmn/smoke.bpmn"].replace('name="申报"', 'name="申报（修订）"')
    with unit(sessions) as session:
        deploy_bundle(engine, session, Bundle.from_texts("smoke", texts), "owner")
    own = Actor("smoke_clerk", groups=frozenset({"smoke:applicant"}), unit="smoke:unit")
    other = Actor("qy_clerk", groups=frozenset({"qingyang:applicant_unit"}), unit="qingyang:unit")
    with unit(sessions) as session:
        for actor in (own, TESTER):
            assert [v.version for v in version_history(session, actor, "smoke")] == [2, 1]
            assert process_changes(session, actor, "smoke")
            assert diff_versions(session, actor, "smoke", 1, 2).changes
        for reader in (lambda: version_history(session, other, "smoke"),
                       lambda: process_changes(session, other, "smoke"),
                       lambda: diff_versions(session, other, "smoke", 1, 2)):
            with pytest.raises(NotFound, match="process smoke is not deployed"):
                reader()


def test_an_open_clerk_task_that_becomes_a_script_blocks_migration_and_keeps_its_claim(
        harness: ProcessHarness) -> None:
    run = harness.start("smoke_acceptance")
    with unit(harness.sessions) as session:
        claim(harness.engine, session, TESTER, run.task("Task_Submit").id)
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    texts[ACCEPTANCE] = texts[ACCEPTANCE].replace(
        '<bpmn:userTask id="Task_Submit" name="提交验收申请">', '<bpmn:scriptTask id="Task_Submit" name="提交验收申请">'
    ).replace(
        '<bpmn:incoming>FA1</bpmn:incoming><bpmn:outgoing>FA2</bpmn:outgoing></bpmn:userTask>',
        '<bpmn:incoming>FA1</bpmn:incoming><bpmn:outgoing>FA2</bpmn:outgoing>'
        '<bpmn:script>confirmed = True</bpmn:script></bpmn:scriptTask>')
    assert harness.deploy(Bundle.from_texts("smoke", texts)) == {"smoke_acceptance": 2}
    [blocked] = harness.migrate("smoke_acceptance", 2, dry_run=True).blocked
    assert tuple(map(str, blocked.reasons)) == (
        "Task_Submit「提交验收申请」 waits for a clerk, and in version 2 it is a script task, "
        "which would run at once and drop the open task and its claim",)
    assert blocked.reasons[0].text_zh == ("「提交验收申请」正等待办理，版本 2 把它改成了脚本任务，迁移会让它立即自动执行，"
                                          "待办任务和认领都会丢失")
    assert not harness.migrate("smoke_acceptance", 2).movable
    assert run.instance().version == 1 and run.task("Task_Submit").assignee == TESTER.username


def test_passed_steps_keep_the_forms_that_ran_them_after_a_form_file_is_renamed(harness: ProcessHarness) -> None:
    run = harness.start("smoke_acceptance")
    run.complete("Task_Submit", {"confirmed": True})
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    # Version 2 gives the submission a form file of its own, its field retitled.
    texts["forms/submit.schema.json"] = texts["forms/check.schema.json"].replace(
        '"required":["confirmed"]', '"required":[]').replace("confirmed", "materialsChecked").replace("已核对", "材料已核对")
    texts[ACCEPTANCE] = texts[ACCEPTANCE].replace('"check.schema.json"', '"submit.schema.json"', 1)
    texts["forms/check.schema.json"] = texts["forms/check.schema.json"].replace("已核对", "已复核")
    assert harness.deploy(Bundle.from_texts("smoke", texts)) == {"smoke_acceptance": 2, "smoke_failing": 2}
    [moved] = harness.migrate("smoke_acceptance", 2).movable
    assert moved.instance_id == run.id and run.instance().version == 2
    with unit(harness.sessions) as session:
        view = task_view(harness.engine, session, TESTER, run.task("Task_Accept").id)
    [submitted] = [step for step in view.earlier if step.task.spec_id == "Task_Submit"]
    assert submitted.fields == (("已核对", "是"),)  # the title of the form that ran it


def test_the_diff_lists_every_change_that_makes_a_new_version_once(harness: ProcessHarness) -> None:
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    texts["forms/apply.schema.json"] = texts["forms/apply.schema.json"].replace(
        '"title":"签订日期"', '"title":"签订日期","minLength":10').replace("投资额（万元）", "总投资（万元）")
    texts["dmn/DT_S_01.dmn"] = texts["dmn/DT_S_01.dmn"].replace(
        "<text>investmentWan</text>", "<text>investmentWan * 1</text>").replace(
        'hitPolicy="FIRST"', 'hitPolicy="UNIQUE"')
    texts[ACCEPTANCE] = texts[ACCEPTANCE].replace('cancelActivity="false"', 'cancelActivity="true"')
    assert harness.deploy(Bundle.from_texts("smoke", texts)) == {"smoke": 2, "smoke_acceptance": 2}
    with unit(harness.sessions) as session:
        smoke = diff_versions(session, TESTER, "smoke", 1, 2)
        acceptance = diff_versions(session, TESTER, "smoke_acceptance", 1, 2)
    details = {c.where: c.details for c in smoke.changes}
    assert details["apply.schema.json#signedOn"] == ("minLength: — → 10",)
    assert details["apply.schema.json#investmentWan"] == ("label: 投资额（万元） → 总投资（万元）",)  # once
    assert details["DT_S_01"] == ("hitPolicy: FIRST → UNIQUE",
                                  'inputs: ["投资: investmentWan"] → ["投资: investmentWan * 1"]')
    assert {c.where: c.details for c in acceptance.changes}["Timer_Overdue"] == ("cancelActivity: false → true",)


def test_a_step_completed_during_a_batch_migration_blocks_only_that_instance(
        harness: ProcessHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    busy, calm = harness.start("smoke_acceptance"), harness.start("smoke_acceptance")
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    texts[ACCEPTANCE] = texts[ACCEPTANCE].replace('name="提交验收申请"', 'name="提交验收申请（修订）"')
    assert harness.deploy(Bundle.from_texts("smoke", texts)) == {"smoke_acceptance": 2}
    real_try = migration._try

    def clerk_completes_meanwhile(engine: Engine, target: Any, row: Any) -> Any:
        outcome = real_try(engine, target, row)
        if getattr(row, "id", None) == busy.id:
            busy.complete("Task_Submit", {"confirmed": True})  # committed by another unit of work
        return outcome

    monkeypatch.setattr(migration, "_try", clerk_completes_meanwhile)
    report = harness.migrate("smoke_acceptance", 2)
    assert [c.instance_id for c in report.movable] == [calm.id]
    [blocked] = report.blocked
    assert blocked.instance_id == busy.id and "changed while it was being migrated" in str(blocked.reasons[0])
    assert calm.instance().version == 2
    assert busy.instance().version == 1 and "Task_Submit" in busy.path()  # the clerk's work is kept


def test_a_claimed_task_moved_to_another_agency_is_flagged_in_the_dry_run_and_released(harness: ProcessHarness) -> None:
    run = harness.start("smoke_acceptance")
    with unit(harness.sessions) as session:
        claim(harness.engine, session, TESTER, run.task("Task_Submit").id)
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    # Version 2 hands the submission to the data bureau's lane.
    texts[ACCEPTANCE] = texts[ACCEPTANCE].replace(
        "<bpmn:flowNodeRef>Task_Submit</bpmn:flowNodeRef>", "").replace(
        "<bpmn:flowNodeRef>Timer_Overdue</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>Task_Submit</bpmn:flowNodeRef><bpmn:flowNodeRef>Timer_Overdue</bpmn:flowNodeRef>")
    assert harness.deploy(Bundle.from_texts("smoke", texts)) == {"smoke_acceptance": 2}
    [check] = harness.migrate("smoke_acceptance", 2, dry_run=True).movable
    assert tuple(map(str, check.notes)) == ("Task_Submit「提交验收申请」 moves from smoke:applicant to smoke:data_bureau; "
                                           "tester's claim is released",)
    assert check.notes[0].text_zh == "「提交验收申请」改由数据局办理（原为建设单位），tester 的认领随之解除"
    assert check.position_names == ("提交验收申请",)
    assert run.task("Task_Submit").assignee == TESTER.username  # a dry run changes nothing
    harness.migrate("smoke_acceptance", 2)
    moved = run.task("Task_Submit")
    assert (moved.candidate_group, moved.assignee) == ("smoke:data_bureau", None)


def test_a_timer_due_before_a_migration_fires_through_the_timer_path_first(harness: ProcessHarness) -> None:
    run = harness.start("smoke_acceptance")
    harness.clock.advance(days=6)  # the five-day reminder is due, and nobody has fired it yet
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    texts[ACCEPTANCE] = texts[ACCEPTANCE].replace('name="提交验收申请"', 'name="提交验收申请（修订）"')
    assert harness.deploy(Bundle.from_texts("smoke", texts)) == {"smoke_acceptance": 2}
    [moved] = harness.migrate("smoke_acceptance", 2).movable
    assert moved.instance_id == run.id
    with unit(harness.sessions) as session:
        actions = [e.action for e in session.query(AuditEvent).filter_by(instance_id=run.id).order_by(
            AuditEvent.id)]
    assert actions.index("timer") < actions.index("migrate")
    assert sorted(run.waiting()) == ["Task_Escalate", "Task_Submit"]
