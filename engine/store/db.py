"""Create database engines and sessions; no request or application knowledge here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine as SqlEngine
from sqlalchemy import create_engine, event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict
from engine.store.schema import upgrade_schema

__all__ = ["init_db", "is_lost_race", "lost_races_as_conflicts", "make_db_engine", "make_session_factory",
           "unit_of_work"]


def make_db_engine(url: str, **kwargs: Any) -> SqlEngine:
    """Create an engine; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[1] if "///" in url else ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_session_factory(engine: SqlEngine) -> sessionmaker[Session]:
    """Return a session factory whose sessions never expire objects on commit."""
    return sessionmaker(engine, expire_on_commit=False)


def init_db(engine: SqlEngine) -> None:
    """Create the schema at the newest migration; refuse a database at an older one (`govflow db upgrade`)."""
    upgrade_schema(engine, allow_upgrade=False)


@contextmanager
def lost_races_as_conflicts() -> Iterator[None]:
    """Turn a stale optimistic version or a stale SQLite snapshot into Conflict."""
    try:
        yield
    except StaleDataError:
        raise Conflict("the data changed while this request ran; reload and try again") from None
    except IntegrityError:
        # A unique key another request inserted first (an idempotency key, say): that request won.
        raise Conflict("another request created the same record; reload and try again") from None
    except OperationalError as exc:
        if is_lost_race(exc):
            raise Conflict("another request changed the same data; reload and try again") from None
        raise


# Recognised by code, never by message text: PostgreSQL's serialization failure, deadlock and lock-not-
# available states, and SQLite's busy family (a writer whose WAL snapshot went stale, a lock held too long).
_LOST_RACE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def is_lost_race(exc: OperationalError) -> bool:
    """Tell whether a database error means another transaction won a race for the same rows."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _LOST_RACE_SQLSTATES:
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session, commit it at the end, roll back on any error; lost races become Conflict."""
    session = factory()
    try:
        with lost_races_as_conflicts():
            yield session
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
