"""Benchmark the leaders' dashboard: every aggregate over a task index of a million rows.

Seeds Qingyang instances with ten task rows each over the twelve months before the clock (handling times,
deadlines met and missed, verdicts, plan years and investment figures), then times `dashboard.dashboard` for an
administrator over all jurisdictions and twelve months, on SQLite and (when GOVFLOW_BENCH_POSTGRES_URL is set)
PostgreSQL. The PostgreSQL database is emptied first, so its name must end in _test.
Usage: python bench/dashboard_bench.py [--tasks 1000000] [--runs 5] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from targets import database_targets  # noqa: E402  (bench/, the script's own folder)

from engine.clock import FakeClock  # noqa: E402
from engine.settings import PROJECT_ROOT, Settings  # noqa: E402
from engine.spiff.bundle import Bundle  # noqa: E402
from engine.spiff.internals import install  # noqa: E402
from engine.spiff.runtime import Engine  # noqa: E402
from engine.store.db import init_db, make_db_engine, make_session_factory, unit_of_work  # noqa: E402
from engine.store.models import InstanceRow, ProcessVersion, TaskRow  # noqa: E402
from engine.tools.testing import TESTER, _reset  # noqa: E402
from engine.usecases import dashboard, deployments  # noqa: E402
from engine.usecases.access import Actor  # noqa: E402

NOW = "2025-09-30T09:00:00+08:00"
GROUPS = {"qingyang:applicant_unit": "项目建设单位", "qingyang:supervising_department": "县直主管部门",
          "qingyang:data_bureau": "县数据资源管理部门", "qingyang:finance_bureau": "县财政局",
          "qingyang:county_government": "县人民政府"}
TASKS_PER_INSTANCE = 10


def seed(sessions: Any, engine: Engine, tasks: int) -> None:
    """Bulk-insert instances of ten task rows each, spread over the year before the clock."""
    rng = random.Random(14)
    now = engine.now()
    with unit_of_work(sessions) as session:
        version = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == "qingyang_project")).one()
        version_id = version.id
    groups = list(GROUPS)
    for first in range(0, tasks // TASKS_PER_INSTANCE, 2000):
        instances, rows = [], []
        for number in range(first, min(first + 2000, tasks // TASKS_PER_INSTANCE)):
            started = now - timedelta(days=rng.uniform(0, 365))
            instance_id = f"bench{number:010d}"
            status = rng.choice(("running", "running", "waiting", "completed", "cancelled"))
            instances.append({"id": instance_id, "process_version_id": version_id, "process_id": "qingyang_project",
                              "business_key": f"QY-{number}", "status": status, "active_elements": [],
                              "state": "{}", "serializer_version": "bench", "version": 1, "started_by": "bench",
                              "created_at": started, "updated_at": started})
            moment = started
            for step in range(TASKS_PER_INSTANCE):
                group = groups[step % len(groups)]
                hours = rng.expovariate(1 / 30)
                done = moment + timedelta(hours=hours)
                is_open = step == TASKS_PER_INSTANCE - 1 and status in ("running", "waiting")
                data: dict[str, Any] | None = None
                form = None
                if step == 0:
                    form, data = "register.schema.json", {"investmentWan": round(rng.uniform(10, 2000), 2)}
                elif step == 3:
                    form, data = "budget.schema.json", {"budgetYear": rng.choice((2025, 2026, 2027))}
                elif step % 4 == 1:
                    form, data = "dept_review.schema.json", {"deptApproved": rng.random() < 0.8}
                rows.append({"id": f"{instance_id}-{step}", "instance_id": instance_id,
                             "process_id": "qingyang_project", "bundle": "qingyang", "spec_id": f"Task_{step}",
                             "name": f"环节{step}", "lane": GROUPS[group], "candidate_group": group,
                             "due_at": moment + timedelta(hours=48) if step % 2 else None, "form": form,
                             "status": "ready" if is_open else "completed", "created_at": moment,
                             "completed_at": None if is_open else done, "completed_by": None if is_open else "b",
                             "data": data})
                moment = done
        with unit_of_work(sessions) as session:
            session.execute(insert(InstanceRow), instances)
            session.execute(insert(TaskRow), rows)


def bench(url: str, tasks: int, runs: int) -> list[float]:
    """Seed a database and time the dashboard `runs` times."""
    db = make_db_engine(url)
    _reset(db)
    init_db(db)
    sessions = make_session_factory(db)
    install()
    engine = Engine(Settings(database_url=url), clock=FakeClock(NOW))
    with unit_of_work(sessions) as session:
        deployments.deploy(engine, session, TESTER, Bundle.from_jurisdiction(PROJECT_ROOT, "qingyang"))
    started = time.perf_counter()
    seed(sessions, engine, tasks)
    print(f"    seeded {tasks:,} task rows in {time.perf_counter() - started:.1f} s")
    admin = Actor("bench", role="admin")
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        with unit_of_work(sessions) as session:
            board = dashboard.dashboard(engine, session, admin, dashboard.DashboardQuery(months=12))
        timings.append(time.perf_counter() - started)
    print(f"    {len(board.agency_months)} agency months, {len(board.stages)} stages, "
          f"{len(board.investment)} plan years, {len(board.verdicts)} verdict months")
    db.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="which of sqlite,postgresql to measure (postgresql needs GOVFLOW_BENCH_POSTGRES_URL)")
    args = parser.parse_args()
    targets = database_targets(args.databases, tempfile.mkdtemp(), "bench.sqlite")
    for name, url in targets:
        print(f"{name}:")
        timings = bench(url, args.tasks, args.runs)
        print(f"    dashboard, all jurisdictions, 12 months: median {statistics.median(timings) * 1000:.0f} ms, "
              f"slowest {max(timings) * 1000:.0f} ms over {len(timings)} runs")


if __name__ == "__main__":
    main()
