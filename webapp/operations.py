"""Running in production: liveness and readiness probes, Prometheus metrics, one log line per request.

`/healthz` answers while the process runs; `/readyz` only when the database answers at the schema this
code needs (a load balancer sends no traffic before). `/metrics` is for the scraper alone: with
`GOVFLOW_METRICS_TOKEN` set it needs that bearer token, otherwise it answers loopback clients only.
Under several worker processes, set `PROMETHEUS_MULTIPROC_DIR` (empty at start) so request timings of
every worker are summed; the work figures come from the database and are the same in every worker.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from werkzeug.exceptions import NotFound

from engine import operations

from .db import get_engine, get_session

__all__ = ["REQUEST_SECONDS", "bp", "init_app"]

bp = Blueprint("ops", __name__)
request_log = logging.getLogger("govflow.requests")

REQUEST_SECONDS = Histogram("govflow_request_seconds", "Time to answer a request, by endpoint.",
                            ["endpoint", "method", "status"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
_LOOPBACK = {"127.0.0.1", "::1"}


@bp.get("/healthz")
def healthz() -> Response:
    """Answer while the process runs (liveness)."""
    return Response("ok\n", mimetype="text/plain")


@bp.get("/readyz")
def readyz() -> tuple[dict[str, object], int]:
    """Answer 200 only when the database is reachable at the schema this code needs (readiness)."""
    state = operations.readiness(get_session())
    return {"status": "ready" if state.ready else "not ready", "reason": state.reason,
            "schema": state.schema}, 200 if state.ready else 503


@bp.get("/metrics")
def metrics() -> Response:
    """Expose request timings and work figures in the Prometheus text format (to the scraper only)."""
    expected = current_app.config.get("METRICS_TOKEN") or ""
    if expected:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent, expected):
            raise NotFound()
    elif request.remote_addr not in _LOOPBACK:
        raise NotFound()
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(_WorkCollector())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class _WorkCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        figures = operations.work_figures(get_session(), get_engine().now())
        instances = GaugeMetricFamily("govflow_instances", "Instances by status.", labels=["status"])
        for status, count in sorted(figures.instances.items()):
            instances.add_metric([status], count)
        yield instances
        yield GaugeMetricFamily("govflow_instances_in_error", "Instances stopped by an error.",
                                value=figures.instances.get("error", 0))
        yield GaugeMetricFamily("govflow_tasks_ready", "Open tasks.", value=figures.ready_tasks)
        yield CounterMetricFamily("govflow_task_completions", "Tasks completed so far.",
                                  value=figures.completed_tasks)
        yield GaugeMetricFamily("govflow_timer_lag_seconds", "How long the oldest due timer has waited to fire.",
                                value=figures.timer_lag_seconds)


def _start_request() -> None:
    g.request_started = time.perf_counter()
    sent = request.headers.get("X-Request-ID", "")
    # A caller's id is kept when it is sane, so one request can be followed across proxies and logs.
    g.request_id = sent if sent.isascii() and 0 < len(sent) <= 64 and sent.isprintable() else uuid.uuid4().hex


def _finish_request(response: Response) -> Response:
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    endpoint = request.endpoint or "unmatched"
    REQUEST_SECONDS.labels(endpoint, request.method, str(response.status_code)).observe(seconds)
    response.headers["X-Request-ID"] = g.get("request_id", "")
    actor = g.get("actor")
    request_log.info(json.dumps({
        "request_id": g.get("request_id"), "method": request.method, "path": request.path, "endpoint": endpoint,
        "status": response.status_code, "ms": round(seconds * 1000, 1),
        "user": actor.username if actor is not None else None}, ensure_ascii=False))
    return response


def init_app(app: Flask) -> None:
    """Register the probes and metrics, and time and log every request (one JSON line each, on stderr)."""
    if app.config.get("LOG_REQUESTS", True) and not request_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        request_log.addHandler(handler)
        request_log.setLevel(logging.INFO)
        request_log.propagate = False
    app.register_blueprint(bp)
    app.before_request(_start_request)
    app.after_request(_finish_request)
