"""Process instances: start, list, inspect, cancel and retry."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for

from engine import instances, oversight

from ..auth import current_actor
from ..db import get_engine, get_session
from .common import Blueprint
from .schemas import CancelArgs, InstanceDetailSchema, InstanceListArgs, InstanceSchema, StartArgs

blp = Blueprint("instances-api", __name__, url_prefix="/api/v1", description="Process instances")


@blp.post("/instances")
@blp.arguments(StartArgs)
@blp.response(201, InstanceSchema, headers={"Location": {"schema": {"type": "string"}}})
def start(args: dict[str, Any]) -> tuple[object, int, dict[str, str]]:
    """Start a project application owned by the caller's unit."""
    started = instances.start_project(get_engine(), get_session(), current_actor(), args["process_id"],
                                      business_key=args["business_key"], data=args["data"],
                                      outside_validity=args["outside_validity"])
    return started, 201, {"Location": url_for("instances-api.get_instance", instance_id=started.id)}


@blp.get("/instances")
@blp.arguments(InstanceListArgs, location="query")
@blp.response(200, InstanceSchema(many=True), headers={"X-Total-Count": {"schema": {"type": "integer"}}})
def list_instances(args: dict[str, Any]) -> tuple[object, int, dict[str, str]]:
    """List the instances the caller may see, newest first."""
    found, total = oversight.list_visible_instances(get_session(), current_actor(), **args)
    return found, 200, {"X-Total-Count": str(total)}


@blp.get("/instances/<instance_id>")
@blp.response(200, InstanceDetailSchema)
def get_instance(instance_id: str) -> object:
    """Return an instance with its position, timers, open tasks and audit trail."""
    return oversight.instance_view(get_engine(), get_session(), current_actor(), instance_id)


@blp.get("/instances/<instance_id>/diagram")
@blp.response(200, {"type": "string", "description": "BPMN 2.0 XML"}, content_type="application/xml")
def get_diagram(instance_id: str) -> Response:
    """Return the BPMN XML of the version the instance runs on."""
    return Response(oversight.instance_diagram(get_session(), current_actor(), instance_id),
                    mimetype="application/xml")


@blp.post("/instances/<instance_id>/cancel")
@blp.arguments(CancelArgs)
@blp.response(200, InstanceSchema)
def cancel(args: dict[str, Any], instance_id: str) -> object:
    """Cancel an unfinished instance (administrators)."""
    return oversight.cancel(get_engine(), get_session(), current_actor(), instance_id, args["reason"])


@blp.post("/instances/<instance_id>/retry")
@blp.response(200, InstanceSchema)
def retry(instance_id: str) -> object:
    """Re-run the failed element of an instance in error (administrators)."""
    return oversight.retry(get_engine(), get_session(), current_actor(), instance_id)
