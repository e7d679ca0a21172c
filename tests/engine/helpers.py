"""Small helpers shared by engine tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from engine import Bundle, Engine, unit_of_work
from engine.usecases.deployments import deploy_bundle

SMOKE = Path(__file__).parent.parent / "data" / "bundles" / "smoke"


@contextmanager
def unit(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """Open one committed unit of work, as a request or a job would."""
    with unit_of_work(sessions) as session:
        yield session


def deploy_smoke(engine: Engine, sessions: sessionmaker[Session]) -> None:
    """Deploy the smoke bundle in its own unit of work."""
    with unit(sessions) as session:
        deploy_bundle(engine, session, Bundle.from_directory(SMOKE), "owner")
