"""Govflow web app: the HTTP face of the engine."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from flask.json.provider import DefaultJSONProvider
from werkzeug.wrappers import Response

__all__ = ["GovflowFlask", "create_app"]

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": "",  # empty: a random key kept in the instance folder
    "DATABASE_URL": "",
    "SCHEDULER_ENABLED": True,
    "TIMER_INTERVAL_SECONDS": 5,
    "NOTIFY_INTERVAL_SECONDS": 30,  # due reminders, digests and e-mail delivery
    "TOKEN_MAX_AGE_SECONDS": 8 * 3600,
    "SESSION_MAX_AGE_SECONDS": 12 * 3600,  # a browser sign-in ends on the server after a working day
    "METRICS_TOKEN": "",  # empty: /metrics answers loopback clients only
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # A whole bundle deployed in one request stays far below this; larger bodies are refused with 413.
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
}


class GovflowJSONProvider(DefaultJSONProvider):
    """JSON with ISO dates and exact decimals, as the engine's own views write them."""

    ensure_ascii = False

    @staticmethod
    def default(o: Any) -> Any:
        from engine import json_default

        try:
            return json_default(o)
        except TypeError:
            return DefaultJSONProvider.default(o)


class GovflowFlask(Flask):
    """Flask whose every view runs in the request's unit of work, so no view commits by hand."""

    def dispatch_request(self) -> Response:
        """Run the matched view and commit what it changed only if it succeeded."""
        from .db import run_view

        dispatch = super().dispatch_request
        return run_view(lambda: self.make_response(dispatch()))


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the Flask application."""
    app = GovflowFlask(__name__, instance_relative_config=True)
    app.json = GovflowJSONProvider(app)
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_prefixed_env("GOVFLOW")
    else:
        app.config.update(test_config)
    _register_engine(app)
    _register_web(app)
    _register_scheduler(app)
    return app


def _register_engine(app: Flask) -> None:
    from engine import Engine, Settings, install_spiff_patches, make_db_engine, make_session_factory

    overrides: dict[str, Any] = {"instance_dir": Path(app.instance_path)}
    if app.config.get("DATABASE_URL"):
        overrides["database_url"] = app.config["DATABASE_URL"]
    settings = Settings.from_env(**overrides)
    install_spiff_patches()  # once per process, before the engine: timers read the engine clock
    app.extensions["govflow.engine"] = app.config.get("ENGINE") or Engine(settings)
    app.extensions["govflow.db"] = make_db_engine(settings.database_url)
    app.extensions["govflow.sessions"] = make_session_factory(app.extensions["govflow.db"])

    from . import db

    db.init_app(app)


def _register_web(app: Flask) -> None:
    from . import api, auth, dashboard, errors, i18n, limits, modeler, notifications, operations, pages, plain
    from . import projects as project_pages

    operations.init_app(app)  # first: it times and logs every request, refused ones included
    limits.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    plain.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(modeler.bp)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    notifications.init_app(app)
    from . import handover

    app.register_blueprint(handover.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(project_pages.bp)
    smorest = api.init_app(app)
    errors.init_app(app, api_errors=smorest.handle_http_exception)


def _favicon() -> Response:
    """Send browsers that ask for /favicon.ico (pages without the icon link, such as Swagger UI) to the icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


def _register_scheduler(app: Flask) -> None:
    from . import scheduler

    scheduler.init_scheduler(app)
