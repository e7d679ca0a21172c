"""Rebuild the project index from every instance's stored state (`govflow reindex-projects`).

The schema migration that added the index fills what the other index tables hold; plan years, amounts and
the names of the timers projects wait at live in workflow state, which only the engine reads. Running this
once after the upgrade completes them; running it again changes nothing. An instance on a version deployed
before its bundle marked the figure fields (`x-govflow-project`) is read by the marks of its process's newest
version.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.spiff.runtime import Engine
from engine.store.models import InstanceRow, ProcessVersion, TaskRow
from engine.usecases.project_index import project_fields, sync_project
from engine.usecases.state import FINISHED

__all__ = ["reindex_projects"]


def reindex_projects(engine: Engine, session: Session) -> int:
    """Write every instance's project row from its state and its open tasks; return how many were written."""
    count = 0
    newest: dict[str, dict[str, str]] = {}
    for instance_id in list(session.scalars(select(InstanceRow.id).order_by(InstanceRow.id))):
        row = session.get(InstanceRow, instance_id)
        if row is None:
            continue
        instance = engine.load_instance(row)
        due = dict(session.execute(select(TaskRow.id, TaskRow.due_at).where(
            TaskRow.instance_id == row.id, TaskRow.status == "ready")).all())
        # The task index is what clerks work from: its open tasks are the project's next steps.
        ready = [] if row.status in FINISHED else [t for t in instance.ready_human_tasks() if t.id in due]
        fields = project_fields(engine, row.process_version)
        if not fields:
            if row.process_id not in newest:
                latest = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == row.process_id)
                                         .order_by(ProcessVersion.version.desc()).limit(1)).one()
                newest[row.process_id] = project_fields(engine, latest)
            fields = newest[row.process_id]
        sync_project(engine, session, row, instance, ready, due, row.updated_at, fields)
        count += 1
        if count % 500 == 0:
            session.flush()
            session.expunge_all()  # keep memory flat over a large database
    session.flush()
    return count
