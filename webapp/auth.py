"""Who is calling: session sign-in for people, bearer tokens for API clients, CSRF on every page post.

One check before every request refuses strangers everything but `PUBLIC_ENDPOINTS`, so views only read
the caller from `current_actor()` and a view that forgets to ask is still closed.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from engine import Actor, NotAuthenticated, UserInfo, users

from .db import get_session

__all__ = ["PUBLIC_ENDPOINTS", "bp", "csrf_token", "current_actor", "init_app", "issue_token", "stored_secret_key"]

bp = Blueprint("auth", __name__)

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_TOKEN_SALT = "govflow-api-token"


# Everything else needs a signed-in person (pages) or a bearer token (/api): a view added later is closed
# until it is named here. Each entry reveals no one's data.
PUBLIC_ENDPOINTS: frozenset[str] = frozenset({
    "auth.login",                   # the sign-in form
    "auth.logout",                  # signing out needs no one signed in (and still a CSRF token)
    "i18n.choose",                  # the sign-in page offers the language switch
    "static",                       # styles, scripts and Swagger UI's assets
    "auth-api.token",               # where an API client gets its token
    "reference-api.health",         # probes of load balancers and monitors
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


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_TOKEN_SALT)


def issue_token(user: UserInfo) -> str:
    """Return a signed bearer token for an API client; it dies with the password it was issued under."""
    return str(_serializer().dumps({"u": user.username, "p": user.credential_stamp}))


def _token_user(token: str) -> UserInfo:
    try:
        payload = _serializer().loads(token, max_age=current_app.config["TOKEN_MAX_AGE_SECONDS"])
    except SignatureExpired:
        raise NotAuthenticated("the token has expired; request a new one") from None
    except BadSignature:
        raise NotAuthenticated("the token is not valid") from None
    try:
        user = users.active_user(get_session(), payload["u"])
    except NotAuthenticated:
        raise NotAuthenticated("the token is not valid") from None
    if not hmac.compare_digest(payload.get("p", ""), user.credential_stamp):
        raise NotAuthenticated("the token is not valid")
    return user


def _credentials_actor() -> Actor | None:
    """Return who the request's credentials name: a bearer token under /api, the session cookie elsewhere."""
    if request.path.startswith("/api/"):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if header and scheme.lower() == "bearer" and token.strip():
            return Actor.of(_token_user(token.strip()))
        if header:
            raise NotAuthenticated("use the header 'Authorization: Bearer <token>'")
        return None
    username = session.get("user")
    if not username:
        return None
    try:
        return users.actor_of(get_session(), username)
    except NotAuthenticated:
        session.pop("user", None)  # deleted or deactivated since signing in
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
        raise BadRequest("表单已过期或来源不明，请刷新页面后重试 (CSRF token missing or wrong)")


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    return url_for("pages.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the sign-in form, or sign in."""
    error = None
    if request.method == "POST":
        try:
            user = users.authenticate(get_session(), request.form.get("username", ""), request.form.get("password", ""))
        except NotAuthenticated:
            error = "bad_credentials"
        else:
            session.clear()  # a new session id for the signed-in user, against fixation
            session["user"] = user.username
            session["lang"] = request.form.get("lang") or "zh"
            csrf_token()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error, next=request.args.get("next", "")), 401 if error else 200


@bp.post("/logout")
def logout() -> Response:
    """Sign out."""
    lang = session.get("lang")
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

