"""Sign-in: throttled per account and per address, equal work for unknown names, sessions that end everywhere."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from engine import Engine, NotAuthenticated, PermissionDenied, TooManyAttempts
from engine.tools.cli import main
from engine.usecases import signin, users
from engine.usecases.access import Actor
from engine.usecases.users import create_user

from .helpers import unit

NOW = datetime.fromisoformat("2025-09-30T09:00:00+08:00")
DAY = timedelta(hours=12)


@pytest.fixture
def accounts(engine: Engine, sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with unit(sessions) as session:
        create_user(engine, session, "li.ming", "correct-horse")
        create_user(engine, session, "wang.fang", "battery-staple")
    return sessions


def _try(sessions: sessionmaker[Session], username: str, password: str, at: datetime,
         address: str = "10.0.0.1") -> signin.SignIn:
    # As the web app does: the failure is counted in a unit of its own, the request's rolls back.
    try:
        with unit(sessions) as session:
            return signin.sign_in(session, username, password, kind=signin.BROWSER, address=address, now=at)
    except TooManyAttempts:
        raise
    except NotAuthenticated:
        with unit(sessions) as session:
            signin.note_failed_sign_in(session, username, address, at)
        raise


def test_five_failures_lock_the_account_until_the_window_passes(accounts: sessionmaker[Session]) -> None:
    for minute in range(5):
        with pytest.raises(NotAuthenticated):
            _try(accounts, "li.ming", "guess", NOW + timedelta(minutes=minute))
    with pytest.raises(TooManyAttempts) as locked:
        _try(accounts, "li.ming", "correct-horse", NOW + timedelta(minutes=5))
    assert 0 < locked.value.retry_after_seconds <= 10 * 60 + 1
    # Another account from the same address is not locked by these five.
    assert _try(accounts, "wang.fang", "battery-staple", NOW + timedelta(minutes=5)).user.username == "wang.fang"
    # Fifteen minutes after the first failure it ages out; a success then forgets the rest.
    assert _try(accounts, "li.ming", "correct-horse", NOW + timedelta(minutes=15, seconds=1)).user.username == \
        "li.ming"
    with pytest.raises(NotAuthenticated) as again:
        _try(accounts, "li.ming", "guess", NOW + timedelta(minutes=16))
    assert not isinstance(again.value, TooManyAttempts)


def test_one_address_guessing_many_names_is_locked_out(accounts: sessionmaker[Session]) -> None:
    for n in range(30):
        with pytest.raises(NotAuthenticated):
            _try(accounts, f"user{n}", "guess", NOW + timedelta(seconds=n), address="10.9.9.9")
    with pytest.raises(TooManyAttempts):
        _try(accounts, "li.ming", "correct-horse", NOW + timedelta(minutes=1), address="10.9.9.9")
    assert _try(accounts, "li.ming", "correct-horse", NOW + timedelta(minutes=1), address="10.0.0.2")


def test_an_unknown_name_costs_the_same_password_check(accounts: sessionmaker[Session],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = users.verify_password
    monkeypatch.setattr(users, "verify_password", lambda password, stored: checked.append(stored) or real(
        password, stored))
    for name in ("li.ming", "nobody"):
        with pytest.raises(NotAuthenticated, match="wrong username or password"):
            _try(accounts, name, "guess", NOW)
    assert len(checked) == 2 and all(stored.startswith("scrypt$") for stored in checked)


def test_signing_out_ends_every_copy_and_sign_out_everywhere_ends_all(accounts: sessionmaker[Session]) -> None:
    browser = _try(accounts, "li.ming", "correct-horse", NOW)
    with unit(accounts) as session:
        token = signin.sign_in(session, "li.ming", "correct-horse", kind=signin.TOKEN, address=None, now=NOW)
        other = signin.sign_in(session, "li.ming", "correct-horse", kind=signin.BROWSER, address=None, now=NOW)
    with unit(accounts) as session:
        assert signin.session_user(session, browser.secret, kind=signin.BROWSER, max_age=DAY, now=NOW).username \
            == "li.ming"
        with pytest.raises(NotAuthenticated):  # a browser secret is no bearer token
            signin.session_user(session, browser.secret, kind=signin.TOKEN, max_age=DAY, now=NOW)
        with pytest.raises(NotAuthenticated, match="expired"):
            signin.session_user(session, browser.secret, kind=signin.BROWSER, max_age=DAY, now=NOW + DAY * 2)
        signin.end_session(session, browser.secret, NOW)
    with unit(accounts) as session:
        with pytest.raises(NotAuthenticated):
            signin.session_user(session, browser.secret, kind=signin.BROWSER, max_age=DAY, now=NOW)
        with pytest.raises(PermissionDenied):
            signin.end_all_sessions(session, Actor("wang.fang"), "li.ming", NOW)
        assert signin.end_all_sessions(session, Actor("root", role="admin"), "li.ming", NOW) == 2
    with unit(accounts) as session:
        for secret, kind in ((token.secret, signin.TOKEN), (other.secret, signin.BROWSER)):
            with pytest.raises(NotAuthenticated):
                signin.session_user(session, secret, kind=kind, max_age=DAY, now=NOW)


def test_the_cli_signs_a_user_out_everywhere(accounts: sessionmaker[Session], database_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _try(accounts, "li.ming", "correct-horse", NOW)
    monkeypatch.setenv("GOVFLOW_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["users", "sign-out", "li.ming"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"username": "li.ming", "ended": 1}
