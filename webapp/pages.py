"""Pages for people; the full inbox comes with the web app issue."""

from __future__ import annotations

from flask import Blueprint, render_template

from engine import deployments, instances, tasks

from .db import get_session

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    """Show deployed processes and open tasks."""
    session = get_session()
    return render_template("index.html", versions=deployments.list_versions(session),
                           tasks=tasks.list_tasks(session, limit=50))


@bp.get("/instances/<instance_id>")
def instance(instance_id: str) -> str:
    """Show one instance's status."""
    row = instances.get_instance(get_session(), instance_id)
    return render_template("instance.html", row=row)
