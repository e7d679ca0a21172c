"""The `govflow` command: deploy bundles, run instances and tasks, evaluate decisions.

Every command prints JSON on stdout; a failure prints one JSON line on stderr
and exits non-zero.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from . import audit, decisions, deployments, instances, tasks, timers
from .bundle import Bundle
from .calendar import CalendarError
from .db import init_db, make_db_engine, make_session_factory, unit_of_work
from .describe import describe_audit, describe_instance, describe_task, describe_version, json_default
from .errors import GovflowError, InvalidInput
from .runtime import Engine
from .settings import Settings
from .trace import trace_markdown

__all__ = ["main"]


class _Context:
    def __init__(self, database_url: str | None) -> None:
        overrides = {"database_url": database_url} if database_url else {}
        self.settings = Settings.from_env(**overrides)
        self.engine = Engine(self.settings)
        self.db = make_db_engine(self.settings.database_url)
        self.sessions = make_session_factory(self.db)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with unit_of_work(self.sessions) as session:
            yield session


def _emit(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=json_default))


def _command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into one JSON line on stderr and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GovflowError as exc:
            click.echo(json.dumps(exc.to_dict(), ensure_ascii=False, default=json_default), err=True)
            sys.exit(1)

    return wrapper


def _json_option(value: str | None, name: str) -> Any:
    if value is None:
        return {}
    try:
        return json.loads(value)
    except ValueError as exc:
        raise InvalidInput(f"--{name} is not valid JSON: {exc}") from None


@click.group()
@click.option("--database-url", envvar="GOVFLOW_DATABASE_URL", default=None, help="SQLAlchemy database URL.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """Govflow: BPMN/DMN processes for government informatization projects."""
    ctx.obj = _Context(database_url)
    ctx.call_on_close(ctx.obj.db.dispose)


@main.command("init-db")
@click.pass_obj
@_command
def init_db_command(obj: _Context) -> None:
    """Create the database tables."""
    init_db(obj.db)
    _emit({"database": obj.settings.database_url.split("@")[-1], "initialised": True})


@main.command()
@click.argument("jurisdictions", nargs=-1)
@click.option("--all", "deploy_all", is_flag=True, help="Deploy every jurisdiction under bpmn/.")
@click.option("--from", "from_dir", type=click.Path(path_type=Path), help="Deploy one bundle folder.")
@click.option("--actor", default="cli", show_default=True)
@click.option("--note", default="")
@click.pass_obj
@_command
def deploy(obj: _Context, jurisdictions: tuple[str, ...], deploy_all: bool, from_dir: Path | None,
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
            results.append({"bundle": bundle.name, "deployment": result.deployment.id, "created": result.created,
                            "new_versions": [describe_version(v) for v in result.new_versions],
                            "unchanged": [v.process_id for v in result.unchanged],
                            "new_decisions": {d.decision_id: d.version for d in result.new_decisions}})
    _emit(results)


@main.command()
@click.argument("process_id", required=False)
@click.pass_obj
@_command
def versions(obj: _Context, process_id: str | None) -> None:
    """List deployed process versions."""
    with obj.session() as session:
        _emit([describe_version(v) for v in deployments.list_versions(session, process_id)])


@main.command()
@click.argument("process_id")
@click.option("--data", default=None, help="Initial data as a JSON object.")
@click.option("--version", type=int, default=None, help="Start this version instead of the latest.")
@click.option("--business-key", default=None)
@click.option("--actor", default="cli", show_default=True)
@click.pass_obj
@_command
def start(obj: _Context, process_id: str, data: str | None, version: int | None, business_key: str | None,
          actor: str) -> None:
    """Start an instance of a process."""
    initial = _json_option(data, "data")
    if not isinstance(initial, dict):
        raise InvalidInput("--data must be a JSON object")
    with obj.session() as session:
        row = instances.start_instance(obj.engine, session, process_id, initial, actor=actor, version=version,
                                       business_key=business_key)
        open_tasks = tasks.list_tasks(session, instance_id=row.id)
        _emit({**describe_instance(row), "tasks": [describe_task(t) for t in open_tasks]})


@main.command("instance")
@click.argument("instance_id")
@click.pass_obj
@_command
def show_instance(obj: _Context, instance_id: str) -> None:
    """Show one instance with its open tasks and audit trail."""
    with obj.session() as session:
        row = instances.get_instance(session, instance_id)
        _emit({**describe_instance(row),
               "tasks": [describe_task(t) for t in tasks.list_tasks(session, instance_id=row.id)],
               "audit": [describe_audit(a) for a in audit.audit_trail(session, row.id)]})


@main.command("instances")
@click.option("--process", "process_id", default=None)
@click.option("--status", default=None)
@click.option("--business-key", default=None)
@click.pass_obj
@_command
def list_instances(obj: _Context, process_id: str | None, status: str | None, business_key: str | None) -> None:
    """List instances."""
    with obj.session() as session:
        rows = instances.list_instances(session, process_id=process_id, status=status, business_key=business_key)
        _emit([describe_instance(r) for r in rows])


@main.command("tasks")
@click.option("--group", "groups", multiple=True, help="Candidate group (repeatable).")
@click.option("--user", default=None)
@click.option("--status", default="ready", show_default=True)
@click.pass_obj
@_command
def list_tasks(obj: _Context, groups: tuple[str, ...], user: str | None, status: str) -> None:
    """List tasks from the index."""
    with obj.session() as session:
        rows = tasks.list_tasks(session, groups=list(groups) or None, user=user, status=status)
        _emit([describe_task(t) for t in rows])


@main.command()
@click.argument("task_id")
@click.option("--data", required=True, help="The form data as a JSON object.")
@click.option("--user", required=True)
@click.pass_obj
@_command
def complete(obj: _Context, task_id: str, data: str, user: str) -> None:
    """Complete a task with form data, validated against its schema."""
    with obj.session() as session:
        row = tasks.complete_task(obj.engine, session, task_id, _json_option(data, "data"), user=user)
        instance_row = instances.get_instance(session, row.instance_id)
        _emit({"task": describe_task(row), "instance": describe_instance(instance_row),
               "tasks": [describe_task(t) for t in tasks.list_tasks(session, instance_id=row.instance_id)]})


@main.command()
@click.argument("task_id")
@click.option("--user", required=True)
@click.pass_obj
@_command
def claim(obj: _Context, task_id: str, user: str) -> None:
    """Claim a task."""
    with obj.session() as session:
        _emit(describe_task(tasks.claim_task(obj.engine, session, task_id, user=user)))


@main.command()
@click.argument("task_id")
@click.option("--user", required=True)
@click.pass_obj
@_command
def unclaim(obj: _Context, task_id: str, user: str) -> None:
    """Give a claimed task back to its group."""
    with obj.session() as session:
        _emit(describe_task(tasks.unclaim_task(obj.engine, session, task_id, user=user)))


@main.command()
@click.argument("task_id")
@click.option("--to", "assignee", default=None, help="New assignee; omit to clear.")
@click.option("--actor", default="cli", show_default=True)
@click.pass_obj
@_command
def assign(obj: _Context, task_id: str, assignee: str | None, actor: str) -> None:
    """Assign a task to a user, or clear its assignee."""
    with obj.session() as session:
        _emit(describe_task(tasks.assign_task(obj.engine, session, task_id, assignee=assignee, actor=actor)))


@main.command()
@click.argument("instance_id")
@click.option("--reason", default="")
@click.option("--actor", default="cli", show_default=True)
@click.pass_obj
@_command
def cancel(obj: _Context, instance_id: str, reason: str, actor: str) -> None:
    """Cancel an instance."""
    with obj.session() as session:
        _emit(describe_instance(instances.cancel_instance(obj.engine, session, instance_id, actor=actor,
                                                          reason=reason)))


@main.command()
@click.argument("instance_id")
@click.option("--data", default=None, help="Corrected data merged into the failed task, as JSON.")
@click.option("--actor", default="cli", show_default=True)
@click.pass_obj
@_command
def retry(obj: _Context, instance_id: str, data: str | None, actor: str) -> None:
    """Retry the failed element of an instance in error."""
    with obj.session() as session:
        row = instances.retry_instance(obj.engine, session, instance_id, actor=actor,
                                       data=_json_option(data, "data") or None)
        _emit(describe_instance(row))


@main.command()
@click.argument("decision_id")
@click.argument("assignments", nargs=-1)
@click.pass_obj
@_command
def decide(obj: _Context, decision_id: str, assignments: tuple[str, ...]) -> None:
    """Evaluate a decision: govflow decide DT_X_01 name=value ..."""
    raw: dict[str, str] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidInput(f"argument {item!r} is not name=value")
        raw[name] = value
    with obj.session() as session:
        result = decisions.evaluate_decision(obj.engine, session, decision_id, raw)
    _emit({"decision": result.decision_id, "version": result.version, "inputs": result.inputs,
           "outputs": result.outputs})


@main.command("fire-timers")
@click.option("--now", default=None, help="ISO time to fire at (default: now).")
@click.pass_obj
@_command
def fire_timers(obj: _Context, now: str | None) -> None:
    """Fire every timer that is due."""
    moment = None
    if now is not None:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            raise InvalidInput(f"--now {now!r} is not an ISO date-time") from None
        if moment.tzinfo is None:
            raise InvalidInput("--now needs a timezone offset, e.g. 2025-10-15T00:00:00+08:00")
    with obj.session() as session:
        fired = timers.fire_due_timers(obj.engine, session, moment)
        _emit({"fired": [describe_instance(instances.get_instance(session, i)) for i in fired]})


@main.command()
@click.argument("jurisdiction")
@click.option("--policy", type=click.Path(path_type=Path), default=None,
              help="The jurisdiction's policy file (Markdown); lists every article and its ambiguities.")
@click.option("--coverage", "coverage_file", type=click.Path(path_type=Path), default=None,
              help="Coverage JSON from the test suite (default: test-artifacts/govflow-coverage.json).")
@click.option("--output", type=click.Path(path_type=Path), default=None, help="Write the Markdown here.")
@click.pass_obj
@_command
def trace(obj: _Context, jurisdiction: str, policy: Path | None, coverage_file: Path | None,
          output: Path | None) -> None:
    """Report which elements and rules implement each article, and the tests covering them (Markdown)."""
    root = obj.settings.project_root
    bundle = Bundle.from_jurisdiction(root, jurisdiction)
    coverage_file = coverage_file or root / "test-artifacts" / "govflow-coverage.json"
    coverage = json.loads(coverage_file.read_text(encoding="utf-8")) if coverage_file.is_file() else None
    policy_text = policy.read_text(encoding="utf-8") if policy is not None else None
    report = trace_markdown(bundle, policy_text, coverage)
    if output is not None:
        output.write_text(report, encoding="utf-8")
        _emit({"jurisdiction": jurisdiction, "written": str(output)})
    else:
        click.echo(report)


@main.group()
def calendar() -> None:
    """Business calendar arithmetic (official PRC working days)."""


def _calendar_command(name: str, method: str, doc: str) -> None:
    @calendar.command(name, help=doc)
    @click.argument("start")
    @click.argument("n")
    @click.pass_obj
    @_command
    def run(obj: _Context, start: str, n: str) -> None:
        try:
            amount = int(n)
        except ValueError:
            raise CalendarError(f"N must be a whole number, got {n!r}") from None
        result = getattr(obj.engine.calendar, method)(start, amount)
        _emit({"start": start, "n": amount, "result": result.isoformat(),
               "covered": obj.engine.calendar.covers(result.year)})


_calendar_command("add-working-days", "add_working_days", "Add N official working days to DATE.")
_calendar_command("add-days", "add_days", "Add N natural days to DATE.")
_calendar_command("add-months", "add_months", "Add N calendar months to DATE (month-end clamped).")
