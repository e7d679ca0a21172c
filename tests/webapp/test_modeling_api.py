"""Modeling API: drafts with revisions, validation at elements, deploy, history, diff, rollback, migration."""

from __future__ import annotations

from flask.testing import FlaskClient

from .conftest import Login, Tokens, csrf_of

OWNER, ADMIN, CLERK = "qingyang_owner", "admin", "qingyang_applicant_unit"
DMN = "dmn/DT_QY_03.dmn"
P = "qingyang_project"


def _draft(client: FlaskClient, headers: dict[str, str]) -> dict[str, object]:
    response = client.get("/api/v1/bundles/qingyang/draft", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_owner_edits_deploys_and_rolls_back(client: FlaskClient, token_for: Tokens) -> None:
    owner = token_for(OWNER)
    draft = _draft(client, owner)
    assert draft["revision"] is None and DMN in draft["files"]
    text = draft["files"][DMN].replace("&gt;= 500", "&gt;= 400").replace("&lt; 500", "&lt; 400")
    saved = client.put("/api/v1/bundles/qingyang/draft/files", headers=owner,
                       json={"path": DMN, "text": text, "revision": None})
    assert saved.status_code == 200 and saved.json["revision"] == 1 and saved.json["changed"] == [DMN]
    stale = client.put("/api/v1/bundles/qingyang/draft/files", headers=owner,
                       json={"path": DMN, "text": text + " ", "revision": None})
    assert stale.status_code == 409 and stale.json["error"] == "Conflict"
    assert client.post("/api/v1/bundles/qingyang/draft/validate", headers=owner).json == {"ok": True, "problems": []}
    no_note = client.post("/api/v1/bundles/qingyang/draft/deploy", headers=owner, json={"revision": 1})
    assert no_note.status_code == 422 and no_note.json["fields"][0]["field"] == "note"
    deployed = client.post("/api/v1/bundles/qingyang/draft/deploy", headers=owner,
                           json={"revision": 1, "tag": "2026-阈值", "note": "阈值由500万调整为400万"})
    assert deployed.status_code == 201, deployed.json
    assert [(v["process_id"], v["version"]) for v in deployed.json["versions"]] == [(P, 2)]

    history = client.get(f"/api/v1/processes/{P}/history", headers=owner).json
    assert [(h["version"], h["current"], h["tag"], h["created_by"]) for h in history] == [
        (2, True, "2026-阈值", OWNER), (1, False, "", "owner")]
    diff = client.get(f"/api/v1/processes/{P}/diff?from=1&to=2", headers=owner).json
    assert {c["kind"] for c in diff["changes"]} == {"rule"} and len(diff["changes"]) == 4
    assert client.put(f"/api/v1/processes/{P}/current", headers=token_for(CLERK),
                      json={"version": 1}).status_code == 403
    rolled = client.put(f"/api/v1/processes/{P}/current", headers=owner, json={"version": 1})
    assert rolled.status_code == 200 and rolled.json["version"] == 1
    assert [h["current"] for h in client.get(f"/api/v1/processes/{P}/history", headers=owner).json] == [False, True]
    changes = client.get(f"/api/v1/processes/{P}/changes", headers=owner).json
    assert [c["action"] for c in changes] == ["make-current", "deploy", "deploy"]
    assert changes[0]["data"]["rollback"] is True and changes[1]["data"]["note"] == "阈值由500万调整为400万"


def test_invalid_drafts_list_problems_at_elements_and_deploy_nothing(client: FlaskClient, token_for: Tokens) -> None:
    owner = token_for(OWNER)
    bpmn = "bpmn/qingyang_project.bpmn"
    text = _draft(client, owner)["files"][bpmn].replace('value="register.schema.json"', 'value="gone.schema.json"')
    client.put("/api/v1/bundles/qingyang/draft/files", headers=owner, json={"path": bpmn, "text": text,
                                                                           "revision": None})
    checked = client.post("/api/v1/bundles/qingyang/draft/validate", headers=owner).json
    assert checked["ok"] is False
    [problem] = checked["problems"]
    assert (problem["element"], problem["file"]) == ("Task_Register", bpmn) and problem["line"] > 1
    refused = client.post("/api/v1/bundles/qingyang/draft/deploy", headers=owner, json={"revision": 1, "note": "x"})
    assert refused.status_code == 422 and refused.json["problems"][0]["element"] == "Task_Register"
    assert len(client.get(f"/api/v1/processes/{P}/history", headers=owner).json) == 1
    discarded = client.delete("/api/v1/bundles/qingyang/draft?revision=1", headers=owner)
    assert discarded.status_code == 204 and _draft(client, owner)["revision"] is None


def test_only_owners_of_the_jurisdiction_edit(client: FlaskClient, token_for: Tokens) -> None:
    for outsider in (CLERK, "smoke_owner"):
        response = client.get("/api/v1/bundles/qingyang/draft", headers=token_for(outsider))
        assert response.status_code == 403, outsider


def test_only_administrators_migrate_and_the_report_names_each_instance(client: FlaskClient,
                                                                        token_for: Tokens) -> None:
    owner, admin = token_for(OWNER), token_for(ADMIN)
    started = client.post("/api/v1/instances", headers=token_for(CLERK), json={"process_id": P}).json
    text = _draft(client, owner)["files"][DMN].replace("&gt;= 500", "&gt;= 450")
    client.put("/api/v1/bundles/qingyang/draft/files", headers=owner, json={"path": DMN, "text": text,
                                                                           "revision": None})
    client.post("/api/v1/bundles/qingyang/draft/deploy", headers=owner, json={"revision": 1, "note": "450"})
    denied = client.post(f"/api/v1/processes/{P}/migrations", headers=owner, json={"to_version": 2})
    assert denied.status_code == 403
    dry = client.post(f"/api/v1/processes/{P}/migrations", headers=admin, json={"to_version": 2}).json
    assert dry["dry_run"] is True and [c["instance_id"] for c in dry["checks"]] == [started["id"]]
    assert dry["checks"][0]["can_migrate"] is True and dry["checks"][0]["position"] == ["Task_Register"]
    done = client.post(f"/api/v1/processes/{P}/migrations", headers=admin,
                       json={"to_version": 2, "dry_run": False, "instance_ids": [started["id"], "missing"]}).json
    assert [c["can_migrate"] for c in done["checks"]] == [True, False]
    detail = client.get(f"/api/v1/instances/{started['id']}", headers=admin).json
    assert detail["instance"]["version"] == 2
    assert [a["action"] for a in detail["audit"]][-1] == "migrate"


def test_a_draft_back_at_an_earlier_version_deploys_nothing_and_offers_to_make_it_current(
        client: FlaskClient, token_for: Tokens, login: Login) -> None:
    owner = token_for(OWNER)
    original = _draft(client, owner)["files"][DMN]
    changed = original.replace("&gt;= 500", "&gt;= 400").replace("&lt; 500", "&lt; 400")
    client.put("/api/v1/bundles/qingyang/draft/files", headers=owner, json={"path": DMN, "text": changed,
                                                                            "revision": None})
    assert client.post("/api/v1/bundles/qingyang/draft/deploy", headers=owner,
                       json={"revision": 1, "note": "400"}).status_code == 201
    client.put("/api/v1/bundles/qingyang/draft/files", headers=owner, json={"path": DMN, "text": original,
                                                                            "revision": None})
    back = client.post("/api/v1/bundles/qingyang/draft/deploy", headers=owner, json={"revision": 1, "note": "500"})
    assert back.status_code == 200, back.json
    assert back.json["created"] is False and back.json["versions"] == []
    assert [(v["process_id"], v["version"]) for v in back.json["not_current"]] == [(P, 1)]
    assert "make it current" in back.json["notice"]
    assert _draft(client, owner)["revision"] == 1  # nothing deployed, the draft is kept
    assert [h["version"] for h in client.get(f"/api/v1/processes/{P}/history", headers=owner).json] == [2, 1]

    # The modeler page's deploy answers the same, with the form that makes the version current.
    browser = login(OWNER)
    page = browser.post("/modeler/qingyang/deploy", json={"revision": 1, "note": "500"},
                        headers={"X-CSRF-Token": csrf_of(browser)})
    assert page.status_code == 200 and page.json["created"] is False
    [offer] = page.json["not_current"]
    assert (offer["version"], offer["make_current"]) == (1, f"/processes/{P}/current")
    made = browser.post(offer["make_current"], data={"version": "1", "csrf_token": csrf_of(browser)})
    assert made.status_code == 302
    assert [h["current"] for h in client.get(f"/api/v1/processes/{P}/history", headers=owner).json] == [False, True]
