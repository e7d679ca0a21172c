"""Bounded input at the HTTP edge: nested bodies, big bodies, huge numbers and dates are clear 4xx, never 500."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from .conftest import Tokens

APPLICANT = "qingyang_applicant_unit"


def test_a_body_nested_deeper_than_the_limit_is_refused_on_every_json_endpoint(
        client: FlaskClient, token_for: Tokens) -> None:
    headers = {**token_for(APPLICANT), "Content-Type": "application/json"}
    deep = "[" * 50_000 + "]" * 50_000
    for path in ("/api/v1/instances", "/api/v1/tasks/x/complete", "/api/v1/decisions/DT_QY_03/evaluate",
                 "/api/v1/auth/token"):
        response = client.post(path, data=deep, headers=headers)
        assert response.status_code == 422, (path, response.status_code)
        assert response.json["fields"] == [{"field": "", "message": "请求内容嵌套层级超过 32 层"}]
    nested = '{"process_id": "qingyang_project", "data": {"a": ' + "[" * 40 + "]" * 40 + "}}"
    assert client.post("/api/v1/instances", data=nested, headers=headers).status_code == 422


def test_start_data_the_process_does_not_ask_for_is_refused_and_nothing_is_stored(
        client: FlaskClient, token_for: Tokens) -> None:
    headers = token_for(APPLICANT)
    response = client.post("/api/v1/instances", json={"process_id": "qingyang_project", "business_key": "QY-X",
                                                      "data": {"investmentWan": 10}}, headers=headers)
    assert response.status_code == 422
    assert response.json["fields"][0]["field"] == "investmentWan"
    listed = client.get("/api/v1/instances", headers=token_for("admin")).json
    assert all(item["business_key"] != "QY-X" for item in listed)


def test_a_body_larger_than_the_limit_is_413(app: Flask, client: FlaskClient, token_for: Tokens) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/v1/instances", json={"process_id": "qingyang_project", "business_key": "x" * 2000},
                           headers=token_for(APPLICANT))
    assert response.status_code == 413


def test_numbers_no_column_holds_are_refused_by_name_or_match_no_route(client: FlaskClient,
                                                                      token_for: Tokens) -> None:
    headers = token_for("admin")
    huge = str(2**70)
    assert client.get(f"/api/v1/processes/qingyang_project/versions/{huge}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/monitor/qingyang_project/{huge}/heat", headers=headers).status_code == 404
    paged = client.get(f"/api/v1/instances?page={huge}", headers=headers)
    assert paged.status_code == 422 and paged.json["fields"][0]["field"] == "page"
    inbox = client.get(f"/api/v1/tasks?page={huge}", headers=headers)
    assert inbox.status_code == 422


def test_calendar_arithmetic_is_bounded_and_past_year_9999_is_a_clear_error(client: FlaskClient,
                                                                           token_for: Tokens) -> None:
    headers = token_for(APPLICANT)
    slow = client.get("/api/v1/calendar?start=2025-01-01&working_days=1000000000", headers=headers)
    assert slow.status_code == 422 and slow.json["fields"][0]["field"] == "working_days"
    far = client.get("/api/v1/calendar?start=9999-12-01&days=100", headers=headers)
    assert far.status_code == 422 and far.json["fields"] == [
        {"field": "n", "message": "结果超出公元 1–9999 年的日期范围"}]
    months = client.get("/api/v1/calendar?start=9999-12-01&months=2", headers=headers)
    assert months.status_code == 422
    fine = client.get("/api/v1/calendar?start=2025-09-30&working_days=5", headers=headers)
    assert fine.status_code == 200 and fine.json["result"] == "2025-10-14"


def test_a_number_beyond_what_an_integer_column_holds_is_a_field_error(client: FlaskClient, token_for: Tokens) -> None:
    admin = token_for("admin")
    # 2**31 overflowed PostgreSQL's INTEGER in the version lookup: a server error instead of a 422.
    too_big = client.post("/api/v1/processes/qingyang_project/migrations", headers=admin,
                          json={"to_version": 2**31, "dry_run": True})
    assert too_big.status_code == 422 and [f["field"] for f in too_big.json["fields"]] == ["to_version"]
    assert client.get(f"/api/v1/processes/qingyang_project/versions/{2**31}", headers=admin).status_code == 404
    largest = client.post("/api/v1/processes/qingyang_project/migrations", headers=admin,
                          json={"to_version": 2**31 - 1, "dry_run": True})
    assert largest.status_code == 404
