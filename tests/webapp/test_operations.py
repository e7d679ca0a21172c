"""Production probes and metrics: liveness, readiness at the right schema, Prometheus text, request ids."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient


def test_liveness_and_readiness_answer_without_sign_in(client: FlaskClient) -> None:
    assert client.get("/healthz").get_data(as_text=True) == "ok\n"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ready" and ready.json["schema"]


def test_metrics_are_for_the_scraper_only(app: Flask, client: FlaskClient) -> None:
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    local = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert local.status_code == 200
    text = local.get_data(as_text=True)
    for name in ("govflow_request_seconds_bucket", "govflow_instances_in_error", "govflow_tasks_ready",
                 "govflow_task_completions_total", "govflow_timer_lag_seconds"):
        assert name in text, name
    app.config["METRICS_TOKEN"] = "scrape-secret"
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404
    scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"},
                         environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert scraped.status_code == 200


def test_every_request_gets_an_id_and_one_json_log_line(client: FlaskClient, caplog: pytest.LogCaptureFixture,
                                                        ) -> None:
    logger = logging.getLogger("govflow.requests")
    logger.addHandler(caplog.handler)  # the app's logger does not propagate: its lines go to stderr alone
    try:
        answered = client.get("/healthz", headers={"X-Request-ID": "trace-42"})
        fresh = client.get("/api/v1/tasks")
    finally:
        logger.removeHandler(caplog.handler)
    assert answered.headers["X-Request-ID"] == "trace-42"
    assert len(fresh.headers["X-Request-ID"]) == 32
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "govflow.requests"]
    assert [(line["path"], line["status"]) for line in lines] == [("/healthz", 200), ("/api/v1/tasks", 401)]
    assert lines[0]["request_id"] == "trace-42" and lines[0]["ms"] >= 0
