"""Health, decisions, the business calendar and monitoring."""

from __future__ import annotations

from typing import Any

from engine import decisions, oversight

from ..auth import current_actor
from ..db import get_engine, get_session
from .common import Blueprint
from .schemas import (
    CalendarAnswerSchema,
    CalendarArgs,
    DecisionArgs,
    DecisionResultSchema,
    HealthSchema,
    HeatMapSchema,
    OverdueSchema,
    VersionLoadSchema,
)

blp = Blueprint("reference-api", __name__, url_prefix="/api/v1", description="Decisions, calendar, monitoring")


@blp.get("/health")
@blp.response(200, HealthSchema)
@blp.doc(security=[])
def health() -> dict[str, str]:
    """Report that the app is up."""
    return {"status": "ok"}


@blp.post("/decisions/<decision_id>/evaluate")
@blp.arguments(DecisionArgs)
@blp.response(200, DecisionResultSchema)
def evaluate(args: dict[str, Any], decision_id: str) -> object:
    """Evaluate the current version of a decision table with raw inputs."""
    return decisions.evaluate_decision(get_engine(), get_session(), decision_id, args["inputs"])


@blp.get("/calendar")
@blp.arguments(CalendarArgs, location="query")
@blp.response(200, CalendarAnswerSchema)
def calendar(args: dict[str, Any]) -> dict[str, Any]:
    """Add natural days, working days (official holidays and 调休) and months to a date."""
    cal = get_engine().calendar
    result = args["start"]
    # Applied in this order, each only when asked for: a zero must not move a date off a rest day.
    if args["working_days"]:
        result = cal.add_working_days(result, args["working_days"])
    if args["days"]:
        result = cal.add_days(result, args["days"])
    if args["months"]:
        result = cal.add_months(result, args["months"])
    return {"start": args["start"], "result": result, "is_working_day": cal.is_working_day(result),
            "covered_by_official_calendar": cal.covers(result.year)}


@blp.get("/monitor/versions")
@blp.response(200, VersionLoadSchema(many=True))
def version_loads() -> object:
    """Unfinished and failed instances per process version (administrators)."""
    return oversight.version_loads(get_session(), current_actor())


@blp.get("/monitor/<process_id>/<int:version>/heat")
@blp.response(200, HeatMapSchema)
def heat_map(process_id: str, version: int) -> object:
    """Unfinished instances per element of a process version, and those in error (administrators)."""
    return oversight.heat_map(get_session(), current_actor(), process_id, version)


@blp.get("/monitor/overdue")
@blp.response(200, OverdueSchema(many=True))
def overdue() -> object:
    """Overdue ready tasks by jurisdiction, agency and group (administrators)."""
    return oversight.overdue_by_agency(get_session(), current_actor(), get_engine().now())
