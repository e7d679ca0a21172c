"""Commands for deployments, instances, tasks and timers."""

from __future__ import annotations

from pathlib import Path

import click

from engine.errors import InvalidInput
from engine.spiff.bundle import Bundle
from engine.store.db import init_db
from engine.store.schema import current_revision, head_revision, upgrade_schema
from engine.usecases import deployments, inbox, instances, oversight, tasks
from engine.usecases.describe import to_json

from .base import CliContext, actor_option, domain_errors_as_json, emit, json_option, main


@main.command("init-db")
@click.pass_obj
@domain_errors_as_json
def init_db_command(obj: CliContext) -> None:
    """Create the database tables at the newest schema; an older database needs `db upgrade`."""
    init_db(obj.db)
    emit({"database": obj.settings.database_url.split("@")[-1], "initialised": True,
          "revision": current_revision(obj.db)})


@main.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@click.pass_obj
@domain_errors_as_json
def db_upgrade(obj: CliContext) -> None:
    """Upgrade the database schema to the newest migration, keeping every row (back it up first)."""
    before = upgrade_schema(obj.db)
    emit({"database": obj.settings.database_url.split("@")[-1], "from": before or None,
          "to": current_revision(obj.db)})


@db_group.command("current")
@click.pass_obj
@domain_errors_as_json
def db_current(obj: CliContext) -> None:
    """Show the database's schema revision and the newest one."""
    emit({"revision": current_revision(obj.db), "head": head_revision()})


@main.command()
@click.argument("jurisdictions", nargs=-1)
@click.option("--all", "deploy_all", is_flag=True, help="Deploy every jurisdiction under bpmn/.")
@click.option("--from", "from_dir", type=click.Path(path_type=Path), help="Deploy one bundle folder.")
@actor_option()
@click.option("--note", default="")
@click.option("--json", "as_json", is_flag=True, help="Print every detail as JSON instead of one line per bundle.")
@click.pass_obj
@domain_errors_as_json
def deploy(obj: CliContext, jurisdictions: tuple[str, ...], deploy_all: bool, from_dir: Path | None,
           actor_name: str | None, note: str, as_json: bool) -> None:
    """Deploy jurisdiction bundles (or one folder) as new versions and summarise what changed."""
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
    with obj.session() as session:  # all or nothing: one failed bundle deploys none
        actor = obj.actor(session, actor_name)
        results = [deployments.deploy(obj.engine, session, actor, bundle, note=note) for bundle in bundles]
    if as_json:
        emit(results)
    else:
        click.echo(deploy_summary(results))


def deploy_summary(results: list[deployments.DeployResult]) -> str:
    """Say in one line per bundle what a deployment created, then count the bundles."""
    lines = []
    for result in results:
        bundle = result.deployment.bundle
        if result.created:
            made = ", ".join(f"{v.process_id} v{v.version}" for v in result.new_versions) or "no process changed"
            decisions = f", {len(result.new_decisions)} decision(s)" if result.new_decisions else ""
            lines.append(f"{bundle}: deployed {made}{decisions} ({len(result.deployment.files)} files)")
        else:
            lines.append(f"{bundle}: unchanged; {result.notice}")
    created = sum(result.created for result in results)
    lines.append(f"{len(results)} bundle(s): {created} deployed, {len(results) - created} unchanged"
                 " (--json for details)")
    return "\n".join(lines)


@main.command()
@click.argument("process_id", required=False)
@click.pass_obj
@domain_errors_as_json
def versions(obj: CliContext, process_id: str | None) -> None:
    """List deployed process versions."""
    with obj.session() as session:
        emit(deployments.deployed_versions(session, process_id))


@main.command()
@click.argument("process_id")
@click.option("--data", default=None, help="Initial data as a JSON object.")
@click.option("--version", type=int, default=None, help="Start this version instead of the current one (admins).")
@click.option("--business-key", default=None)
@click.option("--unit", default=None, help="Applicant unit that owns the project (admins; default: the actor's).")
@click.option("--outside-validity", default=None, metavar="REASON",
              help="Start although the regulation does not apply today, for this transition reason (admins; audited).")
@actor_option(required=True)
@click.pass_obj
@domain_errors_as_json
def start(obj: CliContext, process_id: str, data: str | None, version: int | None, business_key: str | None,
          unit: str | None, outside_validity: str | None, actor_name: str) -> None:
    """Start a project: an instance of a process owned by an applicant unit."""
    initial = json_option(data, "data")
    if not isinstance(initial, dict):
        raise InvalidInput("--data must be a JSON object")
    with obj.session() as session:
        actor = obj.actor(session, actor_name)
        started = instances.start_project(obj.engine, session, actor, process_id, business_key=business_key,
                                          data=initial, version=version, unit=unit,
                                          outside_validity=outside_validity)
        emit({**to_json(started), "tasks": oversight.instance_view(obj.engine, session, actor, started.id).open_tasks})


@main.command("instance")
@click.argument("instance_id")
@actor_option()
@click.pass_obj
@domain_errors_as_json
def show_instance(obj: CliContext, instance_id: str, actor_name: str | None) -> None:
    """Show one instance with its open tasks and audit trail."""
    with obj.session() as session:
        view = oversight.instance_view(obj.engine, session, obj.actor(session, actor_name), instance_id)
        emit({**to_json(view.instance), "tasks": view.open_tasks, "audit": view.trail})


@main.command("instances")
@click.option("--process", "process_id", default=None)
@click.option("--status", default=None)
@click.option("--business-key", default=None)
@actor_option()
@click.pass_obj
@domain_errors_as_json
def list_instances(obj: CliContext, process_id: str | None, status: str | None, business_key: str | None,
                   actor_name: str | None) -> None:
    """List instances, newest first."""
    with obj.session() as session:
        found, _ = oversight.list_visible_instances(session, obj.actor(session, actor_name), process_id=process_id,
                                                    status=status, business_key=business_key, per_page=100)
        emit(found)


@main.command("tasks")
@click.option("--mine", is_flag=True, help="Only tasks assigned to the actor.")
@click.option("--process", "process_id", default=None)
@click.option("--search", default=None, help="Business key or project name.")
@actor_option(required=True)
@click.pass_obj
@domain_errors_as_json
def list_tasks(obj: CliContext, mine: bool, process_id: str | None, search: str | None, actor_name: str) -> None:
    """List the ready tasks the actor may work on, soonest due first."""
    query = inbox.InboxQuery(scope="mine" if mine else "groups", process_id=process_id, search=search,
                             per_page=inbox.MAX_PER_PAGE)
    with obj.session() as session:
        emit(inbox.inbox(session, obj.actor(session, actor_name), query, obj.engine.now()).rows)


@main.command()
@click.argument("task_id")
@click.option("--data", required=True, help="The form data as a JSON object.")
@actor_option(required=True)
@click.pass_obj
@domain_errors_as_json
def complete(obj: CliContext, task_id: str, data: str, actor_name: str) -> None:
    """Complete a task with form data, validated against its schema."""
    with obj.session() as session:
        actor = obj.actor(session, actor_name)
        done = tasks.complete(obj.engine, session, actor, task_id, json_option(data, "data"))
        # Every open task of the instance, as its page lists them, whoever's desk they are on now.
        emit({"task": done.task, "instance": done.instance,
              "tasks": oversight.instance_view(obj.engine, session, actor, done.instance.id).open_tasks})


@main.command()
@click.argument("task_id")
@actor_option(required=True)
@click.pass_obj
@domain_errors_as_json
def claim(obj: CliContext, task_id: str, actor_name: str) -> None:
    """Claim a task."""
    with obj.session() as session:
        emit(tasks.claim(obj.engine, session, obj.actor(session, actor_name), task_id))


@main.command()
@click.argument("task_id")
@actor_option(required=True)
@click.pass_obj
@domain_errors_as_json
def unclaim(obj: CliContext, task_id: str, actor_name: str) -> None:
    """Give a claimed task back to its group."""
    with obj.session() as session:
        emit(tasks.unclaim(obj.engine, session, obj.actor(session, actor_name), task_id))


@main.command()
@click.argument("task_id")
@click.option("--to", "assignee", default=None, help="New assignee; omit to clear.")
@actor_option()
@click.pass_obj
@domain_errors_as_json
def assign(obj: CliContext, task_id: str, assignee: str | None, actor_name: str | None) -> None:
    """Assign a task to a user, or clear its assignee (administrators)."""
    with obj.session() as session:
        emit(tasks.assign(obj.engine, session, obj.actor(session, actor_name), task_id, assignee))


@main.command()
@click.argument("instance_id")
@click.option("--reason", required=True, help="Why the instance is cancelled (kept in the audit trail).")
@actor_option()
@click.pass_obj
@domain_errors_as_json
def cancel(obj: CliContext, instance_id: str, reason: str, actor_name: str | None) -> None:
    """Cancel an instance (administrators)."""
    with obj.session() as session:
        emit(oversight.cancel(obj.engine, session, obj.actor(session, actor_name), instance_id, reason))


@main.command()
@click.argument("instance_id")
@click.option("--data", default=None, help="Corrected data merged into the failed task, as JSON.")
@actor_option()
@click.pass_obj
@domain_errors_as_json
def retry(obj: CliContext, instance_id: str, data: str | None, actor_name: str | None) -> None:
    """Retry the failed element of an instance in error (administrators)."""
    with obj.session() as session:
        emit(oversight.retry(obj.engine, session, obj.actor(session, actor_name), instance_id,
                             json_option(data, "data") or None))
