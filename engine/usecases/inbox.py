"""The clerk's inbox: filtered, searched, paged queries over the task index only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from engine.store.models import TaskRow
from engine.usecases.access import Actor, visible_tasks
from engine.usecases.snapshots import TaskInfo

__all__ = ["DUE_SOON", "DUE_STATES", "InboxFacets", "InboxPage", "InboxQuery", "due_state", "inbox", "inbox_facets"]

Scope = Literal["mine", "groups"]
DueState = Literal["overdue", "due_soon", "on_time", "no_deadline"]
DUE_STATES: tuple[DueState, ...] = ("overdue", "due_soon", "on_time", "no_deadline")
DUE_SOON = timedelta(days=3)
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class InboxQuery:
    """What the clerk asked to see; empty filters select everything visible."""

    scope: Scope = "groups"
    bundle: str | None = None
    process_id: str | None = None
    task: str | None = None
    due: DueState | None = None
    search: str | None = None
    sort: Literal["due", "newest"] = "due"
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class InboxPage:
    """One page of tasks and the numbers a pager needs."""

    rows: list[TaskInfo]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Return the number of pages (at least one)."""
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class InboxFacets:
    """The values the inbox filters offer: only what the actor can see."""

    bundles: list[str] = field(default_factory=list)
    processes: list[str] = field(default_factory=list)
    tasks: list[tuple[str, str]] = field(default_factory=list)  # (spec id, name)


def due_state(task: TaskInfo, now: datetime, soon: timedelta = DUE_SOON) -> DueState:
    """Classify a task by its deadline."""
    if task.due_at is None:
        return "no_deadline"
    if task.due_at <= now:
        return "overdue"
    return "due_soon" if task.due_at <= now + soon else "on_time"


def _base(actor: Actor, status: str = "ready") -> Select[TaskRow]:
    return select(TaskRow).where(TaskRow.status == status, visible_tasks(actor))


def inbox(session: Session, actor: Actor, query: InboxQuery, now: datetime, soon: timedelta = DUE_SOON) -> InboxPage:
    """Return one page of the ready tasks `actor` may see, filtered as asked."""
    stmt = _base(actor)
    if query.scope == "mine":
        stmt = stmt.where(TaskRow.assignee == actor.username)
    if query.bundle:
        stmt = stmt.where(TaskRow.bundle == query.bundle)
    if query.process_id:
        stmt = stmt.where(TaskRow.process_id == query.process_id)
    if query.task:
        stmt = stmt.where(TaskRow.spec_id == query.task)
    if query.due == "overdue":
        stmt = stmt.where(TaskRow.due_at <= now)
    elif query.due == "due_soon":
        stmt = stmt.where(TaskRow.due_at > now, TaskRow.due_at <= now + soon)
    elif query.due == "on_time":
        stmt = stmt.where(TaskRow.due_at > now + soon)
    elif query.due == "no_deadline":
        stmt = stmt.where(TaskRow.due_at.is_(None))
    text = (query.search or "").strip()
    if text:
        pattern = f"%{_escape_like(text)}%"
        stmt = stmt.where(or_(TaskRow.business_key.ilike(pattern, escape="\\"),
                              TaskRow.project_name.ilike(pattern, escape="\\")))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if query.sort == "newest":
        stmt = stmt.order_by(TaskRow.created_at.desc(), TaskRow.id)
    else:
        stmt = stmt.order_by(TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at, TaskRow.id)
    per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
    page = max(query.page, 1)
    rows = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
    return InboxPage([TaskInfo.of(row) for row in rows], total, page, per_page)


def inbox_facets(session: Session, actor: Actor) -> InboxFacets:
    """Return the jurisdictions, processes and task names present in the actor's ready tasks."""
    visible = _base(actor).subquery()
    pairs = session.execute(select(visible.c.bundle, visible.c.process_id, visible.c.spec_id, visible.c.name)
                            .distinct()).all()
    return InboxFacets(sorted({p[0] for p in pairs}), sorted({p[1] for p in pairs}),
                       sorted({(p[2], p[3]) for p in pairs}, key=lambda item: item[1]))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

