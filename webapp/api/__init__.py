"""REST API v1 on flask-smorest: an OpenAPI document and Swagger UI served from the app's own assets.

Every error, whatever raised it, has one JSON shape::

    {"error": "InvalidInput", "message": "...", "fields": [{"field": "...", "message": "..."}]}
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from .schemas import ErrorSchema

__all__ = ["API_CONFIG", "GovflowApi", "init_app"]

API_CONFIG: dict[str, Any] = {
    "API_TITLE": "Govflow API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "/static/build/swagger-ui/",
    "API_SPEC_OPTIONS": {
        "info": {"description": "Processes, instances, tasks, decisions and the business calendar of Govflow. "
                                "Authenticate with POST /api/v1/auth/token, then send "
                                "'Authorization: Bearer <token>'."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    },
}


class GovflowApi(Api):
    """flask-smorest's Api with the app's single error shape and handler."""

    # The document's error responses (each status and `default`) describe what the one handler answers.
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """Leave HTTP errors to the app's one handler (webapp.errors), which calls back for the API."""

    def handle_http_exception(self, error: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Describe an HTTP error of the API in the common error shape."""
        data = getattr(error, "data", None) or {}
        body: dict[str, Any] = {"error": error.name.replace(" ", ""), "message": data.get("message") or
                                error.description}
        return body, error.code or 500, dict(data.get("headers") or {})


def init_app(app: Flask) -> GovflowApi:
    """Register the API blueprints and their document."""
    for key, value in API_CONFIG.items():
        app.config.setdefault(key, value)
    api = GovflowApi(app)
    from . import auth, instances, modeling, notifications, processes, projects, reference, tasks

    for module in (auth, processes, modeling, instances, tasks, reference):
        api.register_blueprint(module.blp)
    api.register_blueprint(notifications.blp)
    from . import handover

    api.register_blueprint(handover.blp)
    api.register_blueprint(projects.blp)
    app.extensions["govflow.api"] = api
    return api
