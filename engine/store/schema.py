"""Bring a database's schema to the head migration, or say exactly why not.

A new database gets every table and is stamped at the head. A database made before migrations
existed (tables, no `alembic_version`) is stamped at the baseline, the schema those versions
created, and upgraded from there. Migrations live in engine/store/migrations/versions/.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy import Engine as SqlEngine
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import GovflowError
from engine.store.models import Base

__all__ = ["BASELINE", "SchemaError", "current_revision", "head_revision", "run_migration", "upgrade_schema"]

BASELINE = "0001_baseline"
_MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaError(GovflowError):
    """The database's schema is not the one this Govflow needs, and upgrading is not allowed here."""


def _config(connection: object | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest migration's id."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # the package ships its migrations
    return head


def current_revision(bind: SqlEngine | Connection) -> str | None:
    """Return the database's migration id; None for an empty database or one made before migrations."""
    if isinstance(bind, Connection):
        return MigrationContext.configure(bind).get_current_revision()
    with bind.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_schema(engine: SqlEngine, *, allow_upgrade: bool = True) -> str:
    """Create or upgrade the schema to the head and return the revision it had before ('' when empty)."""
    tables = set(inspect(engine).get_table_names())
    before = current_revision(engine)
    if not tables - {"alembic_version"}:
        Base.metadata.create_all(engine)
        run_migration(engine, "stamp", "head")
        return ""
    if before == head_revision():
        return before
    if not allow_upgrade:
        raise SchemaError(f"the database schema is at {before or 'the pre-migration schema'}, this Govflow needs "
                          f"{head_revision()}: run `govflow db upgrade` first (back the database up before)")
    with engine.begin() as connection:
        config = _config(connection)
        try:
            if before is None:
                # Made by init-db before migrations existed: that schema is the baseline.
                command.stamp(config, BASELINE)
            command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise SchemaError(f"upgrading the database from {before or 'the pre-migration schema'} failed: "
                              f"{getattr(exc, 'orig', exc)}; it was not made by Govflow, or not by a version "
                              f"older than its migrations; nothing was changed") from None
        # One transaction: a database that was not what its stamp claims is left as it was.
        inspector = inspect(connection)
        present = set(inspector.get_table_names())
        missing = [f"{table.name}.{column.name}" for table in Base.metadata.sorted_tables
                   for column in table.columns
                   if table.name not in present
                   or column.name not in {c["name"] for c in inspector.get_columns(table.name)}]
        if missing:
            raise SchemaError(f"the database lacks {', '.join(missing)} after upgrading; it was not made by "
                              f"Govflow, or by a version older than its migrations; nothing was changed")
    return before or "pre-migration"


def run_migration(engine: SqlEngine, action: str, revision: str) -> None:
    """Run Alembic's `upgrade` or `stamp` to `revision` in one transaction."""
    with engine.begin() as connection:
        config = _config(connection)
        if action == "stamp":
            command.stamp(config, revision)
        else:
            command.upgrade(config, revision)
