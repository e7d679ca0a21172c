"""The task inbox over the API: list, inspect, claim, unclaim and complete."""

from __future__ import annotations

from typing import Any

from flask import request

from engine import inbox, tasks

from ..auth import current_actor
from ..db import get_engine, get_session
from .common import Blueprint
from .schemas import CompletionSchema, TaskDetailSchema, TaskListArgs, TaskPageSchema, TaskSchema

blp = Blueprint("tasks-api", __name__, url_prefix="/api/v1", description="Tasks")

IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
               "description": "Repeat a completion safely: the same key returns the first answer."}


@blp.get("/tasks")
@blp.arguments(TaskListArgs, location="query")
@blp.response(200, TaskPageSchema)
def list_tasks(args: dict[str, Any]) -> object:
    """List the ready tasks the caller may see, filtered, searched and paged."""
    return inbox.inbox(get_session(), current_actor(), inbox.InboxQuery(**args), get_engine().now())


@blp.get("/tasks/<task_id>")
@blp.response(200, TaskDetailSchema)
def get_task(task_id: str) -> object:
    """Return a task with its JSON Schema, uiSchema and the data it holds."""
    return tasks.task_view(get_engine(), get_session(), current_actor(), task_id)


@blp.post("/tasks/<task_id>/claim")
@blp.response(200, TaskSchema)
def claim(task_id: str) -> object:
    """Claim a task for the caller."""
    return tasks.claim(get_engine(), get_session(), current_actor(), task_id)


@blp.post("/tasks/<task_id>/unclaim")
@blp.response(200, TaskSchema)
def unclaim(task_id: str) -> object:
    """Give a claimed task back to its group."""
    return tasks.unclaim(get_engine(), get_session(), current_actor(), task_id)


@blp.post("/tasks/<task_id>/complete")
@blp.doc(parameters=[IDEMPOTENCY], requestBody={
    "required": True, "content": {"application/json": {"schema": {"type": "object"}}},
    "description": "The form data, validated against the task's JSON Schema."})
@blp.response(200, CompletionSchema, headers={"Idempotent-Replayed": {
    "schema": {"type": "string", "enum": ["true"]}, "description": "sent when the answer repeats a first one"}})
def complete(task_id: str) -> tuple[object, int, dict[str, str]]:
    """Validate the data against the task's form and complete it; answer with the task and its instance."""
    done = tasks.complete(get_engine(), get_session(), current_actor(), task_id, request.get_json(silent=True),
                          idempotency_key=request.headers.get("Idempotency-Key"))
    return done, 200, {"Idempotent-Replayed": "true"} if done.replayed else {}
