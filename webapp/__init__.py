"""Govflow web app: the HTTP face of the engine."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

__all__ = ["create_app"]

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": "dev-only-change-me",
    "DATABASE_URL": "",
    "SCHEDULER_ENABLED": True,
    "TIMER_INTERVAL_SECONDS": 5,
}


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the Flask application."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_prefixed_env("GOVFLOW")
    else:
        app.config.update(test_config)
    _register_engine(app)
    _register_blueprints(app)
    _register_errors(app)
    _register_scheduler(app)
    return app


def _register_engine(app: Flask) -> None:
    from engine import Engine, Settings, make_db_engine, make_session_factory

    overrides: dict[str, Any] = {"instance_dir": Path(app.instance_path)}
    if app.config.get("DATABASE_URL"):
        overrides["database_url"] = app.config["DATABASE_URL"]
    settings = Settings.from_env(**overrides)
    app.extensions["govflow.engine"] = Engine(settings)
    app.extensions["govflow.db"] = make_db_engine(settings.database_url)
    app.extensions["govflow.sessions"] = make_session_factory(app.extensions["govflow.db"])

    from . import db

    db.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from . import api, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)


def _register_errors(app: Flask) -> None:
    from . import errors

    errors.init_app(app)


def _register_scheduler(app: Flask) -> None:
    from . import scheduler

    scheduler.init_scheduler(app)
