"""Map engine errors to HTTP in one place: JSON under /api, a plain page elsewhere."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.wrappers import Response

from engine import (
    Conflict,
    DecisionError,
    DeploymentError,
    GovflowError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ProcessError,
)

__all__ = ["STATUS", "init_app"]

STATUS: dict[type[GovflowError], int] = {
    NotFound: 404,
    NotAuthenticated: 401,
    Conflict: 409,
    PermissionDenied: 403,
    InvalidInput: 422,
    DeploymentError: 422,
    DecisionError: 422,
    ProcessError: 500,
}


def _status(error: GovflowError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def handle_domain_error(error: GovflowError) -> tuple[object, int] | Response:
    """Render a domain error as JSON for the API and as a page for people."""
    status = _status(error)
    if request.path.startswith("/api/"):
        return error.to_dict(), status
    return render_template("error.html", error=error, status=status), status


def init_app(app: Flask) -> None:
    """Register the one handler for the whole error tree."""
    app.register_error_handler(GovflowError, handle_domain_error)
