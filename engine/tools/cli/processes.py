"""Commands for deployments, instances, tasks and timers."""

from __future__ import annotations

from pathlib import Path

import click

from engine.errors import InvalidInput
from engine.spiff.bundle import Bundle
from engine.store import audit
from engine.store.db import init_db
from engine.usecases import deployments, inbox, instances, state, tasks
from engine.usecases.describe import (
    describe_audit,
    describe_deployment,
    describe_instance,
    describe_task,
    describe_version,
)

from .base import CliContext, domain_errors_as_json, emit, json_option, main


@main.command("init-db")
@click.pass_obj
@domain_errors_as_json
def init_db_command(obj: CliContext) -> None:
    """Create the database tables."""
    init_db(obj.db)
    emit({"database": obj.settings.database_url.split("@")[-1], "initialised": True})


@main.command()
@click.argument("jurisdictions", nargs=-1)
@click.option("--all", "deploy_all", is_flag=True, help="Deploy every jurisdiction under bpmn/.")
@click.option("--from", "from_dir", type=click.Path(path_type=Path), help="Deploy one bundle folder.")
@click.option("--actor", default="cli", show_default=True)
@click.option("--note", default="")
@click.pass_obj
@domain_errors_as_json
def deploy(obj: CliContext, jurisdictions: tuple[str, ...], deploy_all: bool, from_dir: Path | None,
           actor: str, note: str) -> None:
    """Deploy jurisdiction bundles (or one folder) as new versions."""
    root = obj.settings.project_root
    if not (jurisdictions or deploy_all or from_dir):
        raise InvalidInput("name a jurisdiction, --all or --from DIR")
    if deploy_all:
        found = sorted({p.name for kind in ("bpmn", "dmn") if (root / kind).is_dir()
                        for p in (root / kind).iterdir() if p.is_dir()})
        jurisdictions = tuple(dict.fromkeys([*jurisdictions, *found]))
    bundles = [Bundle.from_jurisdiction(root, j) for j in jurisdictions]
    if from_dir is not None:
        bundles.append(Bundle.from_directory(from_dir))
    results = []
    with obj.session() as session:  # all or nothing: one failed bundle deploys none
        for bundle in bundles:
            result = deployments.deploy_bundle(obj.engine, session, bundle, actor, note)
            results.append({"bundle": bundle.name, "deployment": describe_deployment(result.deployment),
                            "created": result.created,
                            "new_versions": [describe_version(v) for v in result.new_versions],
                            "unchanged": [v.process_id for v in result.unchanged],
                            "new_decisions": {d.decision_id: d.version for d in result.new_decisions}})
    emit(results)


@main.command()
@click.argument("process_id", required=False)
@click.pass_obj
@domain_errors_as_json
def versions(obj: CliContext, process_id: str | None) -> None:
    """List deployed process versions."""
    with obj.session() as session:
        emit([describe_version(v) for v in deployments.list_versions(session, process_id)])


@main.command()
@click.argument("process_id")
@click.option("--data", default=None, help="Initial data as a JSON object.")
@click.option("--version", type=int, default=None, help="Start this version instead of the latest.")
@click.option("--business-key", default=None)
@click.option("--unit", default=None, help="Applicant unit that owns the project.")
@click.option("--actor", default="cli", show_default=True)
@click.pass_obj
@domain_errors_as_json
def start(obj: CliContext, process_id: str, data: str | None, version: int | None, business_key: str | None,
          unit: str | None, actor: str) -> None:
    """Start an instance of a process."""
    initial = json_option(data, "data")
    if not isinstance(initial, dict):
        raise InvalidInput("--data must be a JSON object")
    with obj.session() as session:
        row = instances.start_instance(obj.engine, session, process_id, initial, actor=actor, version=version,
                                       business_key=business_key, unit=unit)
        open_tasks = inbox.list_tasks(session, instance_id=row.id)
        emit({**describe_instance(row), "tasks": [describe_task(t) for t in open_tasks]})


@main.command("instance")
@click.argument("instance_id")
@click.pass_obj
@domain_errors_as_json
def show_instance(obj: CliContext, instance_id: str) -> None:
    """Show one instance with its open tasks and audit trail."""
    with obj.session() as session:
        row = state.get_instance(session, instance_id)
        emit({**describe_instance(row),
               "tasks": [describe_task(t) for t in inbox.list_tasks(session, instance_id=row.id)],
               "audit": [describe_audit(a) for a in audit.audit_trail(session, row.id)]})


@main.command("instances")
@click.option("--process", "process_id", default=None)
@click.option("--status", default=None)
@click.option("--business-key", default=None)
@click.pass_obj
@domain_errors_as_json
def list_instances(obj: CliContext, process_id: str | None, status: str | None, business_key: str | None) -> None:
    """List instances."""
    with obj.session() as session:
        rows = instances.list_instances(session, process_id=process_id, status=status, business_key=business_key)
        emit([describe_instance(r) for r in rows])


@main.command("tasks")
@click.option("--group", "groups", multiple=True, help="Candidate group (repeatable).")
@click.option("--user", default=None)
@click.option("--status", default="ready", show_default=True)
@click.pass_obj
@domain_errors_as_json
def list_tasks(obj: CliContext, groups: tuple[str, ...], user: str | None, status: str) -> None:
    """List tasks from the index."""
    with obj.session() as session:
        rows = inbox.list_tasks(session, groups=list(groups) or None, user=user, status=status)
        emit([describe_task(t) for t in rows])


@main.command()
@click.argument("task_id")
@click.option("--data", required=True, help="The form data as a JSON object.")
@click.option("--user", required=True)
@click.pass_obj
@domain_errors_as_json
def complete(obj: CliContext, task_id: str, data: str, user: str) -> None:
    """Complete a task with form data, validated against its schema."""
    with obj.session() as session:
        row = tasks.complete_task(obj.engine, session, task_id, json_option(data, "data"), user=user)
        instance_row = state.get_instance(session, row.instance_id)
        emit({"task": describe_task(row), "instance": describe_instance(instance_row),
               "tasks": [describe_task(t) for t in inbox.list_tasks(session, instance_id=row.instance_id)]})


@main.command()
@click.argument("task_id")
@click.option("--user", required=True)
@click.pass_obj
@domain_errors_as_json
def claim(obj: CliContext, task_id: str, user: str) -> None:
    """Claim a task."""
    with obj.session() as session:
        emit(describe_task(tasks.claim_task(obj.engine, session, task_id, user=user)))


@main.command()
@click.argument("task_id")
@click.option("--user", required=True)
@click.pass_obj
@domain_errors_as_json
def unclaim(obj: CliContext, task_id: str, user: str) -> None:
    """Give a claimed task back to its group."""
    with obj.session() as session:
        emit(describe_task(tasks.unclaim_task(obj.engine, session, task_id, user=user)))


@main.command()
@click.argument("task_id")
@click.option("--to", "assignee", default=None, help="New assignee; omit to clear.")
@click.option("--actor", default="cli", show_default=True)
@click.pass_obj
@domain_errors_as_json
def assign(obj: CliContext, task_id: str, assignee: str | None, actor: str) -> None:
    """Assign a task to a user, or clear its assignee."""
    with obj.session() as session:
        emit(describe_task(tasks.assign_task(obj.engine, session, task_id, assignee=assignee, actor=actor)))


@main.command()
@click.argument("instance_id")
@click.option("--reason", default="")
@click.option("--actor", default="cli", show_default=True)
@click.pass_obj
@domain_errors_as_json
def cancel(obj: CliContext, instance_id: str, reason: str, actor: str) -> None:
    """Cancel an instance."""
    with obj.session() as session:
        emit(describe_instance(instances.cancel_instance(obj.engine, session, instance_id, actor=actor,
                                                          reason=reason)))


@main.command()
@click.argument("instance_id")
@click.option("--data", default=None, help="Corrected data merged into the failed task, as JSON.")
@click.option("--actor", default="cli", show_default=True)
@click.pass_obj
@domain_errors_as_json
def retry(obj: CliContext, instance_id: str, data: str | None, actor: str) -> None:
    """Retry the failed element of an instance in error."""
    with obj.session() as session:
        row = instances.retry_instance(obj.engine, session, instance_id, actor=actor,
                                       data=json_option(data, "data") or None)
        emit(describe_instance(row))
