"""Commands for handing work on: withdrawing a completion and delegating (委托)."""

from __future__ import annotations

from datetime import date, datetime

import click

from engine.usecases import delegations, withdrawal

from .base import CliContext, actor_option, domain_errors_as_json, emit, main


@main.command()
@click.argument("task_id")
@actor_option(required=True)
@click.pass_obj
@domain_errors_as_json
def withdraw(obj: CliContext, task_id: str, actor_name: str) -> None:
    """Take back your last completion while the next step is untouched (撤回)."""
    with obj.session() as session:
        emit(withdrawal.withdraw(obj.engine, session, obj.actor(session, actor_name), task_id))


@main.group("delegations")
def delegations_group() -> None:
    """Hand your tasks to a colleague for a period (委托), list and end delegations."""


@delegations_group.command("add")
@click.argument("delegate")
@click.option("--from", "starts_on", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day.")
@click.option("--until", "ends_on", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day (inclusive).")
@click.option("--bundle", default=None, help="Only this jurisdiction's tasks.")
@click.option("--process", "process_id", default=None, help="Only this process's tasks.")
@click.option("--note", default="")
@actor_option(required=True)
@click.pass_obj
@domain_errors_as_json
def delegations_add(obj: CliContext, delegate: str, starts_on: date, ends_on: date, bundle: str | None,
                    process_id: str | None, note: str, actor_name: str) -> None:
    """Let DELEGATE see and work the actor's tasks from --from to --until."""
    with obj.session() as session:
        emit(delegations.delegate(obj.engine, session, obj.actor(session, actor_name), delegate,
                                  _day(starts_on), _day(ends_on), bundle=bundle, process_id=process_id, note=note))


@delegations_group.command("list")
@actor_option()
@click.pass_obj
@domain_errors_as_json
def delegations_list(obj: CliContext, actor_name: str | None) -> None:
    """List the delegations the actor gave or received (everyone's without --actor)."""
    with obj.session() as session:
        emit(delegations.list_delegations(obj.engine, session, obj.actor(session, actor_name)))


@delegations_group.command("end")
@click.argument("delegation_id", type=int)
@actor_option()
@click.pass_obj
@domain_errors_as_json
def delegations_end(obj: CliContext, delegation_id: int, actor_name: str | None) -> None:
    """End a delegation early."""
    with obj.session() as session:
        emit(delegations.end_delegation(obj.engine, session, obj.actor(session, actor_name), delegation_id))


def _day(value: date) -> date:
    # click hands a datetime at midnight; the period is counted in whole local days.
    return value.date() if isinstance(value, datetime) else value
