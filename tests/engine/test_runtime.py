"""Settings, database set-up and the engine's collaborators."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from engine import Bundle, Engine, GovflowError, Settings, init_db, make_db_engine
from engine.settings import PROJECT_ROOT
from engine.spiff.sandbox import RestrictedEnvironment
from engine.store.schema import current_revision, upgrade_schema
from engine.tools.testing import TESTER
from engine.usecases.deployments import deploy_bundle
from engine.usecases.instances import start_project
from engine.usecases.state import get_instance, load

from .helpers import SMOKE, deploy_smoke, unit


def test_settings_default_to_a_sqlite_file_in_the_instance_folder() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'instance' / 'govflow.sqlite'}"
    assert settings.bpmn_dir == PROJECT_ROOT / "bpmn"


def test_settings_come_from_the_environment() -> None:
    settings = Settings.from_env({"GOVFLOW_DATABASE_URL": "postgresql://u@127.0.0.1/g",
                                  "GOVFLOW_TIMEZONE": "Asia/Urumqi", "GOVFLOW_MAX_FILE_BYTES": "10"})
    assert (settings.database_url, settings.timezone, settings.max_file_bytes) == (
        "postgresql://u@127.0.0.1/g", "Asia/Urumqi", 10)


def test_bad_settings_fail_fast() -> None:
    with pytest.raises(ValueError, match="GOVFLOW_MAX_FILE_BYTES"):
        Settings.from_env({"GOVFLOW_MAX_FILE_BYTES": "lots"})


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    db = make_db_engine(f"sqlite:///{tmp_path / 'nested' / 'g.sqlite'}")
    with db.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_loaded_instances_get_the_restricted_engine_back(engine: Engine, sessions: sessionmaker[Session]) -> None:
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        instance_id = start_project(engine, session, TESTER, "smoke").id
    with unit(sessions) as session:
        _, instance = load(engine, session, instance_id)
    assert isinstance(instance.workflow.script_engine.environment, RestrictedEnvironment)


def test_a_chosen_version_can_be_started(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    folder = tmp_path / "smoke"
    shutil.copytree(SMOKE, folder)
    with unit(sessions) as session:
        deploy_bundle(engine, session, Bundle.from_directory(folder), "owner")
    path = folder / "smoke.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace('name="申报"', 'name="项目申报"'), encoding="utf-8")
    with unit(sessions) as session:
        deploy_bundle(engine, session, Bundle.from_directory(folder), "owner")
        old = start_project(engine, session, TESTER, "smoke", version=1).id
        new = start_project(engine, session, TESTER, "smoke").id
    with unit(sessions) as session:
        assert get_instance(session, old).process_version.version == 1
        assert get_instance(session, new).process_version.version == 2


def test_helpers_reach_dmn_cells_and_use_the_engine_clock(engine: Engine) -> None:
    environment = engine.script_engine().environment
    assert environment.evaluate("add_working_days(today(), 5)", {}) == "2025-10-14"
    assert environment.evaluate("deadline('2025-10-14')", {}) == "2025-10-15T00:00:00+08:00"
    assert environment.evaluate("working_days_between(signed, '2025-10-14') <= 5", {"signed": "2025-09-30"})


def test_init_db_refuses_tables_of_an_older_schema(tmp_path: Path) -> None:
    db = make_db_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with db.begin() as connection:
        connection.execute(text("CREATE TABLE task (id VARCHAR(36) PRIMARY KEY)"))
    with pytest.raises(GovflowError, match="govflow db upgrade"):
        init_db(db)
    with pytest.raises(GovflowError, match="nothing was changed"):
        upgrade_schema(db)
    assert current_revision(db) is None  # refused in one transaction: not even stamped
    db.dispose()
