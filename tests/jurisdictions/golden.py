"""Golden stored states: instances of every jurisdiction stored at several stages, kept as files.

Each stage file holds an instance row as the database stored it (state text and `serializer_version`)
and sits beside the spec and forms of the version it ran on, so it loads whatever later edits the
bundles in bpmn/, dmn/ and forms/ receive. `test_golden_states.py` restores each one into an empty
database, loads it through the engine's real load path and runs it to its end.

Write the files for the current state format only when that format changes (never to make a failing
golden test pass):

    python -m tests.jurisdictions.golden            # writes tests/data/golden/<STATE_FORMAT>/
    python -m tests.jurisdictions.golden --replace  # rewrites that folder when it already exists

Folders of older formats stay: they prove the upgrades in engine.spiff.serialization still work.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Bundle, FakeClock, unit_of_work
from engine.settings import PROJECT_ROOT
from engine.spiff.serialization import STATE_FORMAT
from engine.store.models import Deployment, InstanceRow, ProcessVersion
from engine.tools.testing import ProcessHarness, ProcessRun
from engine.usecases import state

from . import datong_walk, test_fengxian, test_qingyang_process, test_xichuan, test_yunfu
from .walking import walk_process

__all__ = ["GOLDEN", "JURISDICTIONS", "Jurisdiction", "Stage", "restore", "run_to_end", "stage_files", "stored_answers",
           "write"]

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
_VERSIONS = "versions.json"
_SPEC = ".spec.json"
# The answers the stages were walked with: valid for the forms of the stored version, which later edits of
# forms/ do not change, so a stored instance is replayed with what its own forms accept.
_ANSWERS = "answers.json"


@dataclass(frozen=True)
class Stage:
    """Where one stored instance stands: a name, its process and how to walk it there from its start."""

    name: str
    process_id: str
    drive: Callable[[ProcessRun, Callable[..., None]], None]


@dataclass(frozen=True)
class Jurisdiction:
    """A jurisdiction's golden instances: its clock at capture, its valid answers and its stages."""

    name: str
    clock: str
    answers: dict[str, dict[str, Any]]
    skip: tuple[str, ...]
    stages: tuple[Stage, ...]


def _started(run: ProcessRun, walk: Callable[..., None]) -> None:
    """Leave the instance where starting it left it."""


def _until(task: str, answers: dict[str, Any] | None = None) -> Callable[[ProcessRun, Callable[..., None]], None]:
    return lambda run, walk: walk(run, answers, until=task)


def _walked(answers: dict[str, Any] | None = None) -> Callable[[ProcessRun, Callable[..., None]], None]:
    return lambda run, walk: walk(run, answers)


JURISDICTIONS = (
    Jurisdiction("qingyang", "2025-03-01T09:00:00+08:00", test_qingyang_process.ANSWERS, ("Task_ChasePostEval",), (
        Stage("started", "qingyang_project", _started),
        Stage("at_joint_review", "qingyang_project", _until("Task_JointReview")),
        Stage("waiting_on_trial_run_timer", "qingyang_project", _walked()),
    )),
    Jurisdiction("yunfu", "2024-03-01T09:00:00+08:00", test_yunfu.ANSWERS, ("Task_RemindPlan",), (
        Stage("started", "yunfu_project", _started),
        Stage("at_professional_review", "yunfu_project", _until("Task_ProfReview")),
        Stage("at_funds_with_opinion_expiry_timer", "yunfu_project", _until("Task_ProfFunds")),
        Stage("annual_plan_with_deadline_timer", "yunfu_annual_plan", _started),
    )),
    Jurisdiction("datong", "2025-09-01T09:00:00+08:00", datong_walk.ANSWERS,
                 ("Task_ChaseContract", "Task_ReportOverdueNotice"), (
        Stage("started", "datong_project", _started),
        Stage("at_review", "datong_project", _until("Task_Review")),
        Stage("waiting_on_next_year_timer", "datong_project", _walked({"Task_Operation": [{"decommission": False}]})),
    )),
    Jurisdiction("xichuan", "2025-05-10T09:00:00+08:00", test_xichuan.ANSWERS, test_xichuan.ESCALATIONS, (
        Stage("started", "xichuan_project", _started),
        Stage("at_technical_review", "xichuan_project", _until("Task_TechReview")),
        Stage("waiting_on_next_year_timer", "xichuan_project", _walked({"Task_Operation": [{"longUnused": False}]})),
    )),
    Jurisdiction("fengxian", "2025-01-06T09:00:00+08:00", test_fengxian.ANSWERS, ("Task_AcceptanceOverdue",), (
        Stage("started", "fengxian_project", _started),
        Stage("at_plan_review", "fengxian_project", _until("Task_PlanReview")),
        Stage("waiting_on_trial_run_timer", "fengxian_project", _walked()),
    )),
)


def stage_files(root: Path = GOLDEN) -> list[Path]:
    """Return every stored stage of every state format, sorted."""
    return sorted(p for p in root.glob("*/*/*.json")
                  if p.name not in (_VERSIONS, _ANSWERS) and not p.name.endswith(_SPEC))


def stored_answers(path: Path) -> dict[str, dict[str, Any]]:
    """Return the answers a stage's folder was written with."""
    document: dict[str, dict[str, Any]] = json.loads((path.parent / _ANSWERS).read_text(encoding="utf-8"))["answers"]
    return document


def write(folder: Path, jurisdiction: Jurisdiction) -> None:
    """Walk one jurisdiction's instances to their stages and store them, with their version, in `folder`."""
    bundle = Bundle.from_jurisdiction(PROJECT_ROOT, jurisdiction.name)
    harness = ProcessHarness([bundle], clock=FakeClock(jurisdiction.clock))
    try:
        runs = []
        for stage in jurisdiction.stages:
            run = harness.start(stage.process_id, business_key=f"GOLDEN-{jurisdiction.name}-{stage.name}")
            stage.drive(run, lambda r, answers=None, **options: walk_process(
                r, jurisdiction.answers, answers, skip=jurisdiction.skip, **options))
            runs.append((stage, run))
        folder.mkdir(parents=True)
        with unit_of_work(harness.sessions) as session:
            for stage, run in runs:
                _write_json(folder / f"{stage.name}.json", _capture(session, harness, stage, run))
            _write_versions(session, folder, {stage.process_id: run.id for stage, run in runs})
        _write_json(folder / _ANSWERS, {"answers": jurisdiction.answers})
    finally:
        harness.close()


def _capture(session: Session, harness: ProcessHarness, stage: Stage, run: ProcessRun) -> dict[str, Any]:
    row = state.get_instance(session, run.id)
    return {
        "stage": stage.name, "process_id": row.process_id, "saved_at": harness.clock.now().isoformat(),
        "serializer_version": row.serializer_version,
        "instance": {"id": row.id, "business_key": row.business_key, "unit": row.unit,
                     "project_name": row.project_name, "status": row.status, "started_by": row.started_by,
                     "created_at": row.created_at.isoformat(),
                     "next_timer_due_at": row.next_timer_due_at.isoformat() if row.next_timer_due_at else None},
        "ready": run.waiting(), "executed": run.path(),
        "state": json.loads(row.state),  # stored as an object so the files diff line by line
    }


def _write_versions(session: Session, folder: Path, instance_of: dict[str, str]) -> None:
    processes: dict[str, Any] = {}
    forms: dict[str, Any] = {}
    for process_id, instance_id in sorted(instance_of.items()):
        version = state.get_instance(session, instance_id).process_version
        (folder / f"{process_id}{_SPEC}").write_text(version.spec_json, encoding="utf-8")
        processes[process_id] = {"name": version.name, "bundle": version.bundle, "lanes": version.lanes}
        forms.update({path: json.loads(text) for path, text in version.deployment.files.items()
                      if path.startswith("forms/")})
    _write_json(folder / _VERSIONS, {"processes": processes, "forms": forms})


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def restore(harness: ProcessHarness, path: Path) -> ProcessRun:
    """Put a stored stage and its version into the harness's database as they were stored; index its tasks."""
    stage = json.loads(path.read_text(encoding="utf-8"))
    versions = json.loads((path.parent / _VERSIONS).read_text(encoding="utf-8"))
    process_id, saved_at = stage["process_id"], datetime.fromisoformat(stage["saved_at"])
    spec_json = (path.parent / f"{process_id}{_SPEC}").read_text(encoding="utf-8")
    process = versions["processes"][process_id]
    harness.clock.set(saved_at)
    with unit_of_work(harness.sessions) as session:
        spec_hash = hashlib.sha256(spec_json.encode()).hexdigest()
        # Stages of one process stored from one version share it, as instances of one deployment do.
        version = session.scalars(select(ProcessVersion).where(
            ProcessVersion.process_id == process_id, ProcessVersion.spec_hash == spec_hash)).first()
        if version is None:
            files = {name: json.dumps(form, ensure_ascii=False) for name, form in versions["forms"].items()}
            deployment = Deployment(bundle=process["bundle"], content_hash=spec_hash, files=files,
                                    deployed_by="golden", deployed_at=saved_at)
            version = ProcessVersion(process_id=process_id, version=1, name=process["name"],
                                     bundle=process["bundle"], deployment=deployment, spec_json=spec_json,
                                     spec_hash=spec_hash, lanes=process["lanes"], created_at=saved_at,
                                     created_by="golden")
        instance = stage["instance"]
        session.add(InstanceRow(
            id=instance["id"], process_version=version, process_id=process_id,
            business_key=instance["business_key"], unit=instance["unit"], project_name=instance["project_name"],
            status=instance["status"], active_elements=[], started_by=instance["started_by"],
            state=json.dumps(stage["state"], ensure_ascii=False, separators=(",", ":")),
            serializer_version=stage["serializer_version"],
            created_at=datetime.fromisoformat(instance["created_at"]), updated_at=saved_at))
    with unit_of_work(harness.sessions) as session:
        # The task index is derived from the state: loading through the real path and storing rebuilds it.
        row, loaded = state.load(harness.engine, session, instance["id"])
        state.persist(harness.engine, session, row, loaded)
    return ProcessRun(harness, instance["id"])


def run_to_end(harness: ProcessHarness, run: ProcessRun, answers: dict[str, dict[str, Any]],
               limit: int = 120) -> None:
    """Complete every ready task with valid answers and fire every timer when due, until the instance ends."""
    for _ in range(limit):
        if run.status != "running" and run.status != "waiting":
            return
        ready = run.waiting()
        if ready:
            run.complete(ready[0], answers[ready[0]])
            continue
        with unit_of_work(harness.sessions) as session:
            due = state.get_instance(session, run.id).next_timer_due_at
        if due is None:
            raise AssertionError(f"instance {run.id} waits with neither a task nor a timer")
        harness.clock.set(due + timedelta(seconds=1))
        harness.fire_timers()
    raise AssertionError(f"instance {run.id} did not end within {limit} steps; waiting {run.waiting()}")


def main(argv: list[str] | None = None) -> None:
    """Write the golden states of the current state format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replace", action="store_true", help="rewrite the current format's folder")
    options = parser.parse_args(argv)
    target = GOLDEN / STATE_FORMAT
    if target.exists():
        if not options.replace:
            parser.error(f"{target} exists; pass --replace to rewrite it")
        shutil.rmtree(target)
    for jurisdiction in JURISDICTIONS:
        write(target / jurisdiction.name, jurisdiction)
    print(f"wrote {len(stage_files(target.parent))} stages under {target}")


if __name__ == "__main__":
    main()
