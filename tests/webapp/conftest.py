"""Web app fixtures: an app on the test database with the smoke bundle deployed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import Bundle, init_db, make_db_engine, unit_of_work
from engine.deployments import deploy_bundle
from webapp import create_app

from ..engine.helpers import SMOKE


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    db = make_db_engine(database_url)
    init_db(db)
    db.dispose()
    application = create_app({"TESTING": True, "DATABASE_URL": database_url})
    with unit_of_work(application.extensions["govflow.sessions"]) as session:
        deploy_bundle(application.extensions["govflow.engine"], session, Bundle.from_directory(SMOKE), "owner")
    yield application
    application.extensions["govflow.db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
