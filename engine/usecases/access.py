"""Who may see and act on what: candidate groups, applicant units and roles.

A clerk sees a task when it is assigned to them or belongs to one of their candidate
groups; tasks of an applicant group (`<jurisdiction>:applicant_unit`) are visible only to
clerks of the unit that owns the project. Anything a caller may not see is reported as
not found, so ids of other units' projects reveal nothing. Role-bound actions (monitoring,
retry, deployment) raise PermissionDenied instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from engine.conventions import APPLICANT_ROLE, group_jurisdiction, group_role
from engine.errors import NotFound, PermissionDenied
from engine.store.models import InstanceRow, ProcessVersion, TaskRow
from engine.usecases.snapshots import TaskInfo, UserInfo

__all__ = ["Actor", "Cover", "check_instance", "check_jurisdiction", "check_task", "is_applicant_group",
           "require_owner", "require_role", "visible_instances", "visible_tasks"]


def is_applicant_group(group: str | None) -> bool:
    """Tell whether a candidate group is a jurisdiction's applicant-unit group."""
    return group is not None and group_role(group) == APPLICANT_ROLE


@dataclass(frozen=True)
class Actor:
    """The signed-in person on whose behalf a service call runs."""

    username: str
    role: str = "clerk"
    unit: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)
    display_name: str = ""
    leads: frozenset[str] = field(default_factory=frozenset)
    # Colleagues whose tasks the actor stands in for today under a delegation (委托).
    covers: tuple[Cover, ...] = ()

    @classmethod
    def of(cls, user: UserInfo, covers: tuple[Cover, ...] = ()) -> Actor:
        """Build the actor of a user, standing in for the colleagues of `covers`."""
        return cls(user.username, user.role, user.unit, frozenset(user.groups), user.display_name,
                   frozenset(user.leads), covers)

    @property
    def is_admin(self) -> bool:
        """Tell whether the actor administers the whole system."""
        return self.role == "admin"

    @property
    def jurisdictions(self) -> frozenset[str]:
        """Return the jurisdictions (bundles) the actor has a group in."""
        return frozenset(group_jurisdiction(group) for group in self.groups)

    @property
    def applies(self) -> bool:
        """Tell whether the actor clerks for an applicant unit somewhere, so may start projects."""
        return any(is_applicant_group(group) for group in self.groups)

    @property
    def oversees(self) -> bool:
        """Tell whether the actor works for an agency, owns a jurisdiction's processes or administers all.

        Such actors have a 全部项目 list: every project that reached their desk, or of the jurisdictions they own.
        """
        return self.is_admin or self.role == "process_owner" or any(not is_applicant_group(g) for g in self.groups)

    def owns(self, bundle: str) -> bool:
        """Tell whether the actor may edit and deploy this jurisdiction's bundle."""
        return self.is_admin or (self.role == "process_owner" and bundle in self.jurisdictions)

    def may_see_task(self, task: TaskRow | TaskInfo) -> bool:
        """Mirror `visible_tasks` for one task."""
        return self._sees_by_own_right(task) or self.standing_in_for(task) is not None

    def standing_in_for(self, task: TaskRow | TaskInfo) -> str | None:
        """Return the delegator for whom the actor works the task, or None when the actor works it as their own.

        That is the delegator who holds the task, else the one through whom alone the actor sees it.
        """
        if task.assignee == self.username:
            return None
        covering = [cover for cover in self.covers if cover.includes(task) and cover.delegator.may_see_task(task)]
        for cover in covering:
            if task.assignee == cover.delegator.username:
                return task.assignee
        if self._sees_by_own_right(task) or not covering:
            return None
        return covering[0].delegator.username

    def _sees_by_own_right(self, task: TaskRow | TaskInfo) -> bool:
        if self.is_admin or task.assignee == self.username:
            return True
        if task.candidate_group not in self.groups:
            return False
        return not is_applicant_group(task.candidate_group) or (self.unit is not None and task.unit == self.unit)


@dataclass(frozen=True)
class Cover:
    """One delegation in force: the delegator's tasks, within a jurisdiction or process when scoped."""

    delegator: Actor
    bundle: str | None = None
    process_id: str | None = None

    def includes(self, task: TaskRow | TaskInfo) -> bool:
        """Tell whether the task lies within the delegation's scope (the delegator's access is checked apart)."""
        return (self.bundle is None or task.bundle == self.bundle) and \
            (self.process_id is None or task.process_id == self.process_id)

    def condition(self) -> ColumnElement[bool]:
        """Return the SQL condition selecting the delegator's tasks within the scope."""
        clauses = [visible_tasks(self.delegator)]
        if self.bundle is not None:
            clauses.append(TaskRow.bundle == self.bundle)
        if self.process_id is not None:
            clauses.append(TaskRow.process_id == self.process_id)
        return and_(*clauses)


def visible_tasks(actor: Actor) -> ColumnElement[bool]:
    """Return the SQL condition selecting the task rows `actor` may see, their own and their delegators'."""
    if actor.is_admin:
        return true()
    plain = sorted(g for g in actor.groups if not is_applicant_group(g))
    applicant = sorted(g for g in actor.groups if is_applicant_group(g))
    clauses: list[ColumnElement[bool]] = [TaskRow.assignee == actor.username]
    if plain:
        clauses.append(TaskRow.candidate_group.in_(plain))
    if applicant and actor.unit:
        clauses.append(and_(TaskRow.candidate_group.in_(applicant), TaskRow.unit == actor.unit))
    # A delegate sees no more than the delegator does, and only within the delegation's scope.
    clauses += [cover.condition() for cover in actor.covers]
    return or_(*clauses) if clauses else false()


def check_task(actor: Actor, row: TaskRow) -> TaskRow:
    """Return the row if `actor` may see it; otherwise report it as not found."""
    if not actor.may_see_task(row):
        raise NotFound(f"task {row.id} does not exist").keyed("error_task_not_found")
    return row


def visible_instances(actor: Actor) -> ColumnElement[bool]:
    """Return the SQL condition selecting the instances `actor` may see.

    An instance is visible to whoever started it, to clerks of its applicant unit, to agencies whose
    desk it reached (whatever the task's status now), to its jurisdiction's process owners, and to
    administrators.
    """
    if actor.is_admin:
        return true()
    clauses: list[ColumnElement[bool]] = [
        InstanceRow.started_by == actor.username,
        exists().where(TaskRow.instance_id == InstanceRow.id, visible_tasks(actor)),
    ]
    applicant_bundles = sorted(group_jurisdiction(g) for g in actor.groups if is_applicant_group(g))
    if actor.unit and applicant_bundles:
        clauses.append(and_(InstanceRow.unit == actor.unit, InstanceRow.process_version_id.in_(
            select(ProcessVersion.id).where(ProcessVersion.bundle.in_(applicant_bundles)))))
    if actor.role == "process_owner" and actor.jurisdictions:
        clauses.append(InstanceRow.process_version_id.in_(
            select(ProcessVersion.id).where(ProcessVersion.bundle.in_(sorted(actor.jurisdictions)))))
    return or_(*clauses)


def check_instance(session: Session, actor: Actor, row: InstanceRow) -> InstanceRow:
    """Return the instance if `actor` may see it; otherwise report it as not found."""
    if session.scalar(select(exists().where(InstanceRow.id == row.id, visible_instances(actor)))):
        return row
    raise NotFound(f"instance {row.id} does not exist").keyed("error_instance_not_found")


def require_role(actor: Actor, roles: Iterable[str], action: str) -> None:
    """Raise PermissionDenied unless the actor has one of `roles`."""
    allowed = set(roles)
    if actor.role not in allowed:
        raise PermissionDenied(f"{action} needs the role {' or '.join(sorted(allowed))}; {actor.username} is "
                               f"{actor.role}").keyed("error_role_needed", role=" / ".join(sorted(allowed)))


def check_jurisdiction(actor: Actor, bundle: str, what: str) -> None:
    """Raise NotFound unless the actor works in this jurisdiction (a group or unit of it) or administers all.

    A version history names instances and people: to anyone else the process is simply not there.
    """
    in_it = bundle in actor.jurisdictions or (actor.unit is not None and actor.unit.split(":", 1)[0] == bundle)
    if not (actor.is_admin or in_it):
        raise NotFound(f"{what} is not deployed").keyed("error_not_deployed")


def require_owner(actor: Actor, bundle: str) -> None:
    """Raise PermissionDenied unless the actor may edit and deploy this jurisdiction's bundle."""
    if not actor.owns(bundle):
        raise PermissionDenied(f"only process owners of {bundle} edit and deploy its diagrams; "
                               f"{actor.username} is {actor.role}").keyed("error_owner_needed", bundle=bundle)
