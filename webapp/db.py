"""One database session per request, kept on `g`, committed once by mutating views."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from engine import Engine
from engine.store.db import lost_races_as_conflicts

__all__ = ["commit", "get_engine", "get_session", "init_app"]


def get_engine() -> Engine:
    """Return the application's engine."""
    return current_app.extensions["govflow.engine"]


def get_session() -> Session:
    """Return the request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["govflow.sessions"]()
    return g.db_session


def commit() -> None:
    """End the request's unit of work; a write that lost a race becomes a Conflict."""
    with lost_races_as_conflicts():
        get_session().commit()


def close_session(_error: BaseException | None = None) -> None:
    """Roll back whatever was not committed and close the request's session."""
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def init_app(app: Flask) -> None:
    """Register the session teardown."""
    app.teardown_appcontext(close_session)
