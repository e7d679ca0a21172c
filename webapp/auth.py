"""Who is calling: session sign-in for people, bearer tokens for API clients, CSRF on every page post.

One check before every request refuses strangers everything but `PUBLIC_ENDPOINTS`, so views only read
the caller from `current_actor()` and a view that forgets to ask is still closed.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from engine import Actor, NotAuthenticated, TooManyAttempts, delegations, signin, unit_of_work

from .db import get_engine, get_session

__all__ = ["PUBLIC_ENDPOINTS", "bearer_token", "bp", "csrf_token", "current_actor", "init_app", "sign_in", "wall_clock",
           "stored_secret_key"]

bp = Blueprint("auth", __name__)


class CsrfRejected(BadRequest):
    """A page post without this session's CSRF token: an expired form, or one sent from another site."""

    description = "CSRF token missing or wrong; reload the page and try again"

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


# Everything else needs a signed-in person (pages) or a bearer token (/api): a view added later is closed
# until it is named here. Each entry reveals no one's data.
PUBLIC_ENDPOINTS: frozenset[str] = frozenset({
    "auth.login",                   # the sign-in form
    "auth.logout",                  # signing out needs no one signed in (and still a CSRF token)
    "i18n.choose",                  # the sign-in page offers the language switch
    "static",                       # styles, scripts and Swagger UI's assets
    "favicon",                      # the browser's tab icon
    "auth-api.token",               # where an API client gets its token
    "reference-api.health",         # probes of load balancers and monitors
    "ops.healthz",                  # liveness probe
    "ops.readyz",                   # readiness probe: says only whether the database is ready
    "ops.metrics",                  # the scraper's: a token of its own, or loopback only
    "api-docs.openapi_json",        # the OpenAPI document
    "api-docs.openapi_swagger_ui",  # Swagger UI over it
})


def current_actor() -> Actor:
    """Return the caller, whom every endpoint off the public list has already required."""
    actor: Actor | None = g.get("actor")
    if actor is None:
        raise NotAuthenticated("sign in first")
    return actor


def csrf_token() -> str:
    """Return this browser session's CSRF token, creating it on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def wall_clock() -> datetime:
    """Return the real time: sign-ins expire and lock out by it, whatever business time the engine runs on."""
    return datetime.now(UTC)


def sign_in(username: str, password: str, kind: str) -> signin.SignIn:
    """Check credentials under the throttle and open a sign-in session; a failure is counted and re-raised."""
    address = request.remote_addr
    try:
        return signin.sign_in(get_session(), username, password, kind=kind, address=address, now=wall_clock())
    except TooManyAttempts:
        raise
    except NotAuthenticated:
        # The request's own unit of work rolls back with the error: the failure is counted in one of its own.
        with unit_of_work(current_app.extensions["govflow.sessions"]) as own:
            signin.note_failed_sign_in(own, username, address, wall_clock())
        raise


def _signed_in(secret: str, kind: str) -> Actor:
    user = signin.session_user(get_session(), secret, kind=kind, max_age=timedelta(
        seconds=current_app.config["TOKEN_MAX_AGE_SECONDS" if kind == signin.TOKEN else "SESSION_MAX_AGE_SECONDS"]),
        now=wall_clock())
    return delegations.acting_actor(get_engine(), get_session(), user)


def _credentials_actor() -> Actor | None:
    """Return who the request's credentials name: a bearer token under /api, the session cookie elsewhere."""
    if request.path.startswith("/api/"):
        token = bearer_token()
        return _signed_in(token, signin.TOKEN) if token else None
    secret = session.get("sid")
    if not secret:
        return None
    try:
        return _signed_in(str(secret), signin.BROWSER)
    except NotAuthenticated:
        session.pop("sid", None)  # signed out elsewhere, expired, or the user was deactivated
        return None


def bearer_token() -> str | None:
    """Return the request's bearer token; refuse any other Authorization scheme."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if header and scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if header:
        raise NotAuthenticated("use the header 'Authorization: Bearer <token>'")
    return None


def _require_actor() -> None:
    """Put the caller on `g.actor`; refuse a stranger everything but the public endpoints."""
    # An unmatched URL or method has no view to protect: its 404 or 405 stands.
    public = request.routing_exception is not None or request.endpoint in PUBLIC_ENDPOINTS
    try:
        g.actor = _credentials_actor()
    except NotAuthenticated:
        if not public:
            raise
        g.actor = None  # a stale token must not stop its holder from fetching a new one
    if g.actor is None and not public:
        raise NotAuthenticated("sign in first")


def _check_csrf() -> None:
    # The API authenticates by bearer token only, which a foreign page cannot send; pages use cookies.
    if request.method not in _UNSAFE or request.path.startswith("/api/"):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(sent, str(expected)):
        raise CsrfRejected()


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    return url_for("pages.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the sign-in form, or sign in."""
    error, status, username = None, 200, request.form.get("username", "")
    if request.method == "POST":
        try:
            signed = sign_in(username, request.form.get("password", ""), signin.BROWSER)
        except TooManyAttempts as exc:
            error, status = "too_many_attempts", 429
            wait_minutes = max(1, (exc.retry_after_seconds + 59) // 60)
            return render_template("login.html", error=error, wait_minutes=wait_minutes, username=username,
                                   next=request.args.get("next", "")), status, {
                                       "Retry-After": str(exc.retry_after_seconds)}
        except NotAuthenticated:
            error, status = "bad_credentials", 401
        else:
            session.clear()  # a new session for the signed-in user, against fixation
            session["sid"] = signed.secret
            session["lang"] = request.form.get("lang") or "zh"
            csrf_token()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error, username=username, next=request.args.get("next", "")), status


@bp.post("/logout")
def logout() -> Response:
    """Sign out: the session ends on the server, so a copied cookie stops working too."""
    secret, lang = session.get("sid"), session.get("lang")
    if secret:
        signin.end_session(get_session(), str(secret), wall_clock())
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))


def stored_secret_key(path: Path) -> str:
    """Return the random key kept at `path`, creating it on first use, so sessions survive restarts."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def init_app(app: Flask) -> None:
    """Register sign-in, the check that refuses strangers, then the CSRF check."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = stored_secret_key(Path(app.instance_path) / "secret_key")
    app.register_blueprint(bp)
    app.before_request(_require_actor)
    app.before_request(_check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token

