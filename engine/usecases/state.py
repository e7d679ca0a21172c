"""Load and store an instance's state, and keep the task index in step with it.

This is the one place that maps a workflow's human tasks onto task index rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.calendar import parse_date
from engine.clock import Clock
from engine.conventions import COMMITTED_DAYS, DUE_DATE, FORM_SCHEMA, FORM_UI_SCHEMA
from engine.deadlines import committed_days, end_of_day
from engine.errors import InvalidInput, NotFound, ProcessError
from engine.spiff.run_context import DecisionLog
from engine.spiff.runtime import Engine
from engine.spiff.serialization import STATE_FORMAT
from engine.spiff.workflow import HumanTask, Instance
from engine.store.audit import record
from engine.store.models import InstanceRow, ProcessVersion, TaskRow
from engine.usecases.describe import json_default
from engine.usecases.notifications import announce_ready
from engine.usecases.project_index import sync_project

__all__ = [
    "CANCELLED", "COMPLETED", "ERROR", "FINISHED", "RUNNING", "STATUSES", "WAITING",
    "get_instance", "load", "persist", "record_decisions", "run_and_persist", "task_index_fields",
]

RUNNING, WAITING, COMPLETED, ERROR, CANCELLED = "running", "waiting", "completed", "error", "cancelled"
STATUSES = (RUNNING, WAITING, COMPLETED, ERROR, CANCELLED)
FINISHED = frozenset({COMPLETED, CANCELLED})


def run_and_persist(engine: Engine, session: Session, row: InstanceRow, instance: Instance, actor: str,
                    action: Callable[[], None] | None = None) -> None:
    """Run `action` (default: engine steps) on the instance's clock, then persist, capturing failures.

    Every decision evaluated on the way goes to the audit trail with its inputs and outputs.
    """
    try:
        if action is None:
            instance.run_until_user_input_required()
        else:
            action()
        record_decisions(engine, session, row, instance.run.decisions, actor)
        persist(engine, session, row, instance, actor=actor)  # evaluates due dates, which may fail too
    except ProcessError as exc:
        record_decisions(engine, session, row, instance.run.decisions, actor)
        persist(engine, session, row, instance, error=exc, actor=actor)
        record(session, engine.now(), actor, "error", instance_id=row.id, element=exc.element_id,
               data={"message": exc.message})


def record_decisions(engine: Engine, session: Session, row: InstanceRow, decisions: DecisionLog,
                     actor: str) -> None:
    """Write the decisions logged while an instance ran to its audit trail, and drain the log."""
    now = engine.now()
    for decision in decisions.drain():
        data = {"decision": decision.decision_id, "name": decision.decision_name,
                "inputs": decision.inputs, "outputs": decision.outputs}
        # Decimals and dates become JSON text the way every other view shows them.
        record(session, now, actor, "decide", instance_id=row.id, element=decision.element_id,
               data=json.loads(json.dumps(data, default=json_default)))


def load(engine: Engine, session: Session, instance_id: str, *,
         clock: Clock | None = None) -> tuple[InstanceRow, Instance]:
    """Load an instance row and rebuild its workflow, to run on `clock` (default: the engine clock).

    Raises StateFormatError when the stored state is in a format this engine cannot read.
    """
    row = get_instance(session, instance_id)
    return row, engine.load_instance(row, clock=clock)


def persist(engine: Engine, session: Session, row: InstanceRow, instance: Instance,
            error: ProcessError | None = None, actor: str | None = None) -> None:
    """Store state, status, next timer and the task index in the current unit of work.

    People are told of tasks that became ready, except `actor`, whose own action made them ready.
    """
    now = engine.now()
    row.state = engine.dump_instance(instance)
    row.serializer_version = STATE_FORMAT
    row.updated_at = now
    row.next_timer_due_at = None if row.status == CANCELLED else instance.next_timer_due()
    name = instance.data.get("projectName")
    if isinstance(name, str) and name.strip():
        row.project_name = name.strip()[:256]
    if row.status == CANCELLED:
        pass  # a cancelled instance keeps its status; its open tasks are withdrawn below
    elif error is not None:
        row.status, row.error_element, row.error_message = ERROR, error.element_id, error.message
    else:
        row.error_element = row.error_message = None
        if instance.completed:
            row.status, row.ended_at = COMPLETED, now
        else:
            row.status = RUNNING if instance.ready_human_tasks() else WAITING
    active = [] if row.status in FINISHED else instance.active_elements()
    if error is not None and error.element_id and error.element_id not in active:
        active.append(error.element_id)  # a failed due date leaves no failed task behind
    row.active_elements = active
    ready, due = _sync_task_index(engine, session, row, instance, now, strict=error is None, actor=actor)
    sync_project(engine, session, row, instance, ready, due, now)
    session.flush()


def _sync_task_index(engine: Engine, session: Session, row: InstanceRow, instance: Instance, now: datetime,
                     strict: bool = True,
                     actor: str | None = None) -> tuple[list[HumanTask], dict[str, datetime | None]]:
    # Returns the ready tasks and each one's due moment, which the project index reads.
    ready = {task.id: task for task in instance.ready_human_tasks()} if row.status != CANCELLED else {}
    # One query finds both the open rows and any row a ready task already has.
    known = {t.id: t for t in session.scalars(select(TaskRow).where(
        TaskRow.instance_id == row.id, or_(TaskRow.status == "ready", TaskRow.id.in_(list(ready)))))}
    for task_id, task_row in known.items():
        if task_row.status == "ready" and task_id not in ready:
            # Gone without a completion through us: an interrupting timer, a cancel or a migration.
            task_row.status = "cancelled"
            task_row.completed_at = now
        elif task_row.status == "ready":
            task_row.project_name = row.project_name
    arrived: list[TaskRow] = []
    due = {task_id: known[task_id].due_at for task_id in ready if task_id in known}
    for task_id, task in ready.items():
        if task_id in known:
            continue
        try:
            due_at = _due_at(engine, instance, task, now)
        except ProcessError:
            if strict:
                raise
            due_at = None  # the instance is already recorded in error at that element
        arrived.append(TaskRow(
            id=task_id, instance_id=row.id, process_id=row.process_id, bundle=row.process_version.bundle,
            business_key=row.business_key, project_name=row.project_name, unit=row.unit,
            status="ready", created_at=now, due_at=due_at, process_version_id=row.process_version.id,
            **task_index_fields(task, row.process_version)))
        session.add(arrived[-1])
        due[task_id] = due_at
    # Written with the task rows, so people hear of a task exactly when it exists; mail goes out later.
    announce_ready(engine, session, arrived, now, skip=actor)
    return list(ready.values()), due


def task_index_fields(task: HumanTask, version: ProcessVersion) -> dict[str, str | None]:
    """Return the task index columns a ready human task of `version` determines: what it is, who works it, its forms.

    An open task's row is created from these and refreshed with them when its instance moves to another version.
    """
    return {
        "spec_id": task.spec_id, "name": task.name, "lane": task.lane,
        "candidate_group": version.lanes.get(task.process_id, {}).get(task.lane or ""),
        "form": task.properties.get(FORM_SCHEMA), "ui_form": task.properties.get(FORM_UI_SCHEMA),
    }


def _due_at(engine: Engine, instance: Instance, task: HumanTask, opened: datetime) -> datetime | None:
    # A statutory due date and a committed handling time may both bind a step: the earlier one holds.
    dues = [due for due in (_statutory_due(engine, instance, task), _committed_due(engine, task, opened)) if due]
    return min(dues, default=None)


def _committed_due(engine: Engine, task: HumanTask, opened: datetime) -> datetime | None:
    text = task.properties.get(COMMITTED_DAYS)
    if not text:
        return None
    try:
        days = committed_days(text)
    except ValueError as exc:  # deployment refuses it; a version deployed before that rule still names the element
        raise ProcessError(f"{COMMITTED_DAYS} of {task.spec_id}: {exc}", element_id=task.spec_id) from exc
    zone = engine.settings.timezone
    last_day = engine.calendar.add_working_days(opened.astimezone(ZoneInfo(zone)).date(), days)
    return end_of_day(last_day, zone).astimezone(UTC)


def _statutory_due(engine: Engine, instance: Instance, task: HumanTask) -> datetime | None:
    expression = task.properties.get(DUE_DATE)
    if not expression:
        return None
    try:
        value = instance.evaluate(expression, task.data)
    except Exception as exc:  # a model error in the expression: report it at its element
        raise ProcessError(f"{DUE_DATE} of {task.name} ({task.spec_id}) failed: {type(exc).__name__}: {exc}",
                           element_id=task.spec_id) from exc
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (date, str)):
        text = value.isoformat() if isinstance(value, date) else value
        if "T" in text:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise ProcessError(f"{DUE_DATE} of {task.spec_id} gave {text!r}, not an ISO date-time",
                                   element_id=task.spec_id) from None
        else:
            # A due *date* means the whole day is allowed: due at the next local midnight.
            try:
                day = parse_date(text)
            except InvalidInput:
                raise ProcessError(f"{DUE_DATE} of {task.spec_id} gave {text!r}, not an ISO date",
                                   element_id=task.spec_id) from None
            moment = end_of_day(day, engine.settings.timezone)
    else:
        raise ProcessError(f"{DUE_DATE} of {task.spec_id} gave {value!r}, not a date", element_id=task.spec_id)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(engine.settings.timezone))
    return moment.astimezone(UTC)


def get_instance(session: Session, instance_id: str, *, for_update: bool = False) -> InstanceRow:
    """Return an instance row or raise NotFound; `for_update` locks it until the unit of work ends.

    Lock order: a writer that changes an instance and its task rows locks the instance row first, then its
    task rows; migration, cancel and timers update the instance first anyway, and a completion, which changes
    its task row first, takes the instance lock up front (a no-op on SQLite, which has one writer at a time).
    """
    if for_update:
        # A lock of its own: the row load joins the version, and a join re-checked after the wait (PostgreSQL
        # READ COMMITTED) would drop a row that a migration moved to another version meanwhile.
        session.execute(select(InstanceRow.id).where(InstanceRow.id == instance_id).with_for_update())
    row = session.get(InstanceRow, instance_id)
    if row is None:
        raise NotFound(f"instance {instance_id} does not exist").keyed("error_instance_not_found")
    return row


