"""Deployed processes and their versions."""

from __future__ import annotations

from engine import deployments

from ..db import get_session
from .common import Blueprint
from .schemas import VersionSchema

blp = Blueprint("processes-api", __name__, url_prefix="/api/v1", description="Processes and versions")


@blp.get("/processes")
@blp.response(200, VersionSchema(many=True))
def list_processes() -> object:
    """List every deployed version of every process, newest first within each process."""
    return deployments.deployed_versions(get_session())


@blp.get("/processes/<process_id>/versions")
@blp.response(200, VersionSchema(many=True))
def list_versions(process_id: str) -> object:
    """List the versions of one process, newest first."""
    return deployments.deployed_versions(get_session(), process_id)


@blp.get("/processes/<process_id>/versions/<int:version>")
@blp.response(200, VersionSchema)
def get_version(process_id: str, version: int) -> object:
    """Return one version of a process."""
    return deployments.deployed_version(get_session(), process_id, version)
