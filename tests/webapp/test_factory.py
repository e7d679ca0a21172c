"""The app factory, the one error handler, sign-in, sessions and CSRF."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from webapp.auth import stored_secret_key

from .conftest import Login, csrf_of


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "secret_key"
    first = stored_secret_key(path)
    assert len(first) >= 40 and stored_secret_key(path) == first
    assert path.stat().st_mode & 0o777 == 0o600


def test_pages_send_strangers_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/tasks/abc?x=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/tasks/abc")


def test_wrong_password_is_refused_in_chinese(client: FlaskClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": "nope", "csrf_token": csrf_of(client)})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_every_page_post_needs_the_csrf_token(client: FlaskClient, login: Login) -> None:
    client.get("/login")
    refused = client.post("/login", data={"username": "admin", "password": "govflow-demo"})
    assert refused.status_code == 400 and "表单已过期或来源不明，请刷新页面后重试" in refused.get_data(as_text=True)
    admin = login("admin")
    assert admin.post("/logout").status_code == 400
    assert admin.post("/logout", data={"csrf_token": csrf_of(admin)}).status_code == 302
    assert admin.get("/").status_code == 302  # signed out


def test_sign_in_redirects_only_inside_the_app(client: FlaskClient) -> None:
    client.get("/login")
    response = client.post("/login?next=https://example.invalid/", data={
        "username": "admin", "password": "govflow-demo", "csrf_token": csrf_of(client)})
    assert response.headers["Location"] == "/"


def test_inbox_speaks_chinese_and_english_on_request(login: Login) -> None:
    clerk = login("qingyang_applicant_unit")
    page = clerk.get("/").get_data(as_text=True)
    assert "本组任务" in page and "暂无待办任务" in page
    clerk.get("/lang/en")
    assert "My groups&#39; tasks" in clerk.get("/").get_data(as_text=True)


def test_domain_errors_are_json_under_api_and_html_elsewhere(login: Login, token_for: object,
                                                             client: FlaskClient) -> None:
    api = client.get("/api/v1/instances/" + "0" * 32, headers=token_for("admin"))  # type: ignore[operator]
    assert api.status_code == 404 and api.json["error"] == "NotFound"
    page = login("admin").get("/instances/" + "0" * 32)
    assert page.status_code == 404 and "出错了" in page.get_data(as_text=True)
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.json["error"] == "NotFound"


def test_app_is_testing(app: Flask) -> None:
    assert app.testing and "govflow.scheduler" not in app.extensions
