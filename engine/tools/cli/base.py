"""The `govflow` command group, its context and the helpers every command uses.

Every command prints JSON on stdout; a failure prints one JSON line on stderr
and exits non-zero.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import click
from sqlalchemy.orm import Session

from engine.errors import GovflowError, InvalidInput
from engine.settings import Settings
from engine.spiff.runtime import Engine
from engine.store.db import make_db_engine, make_session_factory, unit_of_work
from engine.usecases.describe import (
    json_default,
)

__all__ = ["CliContext", "domain_errors_as_json", "emit", "json_option", "main"]


class CliContext:
    def __init__(self, database_url: str | None) -> None:
        self.settings = Settings.from_env(database_url=database_url) if database_url else Settings.from_env()
        self.engine = Engine(self.settings)
        self.db = make_db_engine(self.settings.database_url)
        self.sessions = make_session_factory(self.db)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with unit_of_work(self.sessions) as session:
            yield session


def emit(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=json_default))


def domain_errors_as_json(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into one JSON line on stderr and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GovflowError as exc:
            click.echo(json.dumps(exc.to_dict(), ensure_ascii=False, default=json_default), err=True)
            sys.exit(1)

    return wrapper


def json_option(value: str | None, name: str) -> Any:
    if value is None:
        return {}
    try:
        return json.loads(value)
    except ValueError as exc:
        raise InvalidInput(f"--{name} is not valid JSON: {exc}") from None


@click.group()
@click.option("--database-url", envvar="GOVFLOW_DATABASE_URL", default=None, help="SQLAlchemy database URL.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """Govflow: BPMN/DMN processes for government informatization projects."""
    ctx.obj = CliContext(database_url)
    ctx.call_on_close(ctx.obj.db.dispose)
