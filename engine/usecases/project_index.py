"""Keep the project index in step with an instance: one row per project with what the project lists show.

The row is written by `state.persist` in the same unit of work as the state and the task index, so the
lists never load workflow state. A project's plan year and amount come from the form fields its bundle
marks with `x-govflow-project` (conventions.PROJECT_FIELD); nothing here names a jurisdiction's field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from engine.conventions import FORM_SCHEMA, PROJECT_AMOUNT, PROJECT_FIELD, PROJECT_FIELD_KINDS, PROJECT_PLAN_YEAR
from engine.spiff.runtime import Engine
from engine.spiff.workflow import HumanTask, Instance
from engine.store.models import InstanceRow, ProcessVersion, ProjectRow

__all__ = ["FAR_FUTURE", "NO_AMOUNT", "figures_of", "project_fields", "sync_project"]

FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
"""The due key of a project with no open deadline: such projects sort after every dated one."""

NO_AMOUNT = Decimal("-1")
"""The amount key of a project with no amount: such projects sort after every amount, largest first."""

_MAX_AMOUNT = Decimal("99999999.99")
_CENT = Decimal("0.01")
_FINISHED = frozenset({"completed", "cancelled"})


def project_fields(engine: Engine, version: ProcessVersion) -> dict[str, str]:
    """Return {figure: data field} for the fields the version's forms mark as the plan year or the amount.

    When a process marks two fields as one figure, the first in the diagram's document order wins.
    """
    process = engine.process_elements(version)
    found: dict[str, str] = {}
    for element in process.elements if process is not None else ():
        form = element.properties.get(FORM_SCHEMA)
        if not form:
            continue
        for name, definition in (engine.form(version, form).get("properties") or {}).items():
            kind = definition.get(PROJECT_FIELD) if isinstance(definition, dict) else None
            if kind in PROJECT_FIELD_KINDS:
                found.setdefault(kind, name)
    return found


def figures_of(fields: Mapping[str, str], data: Mapping[str, Any]) -> tuple[int | None, Decimal | None]:
    """Return the plan year and the amount (万元, exact to the cent) found in process data; None when absent."""
    year = data.get(fields.get(PROJECT_PLAN_YEAR, ""))
    amount = data.get(fields.get(PROJECT_AMOUNT, ""))
    return _year(year), _amount(amount)


def sync_project(engine: Engine, session: Session, row: InstanceRow, instance: Instance, ready: list[HumanTask],
                 due: Mapping[str, datetime | None], now: datetime,
                 fields: Mapping[str, str] | None = None) -> ProjectRow:
    """Write the instance's project row: status, where it stands, the next step and its agency, due, figures.

    `fields` names the marked data fields (`project_fields`); by default those of the instance's own version.
    """
    version = row.process_version
    # Everything that may read the database (a version's files, elements) is read before the row exists:
    # an autoflush must never meet a half-filled row.
    first = min(ready, key=lambda t: (due.get(t.id) or FAR_FUTURE, t.name, t.id)) if ready else None
    if first is not None:
        stage: tuple[str | None, str | None] = (first.spec_id, first.name)
    else:
        # A row indexed before it recorded its active elements asks the state where it stands.
        active = list(row.active_elements or ()) or (instance.active_elements() if row.status not in _FINISHED
                                                     else [])
        stage = _waiting_at(engine, version, row, active)
    year, amount = figures_of(project_fields(engine, version) if fields is None else fields, instance.data)
    project = session.get(ProjectRow, row.id)
    if project is None:
        project = ProjectRow(instance_id=row.id, created_at=row.created_at)
        session.add(project)
    project.bundle, project.process_id, project.process_name = version.bundle, row.process_id, version.name
    project.business_key, project.project_name, project.unit = row.business_key, row.project_name, row.unit
    project.status, project.updated_at = row.status, now
    # The open task due first is the project's next step; undated tasks come after dated ones.
    project.next_task_id = first.id if first else None
    project.next_step = first.name if first else None
    project.next_agency = first.lane if first else None
    project.due_at = due.get(first.id) if first else None
    project.due_key = project.due_at or FAR_FUTURE
    project.stage_element, project.stage = stage
    # A figure once given stays when the data no longer carries it (a cancelled workflow drops its data).
    project.plan_year = year if year is not None else project.plan_year
    project.amount = amount if amount is not None else project.amount
    project.amount_key = NO_AMOUNT if project.amount is None else project.amount
    return project


def _waiting_at(engine: Engine, version: ProcessVersion, row: InstanceRow,
                active: list[str]) -> tuple[str | None, str | None]:
    # No open task: the project waits at a timer or a message, or failed at an element; name it in words.
    if row.status in _FINISHED:
        return None, None
    names = {element.id: element.name for process in engine.deployment_processes(version).values()
             for element in process.elements if element.name}
    for element_id in ([row.error_element] if row.error_element else []) + active:
        if element_id in names:
            return element_id, names[element_id]
    return None, None


def _year(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        year = int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
    return year if year is not None and 1 <= year <= 9999 else None


def _amount(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > _MAX_AMOUNT:
        return None
    return amount.quantize(_CENT)
