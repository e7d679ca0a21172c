"""Handing work on over the API: a leader assigns, a clerk withdraws a completion, anyone delegates (委托)."""

from __future__ import annotations

from typing import Any

from flask import url_for

from engine import delegations, tasks, withdrawal

from ..auth import current_actor
from ..db import get_engine, get_session
from .common import Blueprint
from .schemas import AssignArgs, DelegationArgs, DelegationSchema, TaskSchema, UserSchema

blp = Blueprint("handover-api", __name__, url_prefix="/api/v1", description="Assignment, delegation, withdrawal")


@blp.post("/tasks/<task_id>/assign")
@blp.arguments(AssignArgs)
@blp.response(200, TaskSchema)
def assign(args: dict[str, Any], task_id: str) -> object:
    """Hand a ready task to a member of its group, or back to the group (its group's leaders, administrators)."""
    return tasks.assign(get_engine(), get_session(), current_actor(), task_id, args["assignee"])


@blp.get("/tasks/<task_id>/members")
@blp.response(200, UserSchema(many=True))
def members(task_id: str) -> object:
    """List the members of a visible task's group, whom a leader may hand it to."""
    return tasks.group_members(get_session(), current_actor(), task_id)


@blp.post("/tasks/<task_id>/withdraw")
@blp.response(200, TaskSchema)
def withdraw(task_id: str) -> object:
    """Take back the caller's last completion while what followed is untouched; 409 with the reason otherwise."""
    return withdrawal.withdraw(get_engine(), get_session(), current_actor(), task_id)


@blp.get("/delegations")
@blp.response(200, DelegationSchema(many=True))
def list_delegations() -> object:
    """List the delegations the caller gave or received (administrators: all), newest first."""
    return delegations.list_delegations(get_engine(), get_session(), current_actor())


@blp.post("/delegations")
@blp.arguments(DelegationArgs)
@blp.response(201, DelegationSchema, headers={"Location": {"schema": {"type": "string"}}})
def delegate(args: dict[str, Any]) -> tuple[object, int, dict[str, str]]:
    """Hand the caller's tasks to a colleague for a period, optionally within a jurisdiction or process."""
    given = delegations.delegate(get_engine(), get_session(), current_actor(), args["delegate"], args["starts_on"],
                                 args["ends_on"], bundle=args["bundle"], process_id=args["process_id"],
                                 note=args["note"])
    return given, 201, {"Location": url_for("handover-api.list_delegations")}


@blp.post("/delegations/<int:delegation_id>/end")
@blp.response(200, DelegationSchema)
def end(delegation_id: int) -> object:
    """End a delegation early (its delegator, or an administrator)."""
    return delegations.end_delegation(get_engine(), get_session(), current_actor(), delegation_id)
