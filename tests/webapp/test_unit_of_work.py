"""One unit of work per request: views never commit; a failed view keeps nothing; a lost race is a 409."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from engine import PermissionDenied, unit_of_work
from engine.store.models import Draft, UserRow
from engine.usecases.users import create_user
from webapp.db import get_engine, get_session

from .conftest import Login, Tokens, csrf_of

APPLICANT, OWNER = "qingyang_applicant_unit", "qingyang_owner"


def _sessions() -> sessionmaker[Session]:
    return current_app.extensions["govflow.sessions"]  # type: ignore[no-any-return]


def _users_named(app: Flask, username: str) -> list[tuple[str, str]]:
    with app.app_context(), unit_of_work(_sessions()) as session:
        return [(u.username, u.display_name) for u in session.scalars(select(UserRow).filter_by(username=username))]


def _add_view(app: Flask, rule: str, view: Callable[..., Any]) -> None:
    app.add_url_rule(rule, rule.strip("/").split("/<")[0].replace("/", "-"), view, methods=["POST"])


def _half_done(mode: str) -> Any:
    create_user(get_engine(), get_session(), "half_done", "govflow-demo")  # flushes the new row
    if mode == "refuse":
        raise PermissionDenied("refused after writing")
    if mode == "crash":
        raise RuntimeError("crashed after writing")
    if mode == "answer":
        return {"error": "InvalidInput", "message": "answered an error after writing"}, 422
    return {"done": True}


@pytest.mark.parametrize(("mode", "status", "kept"), [("refuse", 403, 0), ("answer", 422, 0), ("ok", 200, 1)])
def test_a_view_keeps_its_writes_only_when_it_succeeds(app: Flask, client: FlaskClient, token_for: Tokens,
                                                       mode: str, status: int, kept: int) -> None:
    _add_view(app, "/api/v1/half-done/<mode>", _half_done)
    response = client.post(f"/api/v1/half-done/{mode}", headers=token_for("admin"))
    assert response.status_code == status
    assert len(_users_named(app, "half_done")) == kept


def test_a_view_that_crashes_after_writing_keeps_nothing(app: Flask, login: Login) -> None:
    _add_view(app, "/half-done/<mode>", _half_done)
    admin = login("admin")
    with pytest.raises(RuntimeError):  # the testing app lets the crash through instead of answering 500
        admin.post("/half-done/crash", headers={"X-CSRF-Token": csrf_of(admin)})
    assert _users_named(app, "half_done") == []


def test_a_claim_that_fails_after_its_flush_leaves_the_task_unclaimed(app: Flask, client: FlaskClient,
                                                                      token_for: Tokens) -> None:
    applicant = token_for(APPLICANT)
    started = client.post("/api/v1/instances", json={"process_id": "qingyang_project"}, headers=applicant).json
    task_id = client.get("/api/v1/tasks", headers=applicant).json["items"][0]["id"]
    claim = app.view_functions["tasks-api.claim"]

    def claim_then_fail(**kwargs: Any) -> Any:
        claim(**kwargs)
        get_session().flush()
        raise PermissionDenied("refused after the claim was written")

    app.view_functions["tasks-api.claim"] = claim_then_fail
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=applicant).status_code == 403
    assert client.get(f"/api/v1/tasks/{task_id}", headers=applicant).json["task"]["assignee"] is None
    audit = client.get(f"/api/v1/instances/{started['id']}", headers=applicant).json["audit"]
    assert [entry["action"] for entry in audit if entry["action"] == "claim"] == []
    app.view_functions["tasks-api.claim"] = claim
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=applicant).json["assignee"] == APPLICANT


def _save_draft_after_someone_else() -> Any:
    # This request read revision 1; another one saves revision 2 before this one commits.
    draft = get_session().get(Draft, "qingyang")
    assert draft is not None and draft.revision == 1
    draft.updated_by = "late"
    with unit_of_work(_sessions()) as other:
        first = other.get(Draft, "qingyang")
        assert first is not None
        first.updated_by = "first"
    return {"saved": True}


def _create_user_after_someone_else() -> Any:
    engine = get_engine()
    get_session().add(UserRow(username="raced", display_name="late", password_hash="x", role="clerk",
                              groups=[], active=True, created_at=engine.now()))
    with unit_of_work(_sessions()) as other:
        create_user(engine, other, "raced", "govflow-demo", display_name="first")
    return {"created": True}, 201


def test_a_race_lost_at_commit_is_a_409_and_the_winner_stays(app: Flask, client: FlaskClient,
                                                            token_for: Tokens) -> None:
    _add_view(app, "/api/v1/late-draft", _save_draft_after_someone_else)
    _add_view(app, "/api/v1/late-user", _create_user_after_someone_else)
    owner = token_for(OWNER)
    text = client.get("/api/v1/bundles/qingyang/draft", headers=owner).json["files"]["bpmn/qingyang_project.bpmn"]
    saved = client.put("/api/v1/bundles/qingyang/draft/files", headers=owner,
                       json={"path": "bpmn/qingyang_project.bpmn", "text": text + " ", "revision": None})
    assert saved.json["revision"] == 1

    stale = client.post("/api/v1/late-draft", headers=owner)
    assert stale.status_code == 409 and stale.json["error"] == "Conflict", stale.json
    draft = client.get("/api/v1/bundles/qingyang/draft", headers=owner).json
    assert (draft["revision"], draft["updated_by"]) == (2, "first")

    duplicate = client.post("/api/v1/late-user", headers=owner)
    assert duplicate.status_code == 409 and duplicate.json["error"] == "Conflict", duplicate.json
    assert _users_named(app, "raced") == [("raced", "first")]


def test_a_race_lost_at_commit_is_a_409_page(app: Flask, login: Login) -> None:
    _add_view(app, "/late-user", _create_user_after_someone_else)
    admin = login("admin")
    page = admin.post("/late-user", data={"csrf_token": csrf_of(admin)})
    assert page.status_code == 409 and "出错了" in page.get_data(as_text=True)
    assert _users_named(app, "raced") == [("raced", "first")]


def test_reads_never_commit_and_a_write_commits_once(app: Flask, client: FlaskClient, login: Login,
                                                     token_for: Tokens) -> None:
    applicant, clerk = token_for(APPLICANT), login(APPLICANT)
    commits: list[Session] = []
    event.listen(app.extensions["govflow.sessions"], "after_commit", commits.append)
    for url in ("/api/v1/tasks", "/api/v1/instances", "/api/v1/processes", "/api/v1/me"):
        assert client.get(url, headers=applicant).status_code == 200, url
    assert clerk.get("/").status_code == 200 and clerk.get("/start").status_code == 200
    assert commits == []
    assert client.post("/api/v1/instances", json={"process_id": "qingyang_project"}, headers=applicant).status_code \
        == 201
    assert len(commits) == 1
