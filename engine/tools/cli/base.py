"""The `govflow` command group, its context and the helpers every command uses.

Every command prints JSON on stdout; a failure prints one JSON line on stderr
and exits non-zero.

Every command acts through the same actor-checked use cases as the web app. `--actor NAME` acts as
that active user. Without it a command runs as the system administrator `system` (`SYSTEM_ADMIN`):
whoever runs the CLI already holds the database credentials. Commands that do a clerk's work (start,
claim, unclaim, complete) and list a clerk's tasks need `--actor`.
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
from engine.spiff.internals import install
from engine.spiff.runtime import Engine
from engine.store.db import make_db_engine, make_session_factory, unit_of_work
from engine.usecases import delegations, users
from engine.usecases.access import Actor
from engine.usecases.describe import json_default, to_json

__all__ = ["SYSTEM_ADMIN", "CliContext", "actor_option", "domain_errors_as_json", "emit", "json_option", "main"]

SYSTEM_ADMIN = Actor("system", role="admin", display_name="system administrator")


class CliContext:
    def __init__(self, database_url: str | None) -> None:
        self.settings = Settings.from_env(database_url=database_url) if database_url else Settings.from_env()
        install()  # once per process, before the engine: timers read the engine clock
        self.engine = Engine(self.settings)
        self.db = make_db_engine(self.settings.database_url)
        self.sessions = make_session_factory(self.db)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with unit_of_work(self.sessions) as session:
            yield session

    def actor(self, session: Session, name: str | None) -> Actor:
        """Return whom a command acts as: the named active user, or the system administrator."""
        if name is None:
            return SYSTEM_ADMIN
        return delegations.acting_actor(self.engine, session, users.active_user(session, name))


def actor_option(*, required: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add `--actor NAME`, the user a command acts as; optional ones default to the system administrator."""
    note = "" if required else " Default: the system administrator 'system'."
    return click.option("--actor", "actor_name", required=required, default=None,
                        help=f"Act as this active user.{note}")


def emit(value: Any) -> None:
    click.echo(json.dumps(to_json(value), ensure_ascii=False, indent=2))


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
