"""The app factory, the read-only pages and API, and the one error handler."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from webapp import create_app


def test_config_defaults_and_testing_mapping(database_url: str) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": database_url})
    assert app.testing
    app.extensions["govflow.db"].dispose()


def test_health_and_processes(client: FlaskClient) -> None:
    assert client.get("/api/v1/health").json == {"status": "ok"}
    processes = client.get("/api/v1/processes").json
    assert "smoke" in {p["process_id"] for p in processes}


def test_index_lists_processes_in_chinese(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "已部署流程" in page and "冒烟" in page


def test_domain_errors_are_json_under_api_and_html_elsewhere(client: FlaskClient, app: Flask) -> None:
    api = client.get("/api/v1/instances/" + "0" * 32)
    assert api.status_code == 404
    assert api.json["error"] == "NotFound"
    page = client.get("/instances/" + "0" * 32)
    assert page.status_code == 404
    assert "出错了" in page.get_data(as_text=True)
