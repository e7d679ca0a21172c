"""Project lists over the API: my unit's projects, those I handled, and all projects I oversee."""

from __future__ import annotations

from typing import Any

from engine import projects

from ..auth import current_actor
from ..db import get_engine, get_session
from .common import Blueprint
from .schemas import ProjectListArgs, ProjectPageSchema

blp = Blueprint("projects-api", __name__, url_prefix="/api/v1", description="Project lists")


@blp.get("/projects")
@blp.arguments(ProjectListArgs, location="query")
@blp.response(200, ProjectPageSchema)
def list_projects(args: dict[str, Any]) -> object:
    """List projects of a scope, filtered, searched and sorted, one keyset page at a time (`after`)."""
    return projects.list_projects(get_session(), current_actor(), projects.ProjectQuery(**args), get_engine().now())
