"""The leaders' dashboard (效能监察): agency workload and speed, projects by stage, investment, verdicts.

Every figure is an SQL aggregate over the task index and the instance table; no workflow state is loaded.
Months are the jurisdiction's local calendar months, bucketed by boundaries computed here, so SQLite and
PostgreSQL agree without date functions of their own. The 90th percentile is the nearest rank: the value at
position ceil(0.9 n) of each group's ordered handling times, picked in SQL with the window function cume_dist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, and_, case, cast, false, func, literal, or_, select, true
from sqlalchemy.orm import Session

from engine.conventions import group_jurisdiction
from engine.errors import FieldError, InvalidInput, NotFound
from engine.spiff.runtime import Engine
from engine.store.models import InstanceRow, ProcessVersion, TaskRow
from engine.usecases import state
from engine.usecases.access import Actor, is_applicant_group, require_role
from engine.usecases.dashboard_facts import fact_forms, investment_by_plan_year, verdict_fields

__all__ = ["MAX_MONTHS", "AgencyLoad", "AgencyMonth", "Dashboard", "DashboardQuery", "PlanYearInvestment",
           "StageCount", "VerdictMonth", "dashboard", "may_see", "month_bounds"]

MAX_MONTHS = 36
_ROLES = ("process_owner", "admin")


@dataclass(frozen=True)
class DashboardQuery:
    """What the leader asked to see: one jurisdiction or all they oversee, over the last `months` months."""

    bundle: str | None = None
    months: int = 6


@dataclass(frozen=True)
class AgencyLoad:
    """The open tasks an agency (candidate group) holds now, and how many of them are overdue."""

    bundle: str
    group: str
    agency: str
    open: int
    overdue: int


@dataclass(frozen=True)
class AgencyMonth:
    """One agency's month: tasks completed with their average and p90 handling time, deadlines met or missed.

    Handling times count from the task becoming ready to its completion and belong to the month of completion;
    the overdue rate belongs to the month the deadline fell in: a task is overdue when completed after its
    deadline, or still open once it passed.
    """

    bundle: str
    group: str
    agency: str
    month: str
    completed: int
    average_seconds: float | None
    p90_seconds: float | None
    due: int
    overdue: int

    @property
    def overdue_rate(self) -> float | None:
        """Return the share of deadlines in the month that were missed (None: no deadline fell in it)."""
        return self.overdue / self.due if self.due else None


@dataclass(frozen=True)
class StageCount:
    """How many projects of a jurisdiction stand at one stage now.

    `kind` is `task` (an open step named `stage`; a project with parallel steps counts at each), `waiting`
    (no open step: a timer or message pending), or the finished statuses `completed`, `cancelled`, `error`.
    """

    bundle: str
    kind: str
    stage: str
    projects: int


@dataclass(frozen=True)
class PlanYearInvestment:
    """Projects of a plan year and their investment (万元); `plan_year` None: no plan year given yet."""

    bundle: str
    plan_year: int | None
    projects: int
    investment_wan: Decimal


@dataclass(frozen=True)
class VerdictMonth:
    """Review and approval steps completed in a month: approved, or returned (not approved)."""

    bundle: str
    month: str
    approved: int
    returned: int


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows for the jurisdictions the actor oversees."""

    query: DashboardQuery
    bundles: list[str]  # what the jurisdiction filter offers
    jurisdiction_names: dict[str, str]  # a bundle's process name, for jurisdictions without a translated name
    months: list[str]
    loads: list[AgencyLoad] = field(default_factory=list)
    agency_months: list[AgencyMonth] = field(default_factory=list)
    stages: list[StageCount] = field(default_factory=list)
    investment: list[PlanYearInvestment] = field(default_factory=list)
    verdicts: list[VerdictMonth] = field(default_factory=list)


def month_bounds(now: datetime, months: int, timezone: str) -> list[tuple[str, datetime]]:
    """Return `months` local calendar months ending with the current one, each with its UTC start, plus the end."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    index = local.year * 12 + local.month - 1  # months since year 0, so stepping back crosses years plainly
    starts = [divmod(n, 12) for n in range(index - months + 1, index + 2)]
    return [(f"{y:04d}-{m + 1:02d}", datetime(y, m + 1, 1, tzinfo=zone).astimezone(UTC)) for y, m in starts]


def _bucket(column: Any, bounds: list[tuple[str, datetime]]) -> ColumnElement[int]:
    """Return the number of the month of `column`'s moment; bounds end with the start of the month after the last.

    A small number rather than the label keeps the rows that are sorted and grouped narrow.
    """
    return case(*[(column < bounds[i + 1][1], literal(i)) for i in range(len(bounds) - 1)], else_=None)


def _seconds(session: Session, end: Any, start: Any) -> ColumnElement[float]:
    """Return the seconds between two stored moments in this database's arithmetic."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return cast(func.extract("epoch", end - start), Float)


def _led_agencies(actor: Actor) -> list[str]:
    """Return the agency groups a clerk leads; applicant groups are left out, since each unit sees only its own."""
    return sorted(group for group in actor.leads if not is_applicant_group(group))


def may_see(actor: Actor) -> bool:
    """Tell whether the actor may open the dashboard at all."""
    return actor.role in _ROLES or bool(_led_agencies(actor))


def _allowed(session: Session, actor: Actor, query: DashboardQuery) -> tuple[list[str], list[str], dict[str, str]]:
    """Return the bundles on offer, the ones selected, and each bundle's name; refuse clerks and strangers."""
    led = _led_agencies(actor)
    if not led:
        require_role(actor, _ROLES, "the dashboard")
    if not 1 <= query.months <= MAX_MONTHS:
        raise InvalidInput(f"months must be between 1 and {MAX_MONTHS}",
                           [FieldError("months", f"must be between 1 and {MAX_MONTHS}")])
    names: dict[str, str] = {}
    for bundle, name in session.execute(select(ProcessVersion.bundle, ProcessVersion.name)
                                        .order_by(ProcessVersion.bundle, ProcessVersion.version.desc())):
        # The shortest process name reads most like the jurisdiction's own (云浮市… before 云浮市市级…).
        if bundle not in names or len(name) < len(names[bundle]):
            names[bundle] = name
    overseen = actor.jurisdictions if actor.role == "process_owner" else {group_jurisdiction(g) for g in led}
    offered = sorted(b for b in names if actor.is_admin or b in overseen)
    if query.bundle and query.bundle not in offered:
        raise NotFound(f"jurisdiction {query.bundle} is not deployed")
    return offered, [query.bundle] if query.bundle else offered, names


def _agencies(actor: Actor) -> ColumnElement[bool]:
    """Return the condition on tasks of the agencies whose figures the actor sees: all, or those they lead."""
    if actor.is_admin or actor.role == "process_owner":
        return TaskRow.candidate_group.is_not(None)
    return TaskRow.candidate_group.in_(_led_agencies(actor))


def dashboard(engine: Engine, session: Session, actor: Actor, query: DashboardQuery) -> Dashboard:
    """Return the dashboard figures for the jurisdictions the actor oversees.

    Administrators see every jurisdiction, process owners theirs. A clerk who leads an agency group sees that
    agency's figures and its jurisdiction's project figures (counts and sums, no project named); other clerks
    are refused.
    """
    offered, bundles, names = _allowed(session, actor, query)
    now = engine.now()
    bounds = month_bounds(now, query.months, engine.settings.timezone)
    months = [label for label, _ in bounds[:-1]]
    if not bundles:
        return Dashboard(query, offered, names, months)
    labels = _agency_labels(session, bundles)
    agencies = _agencies(actor)
    return Dashboard(query, offered, names, months, _loads(session, bundles, agencies, labels, now),
                     _agency_months(session, bundles, agencies, labels, bounds, now), _stages(session, bundles),
                     [PlanYearInvestment(*row) for row in investment_by_plan_year(
                         session, bundles, fact_forms(engine, session, bundles))],
                     _verdicts(engine, session, bundles, bounds))


def _agency_labels(session: Session, bundles: list[str]) -> dict[tuple[str, str], str]:
    """Return each candidate group's lane name, the agency as the newest diagram names it."""
    labels: dict[tuple[str, str], str] = {}
    # Versions store {process: {lane name: group}}: a few rows, instead of a pass over the task index.
    for bundle, lanes in session.execute(select(ProcessVersion.bundle, ProcessVersion.lanes)
                                         .where(ProcessVersion.bundle.in_(bundles)).order_by(ProcessVersion.id)):
        for by_lane in (lanes or {}).values():
            for lane, group in by_lane.items():
                labels[(bundle, group)] = lane
    return labels


def _loads(session: Session, bundles: list[str], agencies: ColumnElement[bool], labels: dict[tuple[str, str], str],
           now: datetime) -> list[AgencyLoad]:
    rows = session.execute(
        select(TaskRow.bundle, TaskRow.candidate_group, func.count(),
               func.sum(case((TaskRow.due_at <= now, 1), else_=0)))
        .where(TaskRow.bundle.in_(bundles), TaskRow.status == "ready", agencies)
        .group_by(TaskRow.bundle, TaskRow.candidate_group))
    loads = [AgencyLoad(b, g, labels.get((b, g), g), n, int(late or 0)) for b, g, n, late in rows]
    return sorted(loads, key=lambda load: (load.bundle, -load.open, load.agency))


def _agency_months(session: Session, bundles: list[str], agencies: ColumnElement[bool],
                   labels: dict[tuple[str, str], str],
                   bounds: list[tuple[str, datetime]], now: datetime) -> list[AgencyMonth]:
    start, end = bounds[0][1], bounds[-1][1]
    scope = and_(TaskRow.bundle.in_(bundles), TaskRow.candidate_group.is_not(None), agencies)
    seconds = _seconds(session, TaskRow.completed_at, TaskRow.created_at)
    done_month = _bucket(TaskRow.completed_at, bounds).label("month")
    done = scope & (TaskRow.status == "completed") & (TaskRow.completed_at >= start) & (TaskRow.completed_at < end)
    # Each completed task once: its month and handling time, ranked within its agency's month by one sort.
    rows = select(TaskRow.bundle, TaskRow.candidate_group, done_month, seconds.label("seconds")).where(done).subquery()
    partition = (rows.c.bundle, rows.c.candidate_group, rows.c.month)
    ranked = select(rows.c.bundle, rows.c.candidate_group, rows.c.month, rows.c.seconds,
                    func.cume_dist().over(partition_by=partition, order_by=rows.c.seconds).label("share")).subquery()
    # Nearest rank: the smallest time that at least 90 % of the month's times do not exceed. The share is
    # k/n, correctly rounded, so comparing it with 0.9 is exact for every whole k and n.
    speed = {(b, g, m): (n, avg, p90) for b, g, m, n, avg, p90 in session.execute(
        select(ranked.c.bundle, ranked.c.candidate_group, ranked.c.month, func.count(), func.avg(ranked.c.seconds),
               func.min(case((ranked.c.share >= 0.9, ranked.c.seconds), else_=None)))
        .group_by(ranked.c.bundle, ranked.c.candidate_group, ranked.c.month))}
    due_month = _bucket(TaskRow.due_at, bounds).label("month")
    missed = or_(and_(TaskRow.status == "completed", TaskRow.completed_at > TaskRow.due_at),
                 and_(TaskRow.status == "ready", TaskRow.due_at <= now))
    deadlines = {(b, g, m): (n, int(late or 0)) for b, g, m, n, late in session.execute(
        select(TaskRow.bundle, TaskRow.candidate_group, due_month, func.count(),
               func.sum(case((missed, 1), else_=0)))
        .where(scope, TaskRow.status.in_(("ready", "completed")), TaskRow.due_at >= start, TaskRow.due_at < end)
        .group_by(TaskRow.bundle, TaskRow.candidate_group, due_month))}
    months = []
    for key in sorted(set(speed) | set(deadlines)):
        bundle, group, number = key
        month = bounds[number][0]
        count, average, p90 = speed.get(key, (0, None, None))
        due, late = deadlines.get(key, (0, 0))
        months.append(AgencyMonth(bundle, group, labels.get((bundle, group), group), month, count,
                                  None if average is None else float(average),
                                  None if p90 is None else float(p90), due, late))
    return months


def _stages(session: Session, bundles: list[str]) -> list[StageCount]:
    unfinished = (state.RUNNING, state.WAITING)
    at_step = session.execute(
        select(TaskRow.bundle, TaskRow.name, func.count(func.distinct(TaskRow.instance_id)))
        .join(InstanceRow, InstanceRow.id == TaskRow.instance_id)
        .where(TaskRow.bundle.in_(bundles), TaskRow.status == "ready", InstanceRow.status.in_(unfinished))
        .group_by(TaskRow.bundle, TaskRow.name)).all()
    stages = [StageCount(bundle, "task", name, n) for bundle, name, n in at_step]
    # Counted apart and subtracted, not by a correlated subquery per instance, which SQLite runs by scanning.
    with_step: dict[str, int] = {bundle: n for bundle, n in session.execute(
        select(TaskRow.bundle, func.count(func.distinct(TaskRow.instance_id)))
        .join(InstanceRow, InstanceRow.id == TaskRow.instance_id)
        .where(TaskRow.bundle.in_(bundles), TaskRow.status == "ready", InstanceRow.status.in_(unfinished))
        .group_by(TaskRow.bundle))}
    by_status = session.execute(
        select(ProcessVersion.bundle, InstanceRow.status, func.count()).join(ProcessVersion)
        .where(ProcessVersion.bundle.in_(bundles)).group_by(ProcessVersion.bundle, InstanceRow.status)).all()
    open_projects: dict[str, int] = {}
    for bundle, status, n in by_status:
        if status in unfinished:
            open_projects[bundle] = open_projects.get(bundle, 0) + n
        else:
            stages.append(StageCount(bundle, status, status, n))
    for bundle, n in open_projects.items():
        if n > with_step.get(bundle, 0):
            stages.append(StageCount(bundle, "waiting", "waiting", n - with_step.get(bundle, 0)))
    order = {"task": 0, "waiting": 1, state.ERROR: 2, state.COMPLETED: 3, state.CANCELLED: 4}
    return sorted(stages, key=lambda s: (s.bundle, order.get(s.kind, 5), -s.projects, s.stage))


def _verdicts(engine: Engine, session: Session, bundles: list[str],
              bounds: list[tuple[str, datetime]]) -> list[VerdictMonth]:
    fields = verdict_fields(engine, session, bundles)
    if not fields:
        return []
    start, end = bounds[0][1], bounds[-1][1]
    returned = or_(*(and_(TaskRow.bundle == bundle, TaskRow.form == form,
                          or_(*(TaskRow.data[name].as_boolean() == false() for name in names)))
                     for (bundle, form), names in fields.items()))
    approved = and_(~returned, or_(*(and_(TaskRow.bundle == bundle, TaskRow.form == form,
                                          or_(*(TaskRow.data[name].as_boolean() == true() for name in names)))
                                     for (bundle, form), names in fields.items())))
    month = _bucket(TaskRow.completed_at, bounds).label("month")
    rows = session.execute(
        select(TaskRow.bundle, month, func.sum(case((approved, 1), else_=0)), func.sum(case((returned, 1), else_=0)))
        .where(TaskRow.bundle.in_(bundles), TaskRow.status == "completed",
               TaskRow.form.in_(sorted({form for _, form in fields})),
               TaskRow.completed_at >= start, TaskRow.completed_at < end)
        .group_by(TaskRow.bundle, month))
    return sorted((VerdictMonth(b, bounds[m][0], int(a or 0), int(r or 0)) for b, m, a, r in rows),
                  key=lambda v: (v.bundle, v.month))
