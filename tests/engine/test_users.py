"""Users: scrypt password hashes, validated fields, sign-in, and demo users for every candidate group."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from engine import Conflict, Engine, InvalidInput, NotAuthenticated
from engine.tools.cli import main
from engine.usecases.users import (
    DEMO_PASSWORD,
    authenticate,
    create_demo_users,
    create_user,
    get_user,
    hash_password,
    verify_password,
)

from .helpers import deploy_smoke, unit


def test_password_hashes_are_salted_and_verify() -> None:
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("s3cret-pass", first)
    assert not verify_password("s3cret-pasS", first)
    assert not verify_password("s3cret-pass", "plain-text")


def test_create_and_authenticate(engine: Engine, sessions: sessionmaker[Session]) -> None:
    with unit(sessions) as session:
        create_user(engine, session, "li.ming", "correct-horse", groups=["datong:applicant_unit"],
                    unit="datong:unit_a", display_name="李明")
    with unit(sessions) as session:
        user = authenticate(session, "li.ming", "correct-horse")
        assert (user.display_name, user.role, user.groups, user.unit) == (
            "李明", "clerk", ("datong:applicant_unit",), "datong:unit_a")
        with pytest.raises(NotAuthenticated):
            authenticate(session, "li.ming", "wrong-password")
        with pytest.raises(NotAuthenticated):
            authenticate(session, "nobody", "correct-horse")


def test_bad_fields_are_named_and_duplicates_conflict(engine: Engine, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(InvalidInput) as caught, unit(sessions) as session:
        create_user(engine, session, "Bad Name", "short", groups=["no-colon"], role="boss")
    assert sorted(e.field for e in caught.value.errors) == ["groups", "password", "role", "username"]
    with unit(sessions) as session:
        create_user(engine, session, "wang", "long-enough")
    with pytest.raises(Conflict), unit(sessions) as session:
        create_user(engine, session, "wang", "long-enough")


def test_demo_users_cover_every_candidate_group(engine: Engine, sessions: sessionmaker[Session]) -> None:
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        created = {u.username for u in create_demo_users(engine, session)}
    assert created == {"smoke_applicant", "smoke_data_bureau", "smoke_owner", "admin", "smoke_applicant_member",
                       "smoke_data_bureau_member"}
    with unit(sessions) as session:
        # The clerk named after a group leads it; its member is whom the leader hands tasks to.
        assert get_user(session, "smoke_data_bureau").leads == ("smoke:data_bureau",)
        assert get_user(session, "smoke_data_bureau_member").leads == ()
        assert get_user(session, "smoke_data_bureau_member").groups == ("smoke:data_bureau",)
        assert get_user(session, "smoke_owner").groups == ("smoke:applicant", "smoke:data_bureau")
        assert get_user(session, "admin").role == "admin"
        assert authenticate(session, "smoke_data_bureau", DEMO_PASSWORD).groups == ("smoke:data_bureau",)
        assert create_demo_users(engine, session) == []  # idempotent


def test_cli_users(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVFLOW_DATABASE_URL", database_url)
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    result = runner.invoke(main, ["users", "create", "zhao", "--password", "pass-word-1", "--groups",
                                  "qingyang:data_bureau,qingyang:finance_bureau", "--role", "process_owner"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["groups"] == ["qingyang:data_bureau", "qingyang:finance_bureau"]
    listed = json.loads(runner.invoke(main, ["users", "list"]).stdout)
    assert [u["username"] for u in listed] == ["zhao"] and "password_hash" not in listed[0]
    assert "credential_stamp" not in listed[0]
    failed = runner.invoke(main, ["users", "create", "zhao", "--password", "pass-word-1"])
    assert failed.exit_code == 1 and json.loads(failed.stderr)["error"] == "Conflict"


def test_users_get_an_email_address_for_notifications(engine: Engine, sessions: sessionmaker[Session],
                                                      database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import select

    from engine.store.models import UserRow

    with unit(sessions) as session:
        with pytest.raises(InvalidInput) as bad:
            create_user(engine, session, "qian", "password1", email="qian at example")
        assert [e.field for e in bad.value.errors] == ["email"]
        create_user(engine, session, "sun", "password1", email=" sun@example.org ")
    monkeypatch.setenv("GOVFLOW_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["users", "create", "li", "--password", "pass-word-1", "--email",
                                       "li@example.org"])
    assert result.exit_code == 0, result.output
    with unit(sessions) as session:
        emails = {name: email for name, email in session.execute(select(UserRow.username, UserRow.email))}
    assert emails == {"sun": "sun@example.org", "li": "li@example.org"}
