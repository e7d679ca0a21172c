"""The notification centre: my notices, marking them read, and how I want to be told."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Flask, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import InvalidInput, due_day, notifications

from .auth import current_actor
from .db import get_engine, get_session
from .limits import whole_number

__all__ = ["bp", "init_app"]

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
_PER_PAGE = 30


def notice_day(value: datetime | None) -> date | None:
    """Return the last local day of a due moment, by the same rule as every other page."""
    if value is None:
        return None
    engine = get_engine()
    return due_day(value, engine.now(), engine.settings.timezone).last_day


def unread() -> int:
    """Return how many unread notices the signed-in person has (0 for a stranger)."""
    if g.get("actor") is None:
        return 0
    return notifications.unread_count(get_session(), current_actor())


@bp.get("/")
def index() -> str:
    """List my notices, newest first; `unread=1` shows only the unread ones."""
    unread_only = request.args.get("unread") == "1"
    page_number = whole_number(request.args, "page", 1) or 1
    page = notifications.list_notices(get_session(), current_actor(), unread_only=unread_only, limit=_PER_PAGE,
                                      offset=(page_number - 1) * _PER_PAGE)
    pages = max(1, -(-page.total // _PER_PAGE))
    return render_template("notifications.html", page=page, unread_only=unread_only, page_number=page_number,
                           pages=pages)


def _back() -> Response:
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//")
                    else url_for("notifications.index"))


@bp.post("/<int:notice_id>/read")
def read(notice_id: int) -> Response:
    """Mark one of my notices read."""
    notifications.mark_read(get_engine(), get_session(), current_actor(), notice_id)
    return _back()


@bp.post("/<int:notice_id>/open")
def open_task(notice_id: int) -> Response:
    """Mark one of my notices read and go to its task."""
    notice = notifications.mark_read(get_engine(), get_session(), current_actor(), notice_id)
    return redirect(url_for("pages.task", task_id=notice.task_id))


@bp.post("/read-all")
def read_all() -> Response:
    """Mark all my notices read."""
    notifications.mark_all_read(get_engine(), get_session(), current_actor())
    return _back()


@bp.route("/preferences", methods=["GET", "POST"])
def preferences() -> str | Response | tuple[str, int]:
    """Show and save which notices I get, in the app and by e-mail, at once or as a daily digest."""
    actor, session = current_actor(), get_session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        wanted = notifications.Preferences(
            in_app=tuple(request.form.getlist("in_app")), email=tuple(request.form.getlist("email")),
            digest=request.form.get("digest") == "1", address=request.form.get("address"))
        try:
            notifications.set_preferences(get_engine(), session, actor, wanted)
        except InvalidInput as exc:
            errors = {e.field: e.message for e in exc.errors}
        else:
            return redirect(url_for("notifications.preferences", saved="1"))
    current = notifications.get_preferences(session, actor)
    page = render_template("notification_preferences.html", prefs=current, kinds=notifications.KINDS,
                           errors=errors, form=request.form if errors else None,
                           mail_enabled=get_engine().settings.smtp.enabled, saved=request.args.get("saved") == "1")
    return (page, 422) if errors else page


def init_app(app: Flask) -> None:
    """Register the notification centre and the unread count every page's bell shows."""
    app.register_blueprint(bp)
    app.jinja_env.globals["unread_notifications"] = unread
    app.jinja_env.filters["notice_day"] = notice_day
