"""REST API v1: tokens, the OpenAPI document, instances, tasks with idempotency keys, decisions, calendar."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from ..jurisdictions.test_qingyang_process import ANSWERS
from .conftest import Tokens

APPLICANT = "qingyang_applicant_unit"


def _start(client: FlaskClient, headers: dict[str, str], key: str | None = None) -> dict[str, object]:
    response = client.post("/api/v1/instances", json={"process_id": "qingyang_project", "business_key": key},
                           headers=headers)
    assert response.status_code == 201, response.json
    assert response.headers["Location"].endswith(response.json["id"])
    return response.json  # type: ignore[no-any-return]


def test_tokens_are_required_and_checked(client: FlaskClient, token_for: Tokens) -> None:
    assert client.get("/api/v1/health").json == {"status": "ok"}
    missing = client.get("/api/v1/tasks")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/tasks", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.get("/api/v1/tasks", headers={"Authorization": "Basic eDp5"}).status_code == 401
    wrong = client.post("/api/v1/auth/token", json={"username": "admin", "password": "wrong"})
    assert wrong.status_code == 401 and wrong.json["error"] == "NotAuthenticated"
    incomplete = client.post("/api/v1/auth/token", json={"username": "admin"})
    assert incomplete.status_code == 422 and incomplete.json["fields"] == [
        {"field": "password", "message": "Missing data for required field."}]
    me = client.get("/api/v1/me", headers=token_for(APPLICANT)).json
    assert me["unit"] == "qingyang:demo_unit" and me["groups"] == ["qingyang:applicant_unit"]


def test_openapi_document_lists_every_endpoint(client: FlaskClient, app: Flask) -> None:
    document = client.get("/api/v1/openapi.json").json
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and not rule.rule.endswith(("openapi.json", "/docs")):
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:  # type: ignore[operator]
                assert (path[len("/api/v1"):], method) in documented or (path, method) in documented, (path, method)
    docs = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/build/swagger-ui/swagger-ui-bundle.js" in docs and "//" not in docs.split("swagger-ui.css")[0][-60:]


def _resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a schema's $ref (or the one in its allOf) to the component it names."""
    if "allOf" in schema:
        [schema] = schema["allOf"]
    if "$ref" in schema:
        return _resolved(document, document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    return schema


def test_every_success_response_is_documented_with_a_schema(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    described = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":  # shared by the path's operations, not an operation
                continue
            assert any(status.startswith("2") for status in operation["responses"]), (method, path)
            for status in {"200", "201"} & set(operation["responses"]):
                content = operation["responses"][status].get("content") or {}
                assert content and all(media.get("schema") for media in content.values()), (method, path, status)
                described.append((method, path))
    assert len(described) >= 30
    completion = document["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]["responses"]["200"]
    fields = _resolved(document, completion["content"]["application/json"]["schema"])["properties"]
    assert set(fields) == {"task", "instance"}
    task = _resolved(document, fields["task"])["properties"]
    instance = _resolved(document, fields["instance"])["properties"]
    assert {"id", "instance_id", "task", "status", "completed_by", "completed_at", "data"} <= set(task)
    assert {"id", "process_id", "version", "status", "active_elements", "business_key"} <= set(instance)


def test_start_list_complete_with_idempotency_key(client: FlaskClient, token_for: Tokens) -> None:
    applicant = token_for(APPLICANT)
    started = _start(client, applicant, "QY-API-1")
    page = client.get("/api/v1/tasks?search=QY-API", headers=applicant).json
    assert page["total"] == 1
    task = page["items"][0]
    assert (task["task"], task["business_key"], task["unit"]) == ("Task_Register", "QY-API-1", "qingyang:demo_unit")
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=applicant).json
    assert detail["schema"]["title"] == "项目基本情况"
    bad = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"investmentWan": "many"}, headers=applicant)
    assert bad.status_code == 422 and "investmentWan" in {f["field"] for f in bad.json["fields"]}
    key = {**applicant, "Idempotency-Key": "8d1c5a0e-first"}
    first = client.post(f"/api/v1/tasks/{task['id']}/complete", json=ANSWERS["Task_Register"], headers=key)
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    assert first.json["task"]["status"] == "completed" and first.json["instance"]["id"] == started["id"]
    again = client.post(f"/api/v1/tasks/{task['id']}/complete", json=ANSWERS["Task_Register"], headers=key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    different = client.post(f"/api/v1/tasks/{task['id']}/complete", json={**ANSWERS["Task_Register"],
                            "investmentWan": 1.0}, headers=key)
    assert different.status_code == 409
    stale = client.post(f"/api/v1/tasks/{task['id']}/complete", json=ANSWERS["Task_Register"], headers=applicant)
    assert stale.status_code == 409 and stale.json["error"] == "Conflict"
    shown = client.get(f"/api/v1/instances/{started['id']}", headers=applicant).json
    assert shown["instance"]["active_elements"] == ["Task_DeptReview"]
    actions = [e["action"] for e in shown["audit"]]
    assert actions[0] == "start" and actions.count("complete") == 1 and "decide" in actions
    listed = client.get("/api/v1/instances?process_id=qingyang_project", headers=applicant)
    assert [i["id"] for i in listed.json] == [started["id"]] and listed.headers["X-Total-Count"] == "1"
    assert client.get("/api/v1/instances", headers=token_for("qingyang_other_applicant")).json == []
    xml = client.get(f"/api/v1/instances/{started['id']}/diagram", headers=applicant)
    assert xml.mimetype == "application/xml" and b"qingyang_project" in xml.data


def test_authorization_is_checked_on_every_call(client: FlaskClient, token_for: Tokens) -> None:
    started = _start(client, token_for(APPLICANT))
    task_id = client.get("/api/v1/tasks", headers=token_for(APPLICANT)).json["items"][0]["id"]
    outsider = token_for("qingyang_other_applicant")
    assert client.get(f"/api/v1/tasks/{task_id}", headers=outsider).status_code == 404
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/instances/{started['id']}", headers=outsider).status_code == 404
    bureau = token_for("qingyang_data_bureau")
    assert client.post("/api/v1/instances", json={"process_id": "qingyang_project"}, headers=bureau).status_code \
        == 403
    assert client.get("/api/v1/monitor/versions", headers=bureau).status_code == 403
    assert client.post(f"/api/v1/instances/{started['id']}/cancel", json={}, headers=bureau).status_code == 403
    admin = token_for("admin")
    heat = client.get("/api/v1/monitor/qingyang_project/1/heat", headers=admin).json
    assert heat["counts"] == {"Task_Register": 1}
    cancelled = client.post(f"/api/v1/instances/{started['id']}/cancel", json={"reason": "重复申报"}, headers=admin)
    assert cancelled.json["status"] == "cancelled"
    assert client.post(f"/api/v1/instances/{started['id']}/retry", headers=admin).status_code == 409


def test_decisions_and_calendar(client: FlaskClient, token_for: Tokens) -> None:
    headers = token_for(APPLICANT)
    result = client.post("/api/v1/decisions/DT_S_01/evaluate", json={"inputs": {"investmentWan": "600"}},
                         headers=headers)
    assert result.status_code == 200 and result.json["outputs"]
    unknown = client.post("/api/v1/decisions/NOPE/evaluate", json={"inputs": {}}, headers=headers)
    assert unknown.status_code == 404
    # 2025-09-30 plus 5 working days skips the National Day holiday and lands on 2025-10-14.
    answer = client.get("/api/v1/calendar?start=2025-09-30&working_days=5", headers=headers).json
    assert answer["result"] == "2025-10-14" and answer["is_working_day"] is True
    bad = client.get("/api/v1/calendar?start=30/09/2025", headers=headers)
    assert bad.status_code == 422 and bad.json["fields"][0]["field"] == "start"


def test_error_responses_are_documented_as_the_one_error_shape(client: FlaskClient, token_for: Tokens) -> None:
    document = client.get("/api/v1/openapi.json").json
    error = _resolved(document, document["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]
                      ["schema"])
    assert {"error", "message", "fields", "problems"} <= set(error["properties"])
    assert set(error["required"]) == {"error", "message"}
    invalid = document["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]["application/json"]["schema"]
    assert _resolved(document, invalid) == error
    for item in document["paths"].values():
        for method, operation in item.items():
            if method != "parameters":
                assert "default" in operation["responses"], method
    # What the handler really answers loads cleanly with the documented schema, unknown keys refused.
    from webapp.api.schemas import ErrorSchema

    refused = client.post("/api/v1/auth/token", json={"username": "admin"})
    missing = client.get("/api/v1/tasks/nope", headers=token_for(APPLICANT))
    for answer in (refused, missing, client.get("/api/v1/tasks")):
        assert answer.status_code in {401, 404, 422}
        assert ErrorSchema().validate(answer.json) == {}, answer.json
