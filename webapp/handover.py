"""Pages for handing work on: a leader assigns a task, a clerk withdraws a completion, anyone delegates (委托),
an administrator cancels an instance with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import FieldError, InvalidInput, delegations, oversight, tasks, withdrawal

from .auth import current_actor
from .db import get_engine, get_session

__all__ = ["bp"]

bp = Blueprint("handover", __name__)


def _back(default: str) -> Response:
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else default)


@bp.post("/tasks/<task_id>/assign")
def assign(task_id: str) -> Response:
    """Hand a task to a member of its group, or back to the group (its group's leaders, administrators)."""
    tasks.assign(get_engine(), get_session(), current_actor(), task_id, request.form.get("assignee") or None)
    return _back(url_for("pages.task", task_id=task_id))


@bp.post("/tasks/<task_id>/withdraw")
def withdraw(task_id: str) -> Response:
    """Take back the actor's last completion; the task opens again for them."""
    withdrawal.withdraw(get_engine(), get_session(), current_actor(), task_id)
    return redirect(url_for("pages.task", task_id=task_id))


@bp.post("/instances/<instance_id>/cancel")
def cancel(instance_id: str) -> Response | tuple[str, int]:
    """Cancel an instance with the reason given (administrators); a missing reason shows the page again."""
    actor, session, engine = current_actor(), get_session(), get_engine()
    try:
        oversight.cancel(engine, session, actor, instance_id, request.form.get("reason", ""))
    except InvalidInput as exc:
        view = oversight.instance_view(engine, session, actor, instance_id)
        return render_template("instance.html", view=view, instance=view.instance,
                               withdrawable=withdrawal.withdrawable(session, actor, instance_id),
                               cancel_errors={e.field: e.message for e in exc.errors}), 422
    return redirect(url_for("pages.instance", instance_id=instance_id))


@bp.route("/delegations", methods=["GET", "POST"])
def delegations_page() -> str | Response | tuple[str, int]:
    """List the actor's delegations and hand their tasks to a colleague for a period."""
    actor, session, engine = current_actor(), get_session(), get_engine()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            delegations.delegate(engine, session, actor, form.get("delegate", ""), _date(form, "starts_on"),
                                 _date(form, "ends_on"), bundle=form.get("bundle") or None,
                                 process_id=form.get("process_id") or None, note=form.get("note", ""))
        except InvalidInput as exc:
            errors = {e.field: e.message for e in exc.errors}
        else:
            return redirect(url_for("handover.delegations_page"))
    page = render_template("delegations.html", given=delegations.list_delegations(engine, session, actor),
                           colleagues=delegations.colleagues(session, actor),
                           scopes=delegations.scopes(session, actor), errors=errors, form=request.form,
                           today=delegations.local_today(engine))
    return (page, 422) if errors else page


@bp.post("/delegations/<int:delegation_id>/end")
def end_delegation(delegation_id: int) -> Response:
    """End a delegation early."""
    delegations.end_delegation(get_engine(), get_session(), current_actor(), delegation_id)
    return redirect(url_for("handover.delegations_page"))


def _date(form: Mapping[str, str], name: str) -> date:
    text = form.get(name, "") or ""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} is not a date", [FieldError(name, "请按 年-月-日 填写日期")]) from None
