"""Bundle rules: each step owns its data, and month and year periods take no roll-over switch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import Bundle, DeploymentError
from engine.settings import PROJECT_ROOT
from engine.spiff.bundle_rules import bundle_rule_problems
from engine.spiff.compiler import compile_bundle
from engine.spiff.elements import read_elements

from .helpers import SMOKE

RECTIFY = "forms/rectify.schema.json"


def _with(changes: dict[str, str]) -> Bundle:
    files = dict(Bundle.from_directory(SMOKE).as_texts())
    files.update(changes)
    return Bundle.from_texts("smoke", files)


def _rectify_with(extra: dict[str, object]) -> str:
    form = json.loads((SMOKE / "rectify.schema.json").read_text(encoding="utf-8"))
    form["properties"].update(extra)
    return json.dumps(form, ensure_ascii=False)


def _problems(bundle: Bundle) -> list[tuple[str, str | None, str]]:
    return [(p.file, p.element, p.message) for p in bundle_rule_problems(bundle, read_elements(bundle).checked())]


def test_the_shipped_bundles_and_the_smoke_bundle_keep_every_rule() -> None:
    assert _problems(Bundle.from_directory(SMOKE)) == []
    for jurisdiction in ("qingyang", "yunfu", "datong", "xichuan", "fengxian"):
        assert _problems(Bundle.from_jurisdiction(PROJECT_ROOT, jurisdiction)) == [], jurisdiction


def test_a_later_step_that_refills_an_earlier_steps_field_is_refused_at_deploy() -> None:
    # Task_Accept (accept.schema.json) and Task_Rectify (rectify.schema.json) loop into each other.
    bundle = _with({RECTIFY: _rectify_with({"acceptanceReport": {"type": "string", "title": "验收报告"}})})
    assert sorted(_problems(bundle)) == [
        ("forms/accept.schema.json", "Task_Accept",
         "field 'acceptanceReport' of step Task_Accept replaces the value step Task_Rectify entered with "
         "forms/rectify.schema.json; rename it, or declare \"x-govflow-revises\": \"Task_Rectify\" on it if this "
         "step revises that value"),
        (RECTIFY, "Task_Rectify",
         "field 'acceptanceReport' of step Task_Rectify replaces the value step Task_Accept entered with "
         "forms/accept.schema.json; rename it, or declare \"x-govflow-revises\": \"Task_Accept\" on it if this "
         "step revises that value"),
    ]
    with pytest.raises(DeploymentError):
        compile_bundle(bundle)


def test_a_declared_revision_is_accepted_and_a_wrong_one_is_named() -> None:
    revised = {"acceptanceReport": {"type": "string", "title": "整改后验收报告", "x-govflow-revises": "Task_Accept"}}
    problems = _problems(_with({RECTIFY: _rectify_with(revised)}))
    assert [element for _, element, _ in problems] == ["Task_Accept"]  # the loop back still replaces the rectifier's
    wrong = {"rectifiedOn": {"type": "string", "title": "整改日期", "x-govflow-revises": ["Task_Submit"]}}
    [(_, element, message)] = _problems(_with({RECTIFY: _rectify_with(wrong)}))
    assert element == "Task_Rectify"
    assert message == ("field 'rectifiedOn' declares it revises step Task_Submit, which does not fill 'rectifiedOn' "
                       "in process smoke_accept_loop")


def test_fields_in_conditional_branches_count_as_written() -> None:
    form = json.loads((SMOKE / "rectify.schema.json").read_text(encoding="utf-8"))
    form["if"] = {"properties": {"rectified": {"const": True}}}
    form["then"] = {"properties": {"passed": {"type": "boolean", "title": "验收是否通过"}}}
    [(_, element, message)] = [p for p in _problems(_with({RECTIFY: json.dumps(form)})) if p[1] == "Task_Rectify"]
    assert "field 'passed' of step Task_Rectify replaces the value step Task_Accept entered" in message


@pytest.mark.parametrize("call", ["add_months(signedOn, 6, False)", "add_years(signedOn, 2, roll_over=False)"])
def test_a_period_helper_with_a_roll_over_switch_is_refused(call: str) -> None:
    bpmn = (SMOKE / "smoke.bpmn").read_text(encoding="utf-8")
    [due] = [line for line in bpmn.splitlines() if 'name="dueDate"' in line] or [""]
    assert due, "the smoke bundle gives Task_Apply a due date"
    changed = bpmn.replace(due, due.replace(due.split('value="')[1].split('"')[0], call))
    [(file, _, message)] = _problems(_with({"bpmn/smoke.bpmn": changed}))
    assert file == "bpmn/smoke.bpmn"
    assert message.startswith(f"{call.split('(')[0]}(...) takes no third argument")


def test_the_regulation_texts_are_kept_with_the_project() -> None:
    for jurisdiction in ("qingyang", "yunfu", "datong", "xichuan", "fengxian"):
        assert (Path(PROJECT_ROOT) / "regulations" / f"{jurisdiction}.txt").stat().st_size > 10_000
