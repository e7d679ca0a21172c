"""The task index mapping: one function turns a ready human task of a version into its index columns."""

from __future__ import annotations

from engine.conventions import DUE_DATE, FORM_SCHEMA, FORM_UI_SCHEMA
from engine.spiff.workflow import HumanTask
from engine.store.models import ProcessVersion
from engine.usecases.state import task_index_fields


def _task(lane: str | None, **properties: str) -> HumanTask:
    return HumanTask("t-1", "called", "Task_Check", "核查", lane, properties, None, {})


def test_a_task_is_indexed_with_its_lanes_group_of_its_own_process_and_its_forms() -> None:
    version = ProcessVersion(lanes={"main": {"数据局": "j:main_bureau"}, "called": {"数据局": "j:data_bureau"}})
    task = _task("数据局", **{FORM_SCHEMA: "check.schema.json", FORM_UI_SCHEMA: "check.uischema.json",
                             DUE_DATE: "today()"})
    assert task_index_fields(task, version) == {
        "spec_id": "Task_Check", "name": "核查", "lane": "数据局", "candidate_group": "j:data_bureau",
        "form": "check.schema.json", "ui_form": "check.uischema.json"}


def test_a_task_outside_a_grouped_lane_has_no_group_and_no_form() -> None:
    version = ProcessVersion(lanes={"called": {"数据局": "j:data_bureau"}})
    fields = task_index_fields(_task(None), version)
    assert (fields["candidate_group"], fields["form"], fields["ui_form"]) == (None, None, None)
    assert task_index_fields(_task("单位"), version)["candidate_group"] is None
