"""Project lists: my unit's projects, the projects I or my groups acted on, and all projects one oversees.

Every query reads the project index (and, for 我经办的, the task index) only, never workflow state. Pages are
keyset pages: a page ends with a cursor holding the last row's sort key, and the next page seeks past it in
an index shaped like the query (`ix_project_<bundle|unit>_<sort>`), so a deep page costs what the first does and
no page counts the whole list.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, or_, select, true, tuple_
from sqlalchemy.orm import Session

from engine.conventions import group_jurisdiction
from engine.errors import FieldError, InvalidInput
from engine.store.models import ProcessVersion, ProjectRow, TaskRow
from engine.usecases.access import Actor, is_applicant_group, visible_tasks
from engine.usecases.state import FINISHED, STATUSES

__all__ = ["SCOPES", "SORTS", "STATUSES", "ProjectFacets", "ProjectInfo", "ProjectPage", "ProjectQuery", "Scope",
           "Sort", "list_projects", "project_facets"]

Scope = Literal["mine", "handled", "all"]
Sort = Literal["due", "newest", "amount"]
SCOPES: tuple[Scope, ...] = ("mine", "handled", "all")
SORTS: tuple[Sort, ...] = ("due", "newest", "amount")
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class ProjectQuery:
    """Which projects to list and in which order; empty filters select every project of the scope."""

    scope: Scope = "all"
    bundle: str | None = None
    stage: str | None = None  # the element id where projects stand
    plan_year: int | None = None
    amount_min: Decimal | None = None  # 万元, inclusive
    amount_max: Decimal | None = None
    status: str | None = None
    overdue: bool = False
    search: str | None = None
    sort: Sort = "due"
    after: str | None = None  # the cursor a previous page ended with
    per_page: int = 25


@dataclass(frozen=True)
class ProjectInfo:
    """One project as the lists show it: where it stands, what comes next and who does it, by when."""

    instance_id: str
    bundle: str
    process_id: str
    process_name: str
    business_key: str | None
    project_name: str | None
    unit: str | None
    status: str
    stage_element: str | None
    stage: str | None
    next_task_id: str | None
    next_step: str | None
    next_agency: str | None
    due_at: datetime | None
    plan_year: int | None
    amount: Decimal | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ProjectRow) -> ProjectInfo:
        """Copy a project index row."""
        return cls(row.instance_id, row.bundle, row.process_id, row.process_name, row.business_key,
                   row.project_name, row.unit, row.status, row.stage_element, row.stage, row.next_task_id,
                   row.next_step, row.next_agency, row.due_at, row.plan_year, row.amount, row.created_at,
                   row.updated_at)

    def overdue(self, now: datetime) -> bool:
        """Tell whether the project's next step is past its due moment."""
        return self.due_at is not None and self.due_at <= now and self.status not in FINISHED


@dataclass(frozen=True)
class ProjectPage:
    """One page of projects and the cursor of the next page (None on the last)."""

    rows: list[ProjectInfo]
    next_cursor: str | None
    per_page: int


@dataclass(frozen=True)
class ProjectFacets:
    """The values the filters offer: only what the actor may list."""

    bundles: list[tuple[str, str]] = field(default_factory=list)  # (bundle, jurisdiction name)
    stages: list[tuple[str, str]] = field(default_factory=list)  # (element id, name)
    plan_years: list[int] = field(default_factory=list)


def _scope(actor: Actor, scope: Scope) -> ColumnElement[bool]:
    if scope == "mine":
        return ProjectRow.unit == actor.unit if actor.unit else false()
    if scope == "handled":
        # Driven from the task index (by group, by who completed): a per-project probe would read every
        # completed task of the database for each project scanned.
        return ProjectRow.instance_id.in_(select(TaskRow.instance_id).where(_acted(actor)))
    if actor.is_admin:
        return true()
    # The same projects as the instance pages show (access.visible_instances), so every row opens: the
    # jurisdictions one owns, one's own unit's projects, and those whose tasks reached one's desk.
    owned = sorted(actor.jurisdictions) if actor.role == "process_owner" else []
    clauses: list[ColumnElement[bool]] = []
    if owned:
        clauses.append(ProjectRow.bundle.in_(owned))
    if actor.unit:
        clauses.append(ProjectRow.unit == actor.unit)
    if any(not is_applicant_group(g) and group_jurisdiction(g) not in owned for g in actor.groups):
        clauses.append(ProjectRow.instance_id.in_(select(TaskRow.instance_id).where(visible_tasks(actor))))
    return or_(*clauses) if clauses else false()


def _acted(actor: Actor) -> ColumnElement[bool]:
    # Completed by me, or by my groups: an applicant group's work counts only in my own unit's projects.
    # Each branch names the status, so each is one seek in its own index (who completed, or group and status).
    done = TaskRow.status == "completed"
    plain = sorted(g for g in actor.groups if not is_applicant_group(g))
    applicant = sorted(g for g in actor.groups if is_applicant_group(g))
    clauses: list[ColumnElement[bool]] = [and_(TaskRow.completed_by == actor.username, done)]
    if plain:
        clauses.append(and_(TaskRow.candidate_group.in_(plain), done))
    if applicant and actor.unit:
        clauses.append(and_(TaskRow.unit == actor.unit, TaskRow.candidate_group.in_(applicant), done))
    return or_(*clauses)


def _filtered(actor: Actor, query: ProjectQuery, now: datetime) -> Select[ProjectRow]:
    stmt = select(ProjectRow).where(_scope(actor, query.scope))
    if query.bundle:
        stmt = stmt.where(ProjectRow.bundle == query.bundle)
    if query.stage:
        stmt = stmt.where(ProjectRow.stage_element == query.stage)
    if query.plan_year is not None:
        stmt = stmt.where(ProjectRow.plan_year == query.plan_year)
    if query.amount_min is not None:
        stmt = stmt.where(ProjectRow.amount >= query.amount_min)
    if query.amount_max is not None:
        stmt = stmt.where(ProjectRow.amount <= query.amount_max)
    if query.status:
        if query.status not in STATUSES:
            raise InvalidInput(f"unknown status {query.status}",
                               [FieldError("status", f"状态须为 {'、'.join(STATUSES)} 之一")])
        stmt = stmt.where(ProjectRow.status == query.status)
    if query.overdue:
        stmt = stmt.where(ProjectRow.due_key <= now, ProjectRow.status.not_in(sorted(FINISHED)))
    text = (query.search or "").strip()
    if text:
        pattern = f"%{_escape_like(text)}%"
        stmt = stmt.where(or_(ProjectRow.business_key.ilike(pattern, escape="\\"),
                              ProjectRow.project_name.ilike(pattern, escape="\\")))
    return stmt


def list_projects(session: Session, actor: Actor, query: ProjectQuery, now: datetime) -> ProjectPage:
    """Return one page of the projects in `query.scope` that match its filters, in its order."""
    if query.amount_min is not None and query.amount_max is not None and query.amount_min > query.amount_max:
        raise InvalidInput("amount_min is above amount_max",
                           [FieldError("amount_min", "金额下限不能大于上限")])
    stmt = _filtered(actor, query, now)
    key = {"due": ProjectRow.due_key, "newest": ProjectRow.created_at, "amount": ProjectRow.amount_key}[query.sort]
    ascending = query.sort == "due"
    if query.after:
        value, last_id = _decode(query.sort, query.after)
        seek = tuple_(key, ProjectRow.instance_id)
        bound = tuple_(bindparam(None, value, type_=key.type),
                       bindparam(None, last_id, type_=ProjectRow.instance_id.type))
        stmt = stmt.where(seek > bound if ascending else seek < bound)
    order = (key.asc(), ProjectRow.instance_id.asc()) if ascending else (key.desc(), ProjectRow.instance_id.desc())
    per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
    rows = list(session.scalars(stmt.order_by(*order).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    cursor = _encode(query.sort, rows[-1]) if more and rows else None
    return ProjectPage([ProjectInfo.of(row) for row in rows], cursor, per_page)


def project_facets(session: Session, actor: Actor, scope: Scope, bundle: str | None = None) -> ProjectFacets:
    """Return the jurisdictions (with a name in words), stages and plan years among the projects of a scope."""
    visible = select(ProjectRow.bundle, ProjectRow.stage_element, ProjectRow.stage, ProjectRow.plan_year).where(
        _scope(actor, scope)).distinct()
    found = session.execute(visible).all()
    # A jurisdiction is named by its shortest process name: 青阳县政务信息化项目全周期, never `qingyang`.
    names: dict[str, str] = {}
    for key, name in session.execute(select(ProcessVersion.bundle, ProcessVersion.name).distinct()).all():
        if key not in names or len(name) < len(names[key]):
            names[key] = name
    present = set(names) if actor.is_admin and scope == "all" else {row.bundle for row in found}
    chosen = [row for row in found if bundle is None or row.bundle == bundle]
    stages = sorted({(row.stage_element, row.stage) for row in chosen if row.stage_element and row.stage},
                    key=lambda pair: pair[1])
    years = sorted({row.plan_year for row in chosen if row.plan_year is not None}, reverse=True)
    return ProjectFacets(sorted(((key, names.get(key, key)) for key in present), key=lambda pair: pair[1]),
                         stages, years)


def _encode(sort: Sort, row: ProjectRow) -> str:
    value: Any = {"due": row.due_key, "newest": row.created_at, "amount": row.amount_key}[sort]
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return base64.urlsafe_b64encode(json.dumps([sort, text, row.instance_id]).encode()).decode().rstrip("=")


def _decode(sort: Sort, cursor: str) -> tuple[Any, str]:
    # A cursor from another sort, or one a person typed, is refused rather than misread.
    try:
        kind, text, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if kind != sort or not isinstance(text, str) or not isinstance(last_id, str):
            raise ValueError(kind)
        value: Any = Decimal(text) if sort == "amount" else datetime.fromisoformat(text)
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError(text)
    except (ValueError, TypeError, InvalidOperation, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("after is not a cursor of this list",
                           [FieldError("after", "翻页位置无效，请从第一页重新开始")]) from None
    return value, last_id


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

