"""One unit of work per request: a session opened on first use, committed once after a view that succeeded.

Views never commit. The app runs every view through `run_view`, which commits the session's changes when
the view returned a status below 400 and keeps nothing otherwise: a view that raises, or answers with an
error, after writing leaves no trace. A write that loses a race, at commit or at a flush inside the view,
becomes the domain `Conflict`, which the one error handler turns into a 409.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from werkzeug.wrappers import Response

from engine import Engine, lost_races_as_conflicts

__all__ = ["get_engine", "get_session", "init_app", "run_view"]

_WROTE = "govflow.wrote"


def get_engine() -> Engine:
    """Return the application's engine."""
    return current_app.extensions["govflow.engine"]


def get_session() -> Session:
    """Return the request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["govflow.sessions"]()
    return g.db_session


def _note_flush(session: Session, _flush: UOWTransaction) -> None:
    # Flushed rows leave session.new and session.dirty, yet still wait for the commit.
    session.info[_WROTE] = True


def _note_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _has_changes(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted or session.info.get(_WROTE))


def _rollback() -> None:
    session: Session | None = g.get("db_session")
    if session is not None:
        session.rollback()
        session.info.pop(_WROTE, None)


def run_view(view: Callable[[], Response]) -> Response:
    """Run a view and commit what it changed once, if it succeeded; otherwise keep nothing."""
    try:
        with lost_races_as_conflicts():
            response = view()
            session: Session | None = g.get("db_session")
            # A read-only request ends at teardown without a commit.
            if response.status_code < 400 and session is not None and _has_changes(session):
                session.commit()
                session.info.pop(_WROTE, None)
    except BaseException:
        _rollback()  # before the error handler runs, so an error page reads from a clean session
        raise
    return response  # a failed one is rolled back when the session closes at teardown


def close_session(_error: BaseException | None = None) -> None:
    """Roll back whatever was not committed and close the request's session."""
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def init_app(app: Flask) -> None:
    """Let sessions record that they wrote, and close each request's session at teardown."""
    sessions = app.extensions["govflow.sessions"]
    event.listen(sessions, "after_flush", _note_flush)
    event.listen(sessions, "do_orm_execute", _note_statement)
    app.teardown_appcontext(close_session)
