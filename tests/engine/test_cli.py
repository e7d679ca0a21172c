"""The govflow command: JSON out, one-line JSON errors and non-zero exits on bad input."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.tools.cli import main

from .helpers import SMOKE


@pytest.fixture
def govflow(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("GOVFLOW_DATABASE_URL", database_url)
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> Any:
        result = runner.invoke(main, list(args))
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
            return json.loads(result.stdout)
        assert result.exit_code != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        return json.loads(lines[0])

    run("init-db")
    # An administrator who starts projects for a unit, and a clerk of the smoke bundle's applicant group.
    run("users", "create", "ops", "--password", "ops-password", "--role", "admin", "--unit", "smoke:unit")
    run("users", "create", "alice", "--password", "alice-password", "--groups", "smoke:applicant")
    return run


def test_deploy_start_complete_and_inspect(govflow: Any) -> None:
    [deployed] = govflow("deploy", "--json", "--from", str(SMOKE), "--actor", "ops")
    assert deployed["created"] is True and deployed["deployment"]["deployed_by"] == "ops"
    assert [v["process_id"] for v in govflow("versions", "smoke")] == ["smoke"]
    assert govflow("deploy", "--json", "--from", str(SMOKE))[0]["created"] is False
    started = govflow("start", "smoke", "--data", "{}", "--business-key", "QY-2025-001", "--actor", "ops")
    [task] = started["tasks"]
    assert task["candidate_group"] == "smoke:applicant"
    assert [t["id"] for t in govflow("tasks", "--actor", "alice")] == [task["id"]]
    assert govflow("claim", task["id"], "--actor", "alice")["assignee"] == "alice"
    done = govflow("complete", task["id"], "--actor", "alice", "--data",
                   '{"investmentWan": 12.5, "signedOn": "2025-09-30"}')
    assert done["task"]["status"] == "completed"
    assert done["instance"]["status"] in {"waiting", "running"}
    shown = govflow("instance", started["id"])
    assert [a["action"] for a in shown["audit"]] == ["start", "claim", "complete", "decide"]
    decided = shown["audit"][-1]
    assert decided["data"]["inputs"] == [{"label": "投资", "expression": "investmentWan", "value": "12.5"}]
    assert decided["data"]["outputs"]
    assert govflow("instances", "--business-key", "QY-2025-001")[0]["id"] == started["id"]


def test_timers_fire_at_the_given_time(govflow: Any) -> None:
    govflow("deploy", "--json", "--from", str(SMOKE))
    started = govflow("start", "smoke_acceptance", "--actor", "ops")
    assert govflow("fire-timers", "--now", "2000-01-01T00:00:00+08:00")["fired"] == []
    fired = govflow("fire-timers", "--now", "2100-01-01T00:00:00+08:00")["fired"]
    assert [f["id"] for f in fired] == [started["id"]]
    assert govflow("fire-timers", "--now", "2025-10-15", ok=False)["error"] == "InvalidInput"


def test_decide_and_calendar(govflow: Any) -> None:
    govflow("deploy", "--json", "--from", str(SMOKE))
    assert govflow("decide", "DT_S_01", "investmentWan=500")["outputs"] == {"route": "FULL"}
    error = govflow("decide", "DT_S_01", "investmentWan=lots", ok=False)
    assert error["fields"][0]["field"] == "investmentWan"
    assert govflow("decide", "DT_S_01", "investmentWan", ok=False)["error"] == "InvalidInput"
    assert govflow("decide", "DT_S_01", ok=False)["fields"] == [
        {"field": "investmentWan", "message": "规则第 1 行需要此输入才能判断本例"}]
    assert govflow("calendar", "add-working-days", "2025-09-30", "5")["result"] == "2025-10-14"
    assert govflow("calendar", "add-days", "2025-09-30", "30")["result"] == "2025-10-30"
    assert govflow("calendar", "add-months", "2025-01-31", "1")["result"] == "2025-02-28"
    assert govflow("calendar", "add-working-days", "2025-02-30", "5", ok=False)["fields"][0]["field"] == "date"
    assert govflow("calendar", "add-working-days", "2025-02-03", "x", ok=False)["error"] == "CalendarError"


def test_errors_are_one_json_line(govflow: Any, tmp_path: Any) -> None:
    assert govflow("start", "nope", "--actor", "ops", ok=False)["error"] == "NotFound"
    assert govflow("start", "smoke", "--data", "{bad", "--actor", "ops", ok=False)["error"] == "InvalidInput"
    assert govflow("deploy", "--json", ok=False)["error"] == "InvalidInput"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.bpmn").write_text("<nope>")
    problem = govflow("deploy", "--json", "--from", str(bad), ok=False)["problems"][0]
    assert problem["file"] == "bpmn/x.bpmn"
    assert govflow("complete", "nope", "--actor", "alice", "--data", "{}", ok=False)["error"] == "NotFound"


def test_invalid_form_data_exits_non_zero_and_changes_nothing(govflow: Any) -> None:
    govflow("deploy", "--json", "--from", str(SMOKE))
    task = govflow("start", "smoke", "--actor", "ops")["tasks"][0]
    error = govflow("complete", task["id"], "--actor", "alice", "--data", '{"investmentWan": "many"}', ok=False)
    assert error["fields"] == [{"field": "investmentWan", "message": "「投资额（万元）」应填写数字"}]
    assert [t["status"] for t in govflow("tasks", "--actor", "alice")] == ["ready"]


def test_commands_act_as_an_existing_user_through_the_same_checks(govflow: Any) -> None:
    govflow("deploy", "--json", "--from", str(SMOKE))
    assert govflow("deploy", "--json", "--from", str(SMOKE), "--actor", "nobody", ok=False)["error"] == "NotAuthenticated"
    assert govflow("start", "smoke", "--actor", "alice", ok=False)["error"] == "PermissionDenied"
    task = govflow("start", "smoke", "--actor", "ops")["tasks"][0]
    assert govflow("assign", task["id"], "--to", "alice", "--actor", "alice", ok=False)["error"] == "PermissionDenied"
    assert govflow("assign", task["id"], "--to", "alice")["assignee"] == "alice"  # the system administrator
    assert govflow("cancel", task["instance_id"], "--actor", "alice", "--reason", "重复",
                   ok=False)["error"] == "PermissionDenied"
    assert govflow("cancel", task["instance_id"], "--reason", "重复")["status"] == "cancelled"


def test_an_input_no_rule_needs_for_the_case_may_be_left_out(govflow: Any) -> None:
    govflow("deploy", "--json", "--from", str(SMOKE))
    # Row 1: urgent; row 2: category "service" with more than 2 copies; row 3: signed before 2025; row 4: the rest.
    assert govflow("decide", "DT_S_02", "urgent=true")["outputs"] == {"deadlineDays": 3}
    assert govflow("decide", "DT_S_02", "urgent=false", "category=goods", "signedOn=2025-06-01")["outputs"] == \
        {"deadlineDays": 15}
    assert govflow("decide", "DT_S_02", "urgent=false", "category=service", "copies=1",
                   "signedOn=2025-06-01")["outputs"] == {"deadlineDays": 15}
    refused = govflow("decide", "DT_S_02", "urgent=false", "category=goods", ok=False)
    assert refused["fields"] == [{"field": "signedOn", "message": "规则第 3 行需要此输入才能判断本例"}]
    both = govflow("decide", "DT_S_02", "urgent=false", ok=False)
    assert [f["field"] for f in both["fields"]] == ["category", "copies"]


def test_the_readme_decision_examples_run_as_written(govflow: Any) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    examples = [line.split("#")[0].split()[1:] for line in readme.splitlines() if line.startswith("govflow decide ")]
    assert examples
    govflow("deploy", "--json", "--all")
    for example in examples:
        assert govflow(*example)["outputs"], example


def test_deploy_prints_one_line_per_bundle_unless_asked_for_json(database_url: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVFLOW_DATABASE_URL", database_url)
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    first = runner.invoke(main, ["deploy", "--from", str(SMOKE)])
    assert first.exit_code == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith("smoke: deployed smoke") and "files)" in lines[0]
    assert lines[-1] == "1 bundle(s): 1 deployed, 0 unchanged (--json for details)"
    again = runner.invoke(main, ["deploy", "--from", str(SMOKE)]).stdout.splitlines()
    assert again[0] == "smoke: unchanged; this content was deployed before and is current; nothing changed"
    assert again[-1] == "1 bundle(s): 0 deployed, 1 unchanged (--json for details)"


def test_leaders_withdrawal_and_delegations(govflow: Any) -> None:
    govflow("deploy", "--json", "--from", str(SMOKE))
    govflow("users", "create", "bob", "--password", "bob-password", "--groups", "smoke:applicant")
    assert govflow("users", "lead", "alice", "smoke:applicant")["leads"] == ["smoke:applicant"]
    assert govflow("users", "lead", "alice", "other:group", ok=False)["error"] == "InvalidInput"
    [task] = govflow("start", "smoke", "--business-key", "QY-CLI-1", "--actor", "ops")["tasks"]
    assert govflow("assign", task["id"], "--to", "bob", "--actor", "alice")["assignee"] == "bob"
    assert govflow("assign", task["id"], "--to", "alice", "--actor", "bob", ok=False)["error"] == "PermissionDenied"
    today = date.today()  # the command line runs on the real clock
    given = govflow("delegations", "add", "alice", "--from", str(today - timedelta(days=1)),
                    "--until", str(today + timedelta(days=30)), "--note", "出差", "--actor", "bob")
    assert given["status"] == "active" and given["delegate"] == "alice"
    # Signed in a month: the timer after the step still waits, so the step may be withdrawn.
    done = govflow("complete", task["id"], "--actor", "alice", "--data",
                   json.dumps({"investmentWan": 1, "signedOn": str(today + timedelta(days=30))}))
    assert done["task"]["completed_by"] == "alice"
    complete = [e for e in govflow("instance", task["instance_id"])["audit"] if e["action"] == "complete"]
    assert complete[0]["on_behalf_of"] == "bob"
    assert govflow("withdraw", task["id"], "--actor", "bob", ok=False)["error"] == "PermissionDenied"
    assert govflow("withdraw", task["id"], "--actor", "alice")["status"] == "ready"
    assert govflow("delegations", "end", str(given["id"]), "--actor", "bob")["status"] == "ended"
    assert [d["status"] for d in govflow("delegations", "list", "--actor", "alice")] == ["ended"]
