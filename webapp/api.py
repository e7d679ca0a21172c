"""JSON API, version 1 (read-only until the web app issue adds the rest)."""

from __future__ import annotations

from flask import Blueprint, request

from engine import deployments, instances, tasks
from engine.describe import describe_instance, describe_task, describe_version

from .db import get_session

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/health")
def health() -> dict[str, str]:
    """Report that the app is up."""
    return {"status": "ok"}


@bp.get("/processes")
def list_processes() -> list[dict[str, object]]:
    """List deployed process versions."""
    return [describe_version(v) for v in deployments.list_versions(get_session(), request.args.get("process"))]


@bp.get("/tasks")
def list_tasks() -> list[dict[str, object]]:
    """List ready tasks of the given candidate groups."""
    groups = request.args.getlist("group") or None
    return [describe_task(t) for t in tasks.list_tasks(get_session(), groups=groups)]


@bp.get("/instances/<instance_id>")
def get_instance(instance_id: str) -> dict[str, object]:
    """Return one instance without its state."""
    return describe_instance(instances.get_instance(get_session(), instance_id))
