"""Web app fixtures: an app on the test database with a fake clock, Qingyang and the smoke bundle, demo users."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import Bundle, Engine, FakeClock, Settings, init_db, make_db_engine, unit_of_work
from engine.settings import PROJECT_ROOT
from engine.usecases.deployments import deploy_bundle
from engine.usecases.users import DEMO_PASSWORD, create_demo_users
from webapp import create_app

from ..engine.helpers import SMOKE

Login = Callable[[str], FlaskClient]
Tokens = Callable[[str], dict[str, str]]


@pytest.fixture
def app(database_url: str, clock: FakeClock) -> Iterator[Flask]:
    """Return the app on the test database, with Qingyang, the smoke bundle and demo users."""
    db = make_db_engine(database_url)
    init_db(db)
    db.dispose()
    engine = Engine(Settings(database_url=database_url), clock=clock)
    application = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                              "ENGINE": engine})
    with unit_of_work(application.extensions["govflow.sessions"]) as session:
        deploy_bundle(engine, session, Bundle.from_directory(SMOKE), "owner")
        deploy_bundle(engine, session, Bundle.from_jurisdiction(PROJECT_ROOT, "qingyang"), "owner")
        create_demo_users(engine, session)
    yield application
    application.extensions["govflow.db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a client that is not signed in."""
    return app.test_client()


def csrf_of(client: FlaskClient) -> str:
    """Return the CSRF token of the client's session."""
    with client.session_transaction() as session:
        return str(session["csrf"])


@pytest.fixture
def login(app: Flask) -> Login:
    """Return a factory of clients signed in as a demo user."""

    def sign_in(username: str) -> FlaskClient:
        client = app.test_client()
        client.get("/login")
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                               "csrf_token": csrf_of(client)})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def token_for(client: FlaskClient) -> Tokens:
    """Return a factory of Authorization headers for demo users."""

    def headers(username: str) -> dict[str, str]:
        response = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}

    return headers
