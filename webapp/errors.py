"""Map engine errors to HTTP in one place: JSON under /api, a plain page elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

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
    TooManyAttempts,
)

from .i18n import MESSAGES, translate
from .plain import error_text

__all__ = ["STATUS", "handle_domain_error", "init_app"]

STATUS: dict[type[GovflowError], int] = {
    NotFound: 404,
    TooManyAttempts: 429,
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


def handle_domain_error(error: GovflowError) -> ResponseReturnValue:
    """Render a domain error as JSON for the API and as a page for people."""
    status = _status(error)
    if _wants_json():
        headers = {"WWW-Authenticate": 'Bearer realm="govflow"'} if status == 401 else {}
        if isinstance(error, TooManyAttempts):
            headers = {"Retry-After": str(error.retry_after_seconds)}
        body = error.to_dict()
        if not request.path.startswith("/api/"):
            body["text"] = _worded(error)  # a page's script shows people this, in their language
        return body, status, headers
    if isinstance(error, NotAuthenticated):
        # Only a page can be come back to; a refused post would come back as a GET of its action.
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=back))
    return render_template("error.html", message=_worded(error), status=status), status


def _worded(error: GovflowError) -> str:
    reason = getattr(error, "reason", None)
    if isinstance(reason, str):
        return translate(f"withdraw_refused_{reason}")  # a refused withdrawal says why, in the chosen language
    return error_text(error)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json


def handle_http_error(error: HTTPException) -> Any:
    """Render HTTP errors (a missing page, a failed CSRF check) as JSON for the API, else in the layout."""
    if error.code is None or error.code < 400:
        return error
    if request.path.startswith("/api/"):
        return current_app.extensions["govflow.api_errors"](error)
    # The most specific wording there is: for this kind of refusal (a failed CSRF check), else for its status.
    key = next((k for k in (f"http_{type(error).__name__}", f"http_{error.code}") if k in MESSAGES), None)
    worded = translate(key) if key else error.description
    if request.is_json:
        return {"error": error.name.replace(" ", ""), "message": error.description, "text": worded}, error.code
    return render_template("error.html", message=worded, status=error.code), error.code


def init_app(app: Flask, api_errors: Callable[[HTTPException], Any]) -> None:
    """Register the one handler for the domain error tree and the one for HTTP errors."""
    app.extensions["govflow.api_errors"] = api_errors
    app.register_error_handler(GovflowError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_error)
