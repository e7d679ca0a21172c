"""Sign-in is required by default, throttled, and ends everywhere: every endpoint off one short public list
refuses strangers, a signed-out cookie or revoked token stops working, guessing locks the account a while."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from engine import unit_of_work
from engine.store.models import UserRow
from engine.usecases.users import DEMO_PASSWORD, hash_password
from webapp.auth import PUBLIC_ENDPOINTS

from .conftest import Login, Tokens, csrf_of

# Widening this list opens an endpoint to anyone: it should show up in review as a change to this test.
EXPECTED_PUBLIC = {
    "auth.login",
    "auth.logout",
    "i18n.choose",
    "static",
    "favicon",
    "auth-api.token",
    "reference-api.health",
    "ops.healthz",
    "ops.readyz",
    "ops.metrics",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
}

_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>")
_DUMMY = {"int": "1", "path": "a/b"}


def _dummy_url(rule: Rule) -> str:
    return _ARGUMENT.sub(lambda found: _DUMMY.get(found.group(1) or "", "x"), rule.rule)


def test_the_public_list_is_exactly_the_expected_one(app: Flask) -> None:
    assert PUBLIC_ENDPOINTS == EXPECTED_PUBLIC
    assert PUBLIC_ENDPOINTS <= {rule.endpoint for rule in app.url_map.iter_rules()}


def test_every_other_endpoint_refuses_strangers_with_every_method(app: Flask, client: FlaskClient) -> None:
    adapter = app.url_map.bind("localhost")
    refused: set[str] = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = _dummy_url(rule)
        for method in sorted(rule.methods or ()):
            where = f"{method} {url}"
            if method != "OPTIONS":  # every rule of a URL answers OPTIONS; the first one is matched
                assert adapter.match(url, method=method)[0] == rule.endpoint, where
            response = client.open(url, method=method)
            if rule.rule.startswith("/api/"):
                assert response.status_code == 401, where
                assert response.headers["WWW-Authenticate"].startswith("Bearer"), where
                if method != "HEAD":
                    assert response.json is not None and response.json["error"] == "NotAuthenticated", where
            else:
                assert response.status_code == 302, where
                assert response.headers["Location"].startswith("/login"), where
        refused.add(rule.endpoint)
    assert {"pages.inbox", "pages.complete", "modeler.save_file", "tasks-api.complete", "auth-api.me",
            "reference-api.calendar", "processes-api.list_processes"} <= refused


def test_a_view_added_later_is_closed_until_it_is_made_public(app: Flask, client: FlaskClient, login: Login,
                                                              token_for: Tokens) -> None:
    app.add_url_rule("/api/v1/added-later", "added-later-api", lambda: {"seen": True})
    app.add_url_rule("/added-later", "added-later-page", lambda: "seen")
    assert client.get("/api/v1/added-later").status_code == 401
    assert client.get("/added-later").headers["Location"] == "/login?next=/added-later"
    assert client.get("/api/v1/added-later", headers=token_for("admin")).json == {"seen": True}
    assert login("admin").get("/added-later").get_data(as_text=True) == "seen"


def test_public_endpoints_answer_strangers(client: FlaskClient) -> None:
    for url in ("/login", "/api/v1/health", "/api/v1/openapi.json", "/api/v1/docs", "/static/app.css"):
        with client.get(url) as response:
            assert response.status_code == 200, url
    assert client.get("/lang/en").status_code == 302
    icon = client.get("/favicon.ico")
    assert (icon.status_code, icon.headers["Location"]) == (301, "/static/favicon.svg")
    with client.get("/static/favicon.svg") as response:
        assert response.mimetype == "image/svg+xml"
    with client.session_transaction() as session:
        assert session["lang"] == "en"


def test_a_stale_token_does_not_stand_in_the_way_of_a_new_one(client: FlaskClient) -> None:
    forged = {"Authorization": "Bearer forged"}
    assert client.get("/api/v1/me", headers=forged).status_code == 401
    renewed = client.post("/api/v1/auth/token", json={"username": "admin", "password": "govflow-demo"},
                          headers=forged)
    assert renewed.status_code == 200 and renewed.json["token"]


def test_tokens_and_sign_ins_die_with_their_password_and_with_their_user(app: Flask, client: FlaskClient,
                                                          token_for: Tokens, login: Login) -> None:
    headers, browser = token_for("qingyang_data_bureau"), login("qingyang_data_bureau")
    assert client.get("/api/v1/me", headers=headers).json["active"] is True
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        user = session.scalars(select(UserRow).filter_by(username="qingyang_data_bureau")).one()
        user.password_hash = hash_password("a-new-password")
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert browser.get("/").status_code == 302  # a new password ends the browser sign-ins too
    fresh = client.post("/api/v1/auth/token", json={"username": "qingyang_data_bureau", "password": "a-new-password"})
    headers = {"Authorization": f"Bearer {fresh.json['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        session.scalars(select(UserRow).filter_by(username="qingyang_data_bureau")).one().active = False
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_signed_in_browser_is_not_an_api_client(login: Login) -> None:
    admin = login("admin")
    assert admin.get("/").status_code == 200
    assert admin.get("/api/v1/me").status_code == 401  # cookies never authenticate the API, so no CSRF there


def test_a_refused_post_returns_to_sign_in_without_coming_back_to_its_action(client: FlaskClient) -> None:
    assert client.post("/tasks/x/claim").headers["Location"] == "/login"


def test_signing_out_ends_a_copied_session_cookie(app: Flask, login: Login) -> None:
    browser = login("qingyang_applicant_unit")
    assert browser.get("/").status_code == 200
    stolen = app.test_client()
    cookie = browser.get_cookie("session")
    assert cookie is not None
    stolen.set_cookie("session", cookie.value, domain=cookie.domain, path=cookie.path)
    assert stolen.get("/").status_code == 200  # the copy works while the sign-in lasts
    browser.post("/logout", data={"csrf_token": csrf_of(browser)})
    assert stolen.get("/").status_code == 302  # and not after signing out


def test_repeated_wrong_passwords_lock_the_account_for_a_while(client: FlaskClient) -> None:
    client.get("/login")
    for _ in range(5):
        wrong = client.post("/login", data={"username": "admin", "password": "guess",
                                            "csrf_token": csrf_of(client)})
        assert wrong.status_code == 401
    locked = client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD,
                                         "csrf_token": csrf_of(client)})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    page = locked.get_data(as_text=True)
    assert "登录失败次数过多" in page and 'value="admin"' in page  # the name stays in the field
    api = client.post("/api/v1/auth/token", json={"username": "admin", "password": DEMO_PASSWORD})
    assert api.status_code == 429 and api.json["error"] == "TooManyAttempts"


def test_a_revoked_token_and_every_token_after_sign_out_everywhere_stop_working(
        client: FlaskClient, token_for: Tokens) -> None:
    first, second = token_for("qingyang_data_bureau"), token_for("qingyang_data_bureau")
    assert client.post("/api/v1/auth/revoke", headers=first).status_code == 204
    assert client.get("/api/v1/me", headers=first).status_code == 401
    assert client.get("/api/v1/me", headers=second).status_code == 200
    admin = token_for("admin")
    ended = client.post("/api/v1/auth/sign-out-everywhere", json={"username": "qingyang_data_bureau"},
                        headers=admin)
    assert ended.status_code == 200 and ended.json == {"username": "qingyang_data_bureau", "ended": 1}
    assert client.get("/api/v1/me", headers=second).status_code == 401
    refused = client.post("/api/v1/auth/sign-out-everywhere", json={"username": "admin"},
                          headers=token_for("qingyang_applicant_unit"))
    assert refused.status_code == 403
