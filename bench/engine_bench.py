"""Benchmark one task completion: raw SpiffWorkflow in memory versus the Govflow engine with a database.

(a) raw: deserialize the full SpiffWorkflow JSON, complete one user task, run engine
    steps, serialize again, all in memory;
(b) engine: load the instance row, validate the form, complete, save state, task
    index and audit, commit; on SQLite and (when GOVFLOW_BENCH_POSTGRES_URL is set)
    PostgreSQL, with 1k, 10k and 100k completed instances already in the database.
    The PostgreSQL database is emptied first, so its name must end in _test (govflow_bench_test).

Prints medians, p95, the ratio b/a and the stored state size per instance.
Usage: python bench/engine_bench.py [--sizes 1000,10000,100000] [--steps 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from targets import database_targets  # noqa: E402  (bench/, the script's own folder)

from engine.clock import FakeClock  # noqa: E402
from engine.settings import Settings  # noqa: E402
from engine.spiff.bundle import Bundle  # noqa: E402
from engine.spiff.internals import install  # noqa: E402
from engine.spiff.runtime import Engine  # noqa: E402
from engine.store.db import init_db, make_db_engine, make_session_factory, unit_of_work  # noqa: E402
from engine.store.models import AuditEvent, InstanceRow, TaskRow  # noqa: E402
from engine.tools.testing import TESTER, _reset  # noqa: E402
from engine.usecases import deployments, instances, state, tasks  # noqa: E402

BUNDLE_DIR = Path(__file__).parent / "data" / "ten_step"
PROCESS_ID = "ten_step_approval"
FORM = {"approved": True, "comment": "同意"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def bench_raw(steps: int) -> list[float]:
    """Time load → complete → serialize on plain SpiffWorkflow with the default JSON serializer."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_files_by_glob(str(BUNDLE_DIR / "*.bpmn"))
    spec, subprocess_specs = parser.get_spec(PROCESS_ID), parser.get_subprocess_specs(PROCESS_ID)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    timings: list[float] = []
    states: list[str] = []
    while len(timings) < steps:
        workflow = BpmnWorkflow(spec, subprocess_specs)
        workflow.do_engine_steps()
        state = serializer.serialize_json(workflow)
        while True:
            started = time.perf_counter()
            workflow = serializer.deserialize_json(state)
            ready = workflow.get_tasks(state=TaskState.READY, manual=True)
            if not ready:
                break
            ready[0].set_data(**FORM)
            ready[0].run()
            workflow.do_engine_steps()
            state = serializer.serialize_json(workflow)
            timings.append(time.perf_counter() - started)
        states.append(state)
    print(f"raw SpiffWorkflow state with embedded spec: {len(states[-1].encode()):,} bytes")
    return timings[:steps]


def seed_completed(sessions: Any, engine: Engine, count: int) -> None:
    """Bulk-insert `count` completed instances copied from one real completed instance."""
    with unit_of_work(sessions) as session:
        template = instances.start_project(engine, session, TESTER, PROCESS_ID)
        template_id = template.id
    for _ in range(10):
        with unit_of_work(sessions) as session:
            task = tasks.instance_tasks(session, TESTER, template_id)[0]
            tasks.complete(engine, session, TESTER, task.id, FORM)
    with unit_of_work(sessions) as session:
        row = state.get_instance(session, template_id)
        done_tasks = list(session.scalars(select(TaskRow).where(TaskRow.instance_id == template_id,
                                                                TaskRow.status == "completed")))
        base = {c.name: getattr(row, c.name) for c in InstanceRow.__table__.columns}
        task_base = [{c.name: getattr(t, c.name) for c in TaskRow.__table__.columns} for t in done_tasks]
    existing = 1
    batch = 2000
    while existing < count:
        n = min(batch, count - existing)
        inst_rows, task_rows, audit_rows = [], [], []
        for _ in range(n):
            new_id = uuid.uuid4().hex
            inst_rows.append({**base, "id": new_id, "business_key": f"seed-{new_id[:8]}"})
            for t in task_base:
                task_rows.append({**t, "id": str(uuid.uuid4()), "instance_id": new_id})
                audit_rows.append({"at": base["created_at"], "actor": "bench", "action": "complete",
                                   "instance_id": new_id, "task_id": None, "element": t["spec_id"],
                                   "data": FORM})
        with unit_of_work(sessions) as session:
            session.execute(insert(InstanceRow), inst_rows)
            session.execute(insert(TaskRow), task_rows)
            session.execute(insert(AuditEvent), audit_rows)
        existing += n


def bench_engine(url: str, sizes: list[int], steps: int) -> dict[int, dict[str, float]]:
    """Time one task completion through the engine at each database size."""
    db = make_db_engine(url)
    _reset(db)
    init_db(db)
    if db.dialect.name == "sqlite":
        with db.begin() as connection:
            for table in ("audit_event", "task", "instance"):
                connection.execute(text(f"DELETE FROM {table}"))
    sessions = make_session_factory(db)
    install()
    engine = Engine(Settings(database_url=url), clock=FakeClock("2025-03-03T09:00:00+08:00"))
    with unit_of_work(sessions) as session:
        deployments.deploy(engine, session, TESTER, Bundle.from_directory(BUNDLE_DIR))
    results: dict[int, dict[str, float]] = {}
    seeded = 0
    state_bytes = 0
    for size in sizes:
        seed_completed(sessions, engine, size - seeded)
        seeded = size
        with unit_of_work(sessions) as session:
            open_ids = [instances.start_project(engine, session, TESTER, PROCESS_ID).id
                        for _ in range(max(1, steps // 10) + 1)]
        timings: list[float] = []
        for instance_id in open_ids:
            while len(timings) < steps:
                with unit_of_work(sessions) as session:
                    ready = tasks.instance_tasks(session, TESTER, instance_id)
                if not ready:
                    break
                started = time.perf_counter()
                with unit_of_work(sessions) as session:
                    tasks.complete(engine, session, TESTER, ready[0].id, FORM)
                timings.append(time.perf_counter() - started)
        with unit_of_work(sessions) as session:
            row = state.get_instance(session, open_ids[0])
            state_bytes = len(row.state.encode())
            if row.status != "completed":
                raise SystemExit(f"bench instance did not complete: {row.status}")
        results[size] = {"median": statistics.median(timings), "p95": percentile(timings, 0.95),
                         "state_bytes": state_bytes}
    db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="which of sqlite,postgresql to measure (postgresql needs GOVFLOW_BENCH_POSTGRES_URL)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    raw = bench_raw(args.steps)
    raw_median = statistics.median(raw)
    print(f"(a) raw SpiffWorkflow step: median {raw_median * 1000:.3f} ms, p95 {percentile(raw, 0.95) * 1000:.3f} ms")
    targets = database_targets(args.databases, tempfile.mkdtemp(), "bench.sqlite")
    summary: dict[str, Any] = {"raw_median_ms": raw_median * 1000}
    for name, url in targets:
        results = bench_engine(url, sizes, args.steps)
        for size, r in results.items():
            print(f"(b) {name:10} {size:>7,} completed instances: median {r['median'] * 1000:.3f} ms, "
                  f"p95 {r['p95'] * 1000:.3f} ms, ratio b/a {r['median'] / raw_median:.2f}, "
                  f"state {r['state_bytes']:,} bytes/instance")
        first, last = results[sizes[0]]["median"], results[sizes[-1]]["median"]
        print(f"    {name}: per-step cost at {sizes[-1]:,} vs {sizes[0]:,} completed instances: x{last / first:.2f}")
        summary[name] = {str(k): {"median_ms": v["median"] * 1000, "p95_ms": v["p95"] * 1000,
                                  "ratio": v["median"] / raw_median, "state_bytes": v["state_bytes"]}
                         for k, v in results.items()}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
