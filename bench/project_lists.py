"""Benchmark the project lists at a million task rows: first pages and deep keyset pages of each scope.

Seeds `--projects` instances (default 100,000) with `--tasks` completed task rows each (default 10, so a million
task rows), spread over five jurisdictions and fifty applicant units, with their project index rows, then times
list_projects for 我的项目, 我经办的 and 全部项目 with each sort and some filters, on the first page and after
walking `--depth` pages by cursor. On SQLite, and on PostgreSQL when GOVFLOW_BENCH_POSTGRES_URL is set (emptied
first, so its name must end in _test).

Usage: python bench/project_lists.py [--projects 100000] [--tasks 10] [--depth 20] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from targets import database_targets  # noqa: E402  (bench/, the script's own folder)

from engine.store.db import init_db, make_db_engine, make_session_factory, unit_of_work  # noqa: E402
from engine.store.models import Deployment, InstanceRow, ProcessVersion, ProjectRow, TaskRow  # noqa: E402
from engine.tools.testing import _reset  # noqa: E402
from engine.usecases.access import Actor  # noqa: E402
from engine.usecases.project_index import FAR_FUTURE, NO_AMOUNT  # noqa: E402
from engine.usecases.projects import ProjectQuery, list_projects  # noqa: E402

BUNDLES = ("qingyang", "yunfu", "datong", "xichuan", "fengxian")
START = datetime(2024, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def seed(sessions: Any, projects: int, tasks_each: int) -> None:
    """Bulk-insert instances with completed task rows and one project row each."""
    with unit_of_work(sessions) as session:
        versions = {}
        for bundle in BUNDLES:
            deployment = Deployment(bundle=bundle, content_hash="bench", files={}, deployed_by="bench",
                                    deployed_at=START)
            session.add(deployment)
            session.flush()
            version = ProcessVersion(process_id=f"{bundle}_project", version=1, name=f"{bundle} 项目", bundle=bundle,
                                     deployment_id=deployment.id, spec_json="{}", spec_hash="-", lanes={},
                                     created_at=START, created_by="bench")
            session.add(version)
            session.flush()
            versions[bundle] = version.id
    batch = 2000
    for offset in range(0, projects, batch):
        instances, tasks, rows = [], [], []
        for n in range(offset, min(offset + batch, projects)):
            bundle = BUNDLES[n % len(BUNDLES)]
            unit = f"{bundle}:unit_{n % 50}"
            instance_id = uuid.uuid4().hex
            created = START + timedelta(minutes=n)
            status = "completed" if n % 3 == 0 else "running"
            due = None if status == "completed" else created + timedelta(days=30 + n % 400)
            amount = Decimal(n % 100_000) / 10
            instances.append({"id": instance_id, "process_version_id": versions[bundle],
                              "process_id": f"{bundle}_project", "business_key": f"B-{n:07d}", "unit": unit,
                              "project_name": f"项目 {n}", "status": status, "active_elements": [], "state": "",
                              "serializer_version": "bench", "version": 1, "started_by": "bench",
                              "created_at": created, "updated_at": created})
            for step in range(tasks_each):
                group = f"{bundle}:applicant_unit" if step % 2 == 0 else f"{bundle}:bureau_{step % 4}"
                tasks.append({"id": str(uuid.uuid4()), "instance_id": instance_id, "process_id": f"{bundle}_project",
                              "bundle": bundle, "business_key": f"B-{n:07d}", "unit": unit, "spec_id": f"Task_{step}",
                              "name": f"步骤 {step}", "lane": "机构", "candidate_group": group, "status": "completed",
                              "created_at": created, "completed_at": created,
                              "completed_by": f"clerk_{n % 500}"})
            rows.append({"instance_id": instance_id, "bundle": bundle, "process_id": f"{bundle}_project",
                         "process_name": f"{bundle} 项目", "business_key": f"B-{n:07d}", "project_name": f"项目 {n}",
                         "unit": unit, "status": status, "stage_element": f"Task_{n % 12}",
                         "stage": f"步骤 {n % 12}", "due_at": due, "due_key": due or FAR_FUTURE,
                         "plan_year": 2024 + n % 4, "amount": amount if n % 7 else None,
                         "amount_key": amount if n % 7 else NO_AMOUNT, "created_at": created, "updated_at": created})
        with unit_of_work(sessions) as session:
            session.execute(insert(InstanceRow), instances)
            session.execute(insert(TaskRow), tasks)
            session.execute(insert(ProjectRow), rows)


CASES: dict[str, tuple[Actor, dict[str, Any]]] = {
    "mine, due": (Actor("clerk_7", unit="qingyang:unit_5", groups=frozenset({"qingyang:applicant_unit"})),
                  {"scope": "mine"}),
    "handled, newest": (Actor("clerk_7", unit="qingyang:unit_5", groups=frozenset({"qingyang:applicant_unit"})),
                        {"scope": "handled", "sort": "newest"}),
    "all (owner), due": (Actor("o", role="process_owner", groups=frozenset({"qingyang:bureau_1"})), {}),
    "all (bureau), due": (Actor("b", groups=frozenset({"qingyang:bureau_1"})), {}),
    "all (bureau), amount 100-500": (Actor("b", groups=frozenset({"qingyang:bureau_1"})),
                                     {"sort": "amount", "amount_min": Decimal(100), "amount_max": Decimal(500)}),
    "all (admin), newest, overdue": (Actor("admin", role="admin"), {"sort": "newest", "overdue": True}),
    "all (admin), search": (Actor("admin", role="admin"), {"search": "B-00123"}),
}


def bench(url: str, projects: int, tasks_each: int, depth: int) -> dict[str, dict[str, float]]:
    """Seed, then time each case's first page and its page `depth` reached by cursor (median of 5)."""
    db = make_db_engine(url)
    _reset(db)
    init_db(db)
    sessions = make_session_factory(db)
    seed(sessions, projects, tasks_each)
    results = {}
    for name, (actor, filters) in CASES.items():
        first, deep = [], []
        for _ in range(5):
            cursor = None
            with unit_of_work(sessions) as session:
                for page in range(depth):
                    started = time.perf_counter()
                    found = list_projects(session, actor, ProjectQuery(after=cursor, **filters), NOW)
                    elapsed = time.perf_counter() - started
                    if page == 0:
                        first.append(elapsed)
                    elif page == depth - 1:
                        deep.append(elapsed)
                    cursor = found.next_cursor
                    if cursor is None:
                        break
        results[name] = {"first_ms": statistics.median(first) * 1000,
                         "deep_ms": statistics.median(deep) * 1000 if deep else float("nan")}
    db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory()  # a million task rows take over half a gigabyte: removed at the end
    targets = database_targets(args.databases, scratch.name, "lists.sqlite")
    summary: dict[str, Any] = {"projects": args.projects, "task_rows": args.projects * args.tasks}
    for database, url in targets:
        summary[database] = bench(url, args.projects, args.tasks, args.depth)
        for name, timing in summary[database].items():
            print(f"{database:10} {name:32} first page {timing['first_ms']:8.2f} ms, "
                  f"page {args.depth} {timing['deep_ms']:8.2f} ms")
    print(json.dumps(summary, indent=2))
    scratch.cleanup()


if __name__ == "__main__":
    main()
