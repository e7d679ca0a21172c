"""The caller's notification centre over the API: notices, marking them read, preferences."""

from __future__ import annotations

from typing import Any

from engine import notifications

from ..auth import current_actor
from ..db import get_engine, get_session
from .common import Blueprint
from .schemas.notifications import NoticeListArgs, NoticePageSchema, NoticeSchema, PreferencesSchema, ReadAllSchema

blp = Blueprint("notifications-api", __name__, url_prefix="/api/v1", description="Notifications")


@blp.get("/notifications")
@blp.arguments(NoticeListArgs, location="query")
@blp.response(200, NoticePageSchema)
def list_notices(args: dict[str, Any]) -> object:
    """List the caller's notices, newest first, with the unread count."""
    return notifications.list_notices(get_session(), current_actor(), unread_only=args["unread"],
                                      limit=args["per_page"], offset=(args["page"] - 1) * args["per_page"])


@blp.post("/notifications/<int:notice_id>/read")
@blp.response(200, NoticeSchema)
def mark_read(notice_id: int) -> object:
    """Mark one of the caller's notices read; anyone else's is not found."""
    return notifications.mark_read(get_engine(), get_session(), current_actor(), notice_id)


@blp.post("/notifications/read")
@blp.response(200, ReadAllSchema)
def mark_all_read() -> object:
    """Mark every unread notice of the caller read."""
    return {"marked": notifications.mark_all_read(get_engine(), get_session(), current_actor())}


@blp.get("/notifications/preferences")
@blp.response(200, PreferencesSchema)
def get_preferences() -> object:
    """Return which notices the caller gets, in the app and by e-mail, and their address."""
    return notifications.get_preferences(get_session(), current_actor())


@blp.put("/notifications/preferences")
@blp.arguments(PreferencesSchema)
@blp.response(200, PreferencesSchema)
def put_preferences(args: dict[str, Any]) -> object:
    """Replace the caller's notification preferences; a digest needs an address."""
    wanted = notifications.Preferences(tuple(args["in_app"]), tuple(args["email"]), args["digest"], args["address"])
    return notifications.set_preferences(get_engine(), get_session(), current_actor(), wanted)
