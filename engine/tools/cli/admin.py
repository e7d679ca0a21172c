"""Commands for decisions, the calendar, traceability and users."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from engine.calendar import CalendarError
from engine.errors import InvalidInput
from engine.spiff.bundle import Bundle
from engine.tools.consistency import check_consistency
from engine.tools.obligations import ObligationError, load_obligations
from engine.tools.reindex import reindex_projects
from engine.tools.trace import trace_markdown
from engine.usecases import decisions, instances, signin, timers
from engine.usecases import users as user_service

from .base import SYSTEM_ADMIN, CliContext, domain_errors_as_json, emit, main


@main.command()
@click.argument("decision_id")
@click.argument("assignments", nargs=-1)
@click.pass_obj
@domain_errors_as_json
def decide(obj: CliContext, decision_id: str, assignments: tuple[str, ...]) -> None:
    """Evaluate a decision: govflow decide DT_X_01 name=value ..."""
    raw: dict[str, str] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidInput(f"argument {item!r} is not name=value")
        raw[name] = value
    with obj.session() as session:
        emit(decisions.evaluate_decision(obj.engine, session, decision_id, raw))


@main.command("fire-timers")
@click.option("--now", default=None, help="ISO time to fire at (default: now).")
@click.pass_obj
@domain_errors_as_json
def fire_timers(obj: CliContext, now: str | None) -> None:
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
        emit({"fired": [instances.visible_instance(session, SYSTEM_ADMIN, i) for i in fired]})


@main.command()
@click.argument("jurisdiction")
@click.option("--policy", type=click.Path(path_type=Path), default=None,
              help="The jurisdiction's policy file (Markdown); lists every article and its ambiguities.")
@click.option("--coverage", "coverage_file", type=click.Path(path_type=Path), default=None,
              help="Coverage JSON from the test suite (default: test-artifacts/govflow-coverage.json).")
@click.option("--output", type=click.Path(path_type=Path), default=None, help="Write the Markdown here.")
@click.pass_obj
@domain_errors_as_json
def trace(obj: CliContext, jurisdiction: str, policy: Path | None, coverage_file: Path | None,
          output: Path | None) -> None:
    """Report the regulation, its obligations, the elements and rules implementing each article and their tests."""
    root = obj.settings.project_root
    bundle = Bundle.from_jurisdiction(root, jurisdiction)
    coverage_file = coverage_file or root / "test-artifacts" / "govflow-coverage.json"
    coverage = json.loads(coverage_file.read_text(encoding="utf-8")) if coverage_file.is_file() else None
    policy_text = policy.read_text(encoding="utf-8") if policy is not None else None
    listed = root / "regulations" / f"{jurisdiction}.obligations.toml"
    try:
        obligations = load_obligations(listed) if listed.is_file() else None
    except ObligationError as exc:
        raise click.ClickException(str(exc)) from None
    report = trace_markdown(bundle, policy_text, coverage, obligations)
    if output is not None:
        output.write_text(report, encoding="utf-8")
        emit({"jurisdiction": jurisdiction, "written": str(output)})
    else:
        click.echo(report)


@main.group()
def users() -> None:
    """Manage users, their roles, units and candidate groups."""


@users.command("create")
@click.argument("username")
@click.option("--password", required=True)
@click.option("--groups", default="", help="Comma-separated candidate groups, e.g. datong:applicant_unit.")
@click.option("--unit", default=None, help="Organisation unit.")
@click.option("--role", default="clerk", show_default=True, help="clerk, process_owner or admin.")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.option("--email", default=None, help="E-mail address for notifications (none: no e-mail).")
@click.pass_obj
@domain_errors_as_json
def users_create(obj: CliContext, username: str, password: str, groups: str, unit: str | None, role: str,
                 display_name: str | None, email: str | None) -> None:
    """Create a user."""
    with obj.session() as session:
        user = user_service.create_user(obj.engine, session, username, password, groups=groups.split(","),
                                        unit=unit, role=role, display_name=display_name, email=email)
        emit(user)


@users.command("list")
@click.pass_obj
@domain_errors_as_json
def users_list(obj: CliContext) -> None:
    """List users."""
    with obj.session() as session:
        emit(user_service.list_users(session))


@users.command("demo")
@click.option("--password", default=user_service.DEMO_PASSWORD, show_default=True)
@click.pass_obj
@domain_errors_as_json
def users_demo(obj: CliContext, password: str) -> None:
    """Create demo users for every candidate group of the deployed processes."""
    with obj.session() as session:
        created = user_service.create_demo_users(obj.engine, session, password)
        emit({"created": created})


@users.command("lead")
@click.argument("username")
@click.argument("group")
@click.option("--stop", is_flag=True, help="Stop leading the group instead.")
@click.pass_obj
@domain_errors_as_json
def users_lead(obj: CliContext, username: str, group: str, stop: bool) -> None:
    """Make a member of GROUP one of its leaders (they hand its tasks to members), or stop them leading it."""
    with obj.session() as session:
        emit(user_service.set_leader(obj.engine, session, SYSTEM_ADMIN, username, group, leads=not stop))


@users.command("sign-out")
@click.argument("username")
@click.pass_obj
@domain_errors_as_json
def users_sign_out(obj: CliContext, username: str) -> None:
    """End every browser sign-in and API token of a user (after a lost laptop or a leaked token)."""
    with obj.session() as session:
        ended = signin.end_all_sessions(session, SYSTEM_ADMIN, username, obj.engine.now())
        emit({"username": username, "ended": ended})


@main.command("check-consistency")
@click.pass_obj
@domain_errors_as_json
def check_consistency_command(obj: CliContext) -> None:
    """Check every instance's task index and next timer against its state (after a crash or a restore)."""
    with obj.session() as session:
        report = check_consistency(obj.engine, session, timers_fire_once=False)
    emit({"instances": report.instances, "tasks": report.tasks, "consistent": report.consistent,
          "problems": report.problems})
    if not report.consistent:
        raise SystemExit(1)


@main.command("reindex-projects")
@click.pass_obj
@domain_errors_as_json
def reindex_projects_command(obj: CliContext) -> None:
    """Rebuild the project lists' index from every instance's state (once, after upgrading to it)."""
    with obj.session() as session:
        emit({"projects": reindex_projects(obj.engine, session)})


@main.group()
def calendar() -> None:
    """Business calendar arithmetic (official PRC working days)."""


def _calendar_command(name: str, method: str, doc: str) -> None:
    @calendar.command(name, help=doc)
    @click.argument("start")
    @click.argument("n")
    @click.pass_obj
    @domain_errors_as_json
    def run(obj: CliContext, start: str, n: str) -> None:
        try:
            amount = int(n)
        except ValueError:
            raise CalendarError(f"N must be a whole number, got {n!r}") from None
        result = getattr(obj.engine.calendar, method)(start, amount)
        emit({"start": start, "n": amount, "result": result.isoformat(),
               "covered": obj.engine.calendar.covers(result.year)})


_calendar_command("add-working-days", "add_working_days", "Add N official working days to DATE.")
_calendar_command("add-days", "add_days", "Add N natural days to DATE.")
_calendar_command("add-months", "add_months", "Add N calendar months to DATE (month-end clamped).")
