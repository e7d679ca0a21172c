"""Commands for version management: diff two versions, choose the current one, migrate instances."""

from __future__ import annotations

import click

from engine.usecases import drafts, migration
from engine.usecases.versiondiff import diff_versions

from .base import CliContext, actor_option, domain_errors_as_json, emit, main


@main.command()
@click.argument("process_id")
@click.argument("from_version", type=int)
@click.argument("to_version", type=int)
@actor_option()
@click.pass_obj
@domain_errors_as_json
def diff(obj: CliContext, process_id: str, from_version: int, to_version: int, actor_name: str | None) -> None:
    """Show what changed between two versions: elements, flows, lanes, DMN rules, form fields."""
    with obj.session() as session:
        emit(diff_versions(session, obj.actor(session, actor_name), process_id, from_version, to_version))


@main.command("make-current")
@click.option("--process", "process_id", required=True)
@click.option("--version", type=int, required=True, help="Version new instances start on (older = roll back).")
@actor_option()
@click.pass_obj
@domain_errors_as_json
def make_current(obj: CliContext, process_id: str, version: int, actor_name: str | None) -> None:
    """Choose the version new instances start on; running instances keep theirs."""
    with obj.session() as session:
        emit(drafts.choose_current(obj.engine, session, obj.actor(session, actor_name), process_id, version))


@main.command()
@click.option("--process", "process_id", required=True)
@click.option("--to-version", type=int, required=True)
@click.option("--dry-run", is_flag=True, help="Report what would move; change nothing.")
@click.option("--instance", "instance_ids", multiple=True, help="Only these instances (repeatable).")
@actor_option()
@click.pass_obj
@domain_errors_as_json
def migrate(obj: CliContext, process_id: str, to_version: int, dry_run: bool, instance_ids: tuple[str, ...],
            actor_name: str | None) -> None:
    """Move running instances to another version; those that cannot move are reported, not touched."""
    run = migration.plan_migration if dry_run else migration.migrate_instances
    with obj.session() as session:
        report = run(obj.engine, session, obj.actor(session, actor_name), process_id, to_version,
                     list(instance_ids) or None)
        emit({"operation": report.operation, "process_id": process_id, "to_version": to_version,
              "dry_run": dry_run, "movable": len(report.movable), "blocked": len(report.blocked),
              "instances": report.checks})
