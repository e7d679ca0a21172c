"""Pages for people: inbox, task, start, instance and monitoring. Every view needs a signed-in actor."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import DueDay, InvalidInput, due_day, inbox, instances, moment_text, naming, oversight, tasks, withdrawal

from .auth import current_actor
from .db import get_engine, get_session
from .i18n import MESSAGES, translate
from .limits import whole_number

__all__ = ["bp"]

bp = Blueprint("pages", __name__)


@bp.app_template_filter("local")
def local_time(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored UTC moment in the jurisdiction's time zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(get_engine().settings.timezone)).strftime(pattern)


def _due(value: datetime) -> DueDay:
    engine = get_engine()
    return due_day(value, engine.now(), engine.settings.timezone)


@bp.app_template_filter("last_day")
def last_day(value: datetime | None) -> str:
    """Show a stored due moment as the last day to act on (截止 2026-12-04), by the README's date rule."""
    if value is None:
        return ""
    shown = _due(value)
    day = shown.last_day.isoformat() + (f" {shown.time:%H:%M}" if shown.time is not None else "")
    return translate("due_on", day=day)


@bp.app_template_filter("days_left")
def days_left(value: datetime | None) -> str:
    """Say how far a due moment is: 今天到期, 剩 n 天 or 逾期 n 天 (days counted on the calendar)."""
    if value is None:
        return ""
    shown = _due(value)
    if shown.overdue:
        late = -shown.days_left
        return translate("overdue") if late < 1 else translate("day_overdue" if late == 1 else "days_overdue", n=late)
    if shown.days_left == 0:
        return translate("due_today")
    return translate("day_left" if shown.days_left == 1 else "days_left", n=shown.days_left)


@bp.app_template_filter("deadline_moment")
def deadline_moment(value: datetime | None) -> str:
    """Show when a timer fires the way a deadline is written: the end of a day is 24:00 of that day."""
    return "" if value is None else moment_text(value, get_engine().settings.timezone)


def _inbox_query() -> inbox.InboxQuery:
    args = request.args
    due = args.get("due") or None
    return inbox.InboxQuery(
        scope="mine" if args.get("scope") == "mine" else "groups",
        bundle=args.get("bundle") or None, process_id=args.get("process") or None, task=args.get("task") or None,
        due=due if due in inbox.DUE_STATES else None,
        search=args.get("q") or None, sort="newest" if args.get("sort") == "newest" else "due",
        page=whole_number(args, "page", 1) or 1, per_page=whole_number(args, "per_page", 25) or 25)


@bp.get("/", endpoint="inbox")
def inbox_page() -> str:
    """Show the clerk's inbox."""
    actor, session, now = current_actor(), get_session(), get_engine().now()
    query = _inbox_query()
    page = inbox.inbox(session, actor, query, now)
    return render_template("inbox.html", page=page, query=query, facets=inbox.inbox_facets(session, actor),
                           due_state=lambda task: inbox.due_state(task, now), due_states=inbox.DUE_STATES)



@bp.get("/tasks/<task_id>")
def task(task_id: str) -> str:
    """Show a task with its form, or what was submitted once it is done."""
    actor = current_actor()
    view = tasks.task_view(get_engine(), get_session(), actor, task_id)
    on_behalf_of = actor.standing_in_for(view.task)
    # Unclaimed, the form is open to the whole group: completing claims the task (claiming first is optional).
    editable = view.task.status == "ready" and view.task.assignee in (None, actor.username, on_behalf_of)
    leads = view.task.status == "ready" and (actor.is_admin or view.task.candidate_group in actor.leads)
    members = tasks.group_members(get_session(), actor, task_id) if leads else []
    return render_template("task.html", view=view, editable=editable, on_behalf_of=on_behalf_of, leads=leads,
                           members=members, due=inbox.due_state(view.task, get_engine().now()))


def _back(default: str) -> Response:
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else default)


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Response:
    """Claim a task."""
    tasks.claim(get_engine(), get_session(), current_actor(), task_id)
    return _back(url_for("pages.task", task_id=task_id))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Response:
    """Give a claimed task back to the group."""
    tasks.unclaim(get_engine(), get_session(), current_actor(), task_id)
    return _back(url_for("pages.inbox"))


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> dict[str, Any]:
    """Complete a task from the form page (JSON in, JSON out; field errors come back as 422)."""
    data = request.get_json(silent=True)
    if data is None:
        abort(415, "expected a JSON body")
    done = tasks.complete(get_engine(), get_session(), current_actor(), task_id, data,
                         idempotency_key=request.headers.get("Idempotency-Key"))
    return {"redirect": url_for("pages.instance", instance_id=done.instance.id)}


@bp.route("/start", methods=["GET", "POST"])
def start() -> str | Response | tuple[str, int]:
    """Offer the processes the actor's unit may apply to, and start one."""
    actor, session, engine = current_actor(), get_session(), get_engine()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            started = instances.start_project(engine, session, actor, request.form.get("process", ""),
                                              business_key=request.form.get("business_key"),
                                              outside_validity=request.form.get("outside_validity") or None)
        except InvalidInput as exc:
            errors = {e.field: e.message for e in exc.errors}
        else:
            first = next(iter(tasks.instance_tasks(session, actor, started.id)), None)
            if first is not None:
                return redirect(url_for("pages.task", task_id=first.id))
            return redirect(url_for("pages.instance", instance_id=started.id))
    versions = instances.startable_versions(session, actor)
    page = render_template("start.html", versions=versions, errors=errors, form=request.form,
                           regulations=instances.regulations_of(engine, session, [v.process_id for v in versions]))
    return (page, 422) if errors else page


@bp.get("/instances/<instance_id>")
def instance(instance_id: str) -> str:
    """Show where an instance stands on its diagram, with its history and decisions."""
    actor, session, engine = current_actor(), get_session(), get_engine()
    view = oversight.instance_view(engine, session, actor, instance_id)
    now = engine.now()
    return render_template("instance.html", view=view, instance=view.instance,
                           withdrawable=withdrawal.withdrawable(session, actor, instance_id), cancel_errors={},
                           due_state=lambda task: inbox.due_state(task, now))


@bp.get("/monitor")
def monitor() -> str:
    """Show process versions with their load, and overdue tasks by agency (administrators)."""
    actor, session = current_actor(), get_session()
    loads = oversight.version_loads(session, actor)
    overdue = oversight.overdue_by_agency(session, actor, get_engine().now())
    return render_template("monitor.html", loads=loads, overdue=overdue)


@bp.get("/monitor/<process_id>/<int:version>")
def heat_map(process_id: str, version: int) -> str:
    """Show a process version's diagram with unfinished instances counted per element."""
    heat = oversight.heat_map(get_session(), current_actor(), process_id, version)
    names = naming.names_for(get_engine(), get_session(), process_id=process_id, version=version)
    return render_template("heatmap.html", heat=heat, names=names,
                           table=oversight.heat_table(get_engine(), get_session(), heat), element_label=_element_label)


def _element_label(row: oversight.ElementCount) -> str:
    """Name an element of a heat map's table; an unnamed one by what it is, never by its id."""
    if row.name:
        return row.name
    key = f"element_kind_{row.kind}"
    return translate(key if key in MESSAGES else "element_kind_other")


@bp.post("/instances/<instance_id>/retry")
def retry(instance_id: str) -> Response:
    """Re-run the failed element of an instance (administrators)."""
    oversight.retry(get_engine(), get_session(), current_actor(), instance_id)
    return _back(url_for("pages.instance", instance_id=instance_id))
