"""The typed DMN engine: inputs converted by typeRef, missing values fall through, no silent empty results."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from engine.spiff.dmn import TypedDMNEngine, typed
from engine.spiff.runtime import Engine


def _engine(rules: str, type_ref: str = "number", hit_policy: str = "FIRST") -> TypedDMNEngine:
    dmn = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="n">
<decision id="D1" name="D1"><decisionTable id="T1" hitPolicy="{hit_policy}">
<input id="i1" label="x"><inputExpression id="ie1" typeRef="{type_ref}"><text>x</text></inputExpression></input>
<output id="o1" name="result" typeRef="string"/>{rules}</decisionTable></decision></definitions>""".encode()
    parser = SpiffBpmnParser()
    parser.add_dmn_str(dmn)
    return typed(parser.get_engine("D1", None))


def _rule(n: int, cell: str, out: str) -> str:
    return (f'<rule id="r{n}"><inputEntry id="e{n}"><text>{cell}</text></inputEntry>'
            f'<outputEntry id="o{n}"><text>"{out}"</text></outputEntry></rule>')


def _task(engine: Engine, **data: object) -> SimpleNamespace:
    workflow = SimpleNamespace(script_engine=engine.script_engine(), spec=SimpleNamespace(file="t"))
    workflow.top_workflow = workflow
    return SimpleNamespace(data=data, workflow=workflow,
                           task_spec=SimpleNamespace(bpmn_id="Rule_1", bpmn_name="规则", name="Rule_1"))


def test_dates_submitted_as_iso_strings_compare_as_dates(engine: Engine) -> None:
    dmn = _engine(_rule(1, "&lt;= date(2025, 10, 14)", "ON_TIME") + _rule(2, "-", "LATE"), "date")
    assert dmn.result(_task(engine, x="2025-10-14")) == {"result": "ON_TIME"}
    assert dmn.result(_task(engine, x="2025-10-15")) == {"result": "LATE"}


def test_numbers_compare_exactly(engine: Engine) -> None:
    dmn = _engine(_rule(1, "? * 100 &lt;= 1150 * 15", "WITHIN") + _rule(2, "-", "OVER"))
    assert dmn.result(_task(engine, x=172.5)) == {"result": "WITHIN"}
    assert dmn.result(_task(engine, x="172.51")) == {"result": "OVER"}


def test_a_missing_value_falls_through_to_the_catch_all(engine: Engine) -> None:
    dmn = _engine(_rule(1, "&gt;= 500", "FULL") + _rule(2, "&lt; 500", "SIMPLE") + _rule(3, "-", "UNKNOWN"))
    assert dmn.result(_task(engine, x=None)) == {"result": "UNKNOWN"}


def test_no_matching_rule_is_an_error_not_an_empty_result(engine: Engine) -> None:
    dmn = _engine(_rule(1, "&gt;= 500", "FULL"))
    with pytest.raises(WorkflowTaskException, match="no rule matched"):
        dmn.result(_task(engine, x=1))


def test_collect_without_a_match_gives_empty_lists(engine: Engine) -> None:
    dmn = _engine(_rule(1, "&gt;= 500", "BIG") + _rule(2, "&gt;= 100", "MEDIUM"), hit_policy="COLLECT")
    assert dmn.result(_task(engine, x=600)) == {"result": ["BIG", "MEDIUM"]}
    assert dmn.result(_task(engine, x=1)) == {"result": []}


def test_a_bad_input_value_names_the_row(engine: Engine) -> None:
    dmn = _engine(_rule(1, "&gt;= 500", "FULL") + _rule(2, "-", "X"))
    with pytest.raises(WorkflowTaskException, match="row 1"):
        dmn.result(_task(engine, x="lots"))


def test_outputs_replace_earlier_values_instead_of_merging(engine: Engine) -> None:
    dmn = _engine(_rule(1, "&gt;= 500", "BIG") + _rule(2, "-", "ANY"), hit_policy="COLLECT")
    task = _task(engine, x=600, result=["STALE"])
    assert dmn.result(task) == {"result": ["BIG", "ANY"]}
    assert "result" not in task.data  # the business rule task merges the fresh outputs in


def test_an_input_not_collected_yet_has_no_value(engine: Engine) -> None:
    dmn = _engine(_rule(1, "&gt;= 500", "FULL") + _rule(2, "-", "LATER"))
    assert dmn.result(_task(engine)) == {"result": "LATER"}
