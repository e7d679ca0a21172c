"""The project index and the project lists: kept in step with the state, scoped, filtered, sorted, paged."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from engine import Bundle, DeploymentError, Engine, FakeClock, InvalidInput, NotFound
from engine.store.db import make_db_engine
from engine.store.models import ProjectRow, TaskRow
from engine.store.schema import upgrade_schema
from engine.tools.cli import main
from engine.tools.testing import TESTER
from engine.usecases.access import Actor
from engine.usecases.deployments import deploy_bundle
from engine.usecases.instances import start_project, visible_instance
from engine.usecases.oversight import cancel
from engine.usecases.projects import ProjectQuery, list_projects, project_facets
from engine.usecases.tasks import complete, instance_tasks

from .helpers import SMOKE, unit
from .premigration import build

ANN = Actor("ann", unit="smoke:unit_a", groups=frozenset({"smoke:applicant_unit"}))
OTTO = Actor("otto", unit="smoke:unit_b", groups=frozenset({"smoke:applicant_unit"}))
BURO = Actor("buro", role="process_owner", groups=frozenset({"smoke:data_bureau"}))
CLARA = Actor("clara", groups=frozenset({"smoke:data_bureau"}))  # an agency no smoke project reached yet
OLGA = Actor("olga", role="process_owner", groups=frozenset({"other:data_bureau"}))


def _marked_smoke(tmp_path: Path) -> Bundle:
    """Copy the smoke bundle with an applicant-unit lane and an apply form that marks its project figures."""
    folder = tmp_path / "smoke"
    folder.mkdir()
    for path in SMOKE.iterdir():
        if path.name not in ("acceptance.bpmn", "failing.bpmn"):
            shutil.copy(path, folder / path.name)
    diagram = folder / "smoke.bpmn"
    diagram.write_text(diagram.read_text(encoding="utf-8").replace('"smoke:applicant"', '"smoke:applicant_unit"'),
                       encoding="utf-8")
    form = json.loads((folder / "apply.schema.json").read_text(encoding="utf-8"))
    form["properties"]["investmentWan"]["x-govflow-project"] = "amount"
    form["properties"]["planYear"] = {"type": "integer", "title": "计划年度", "x-govflow-project": "planYear"}
    form["properties"]["projectName"] = {"type": "string", "title": "项目名称"}
    (folder / "apply.schema.json").write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    return Bundle.from_directory(folder)


@pytest.fixture
def deployed(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> sessionmaker[Session]:
    with unit(sessions) as session:
        deploy_bundle(engine, session, _marked_smoke(tmp_path), "owner")
    return sessions


def _start(engine: Engine, sessions: sessionmaker[Session], key: str, owner: str) -> str:
    with unit(sessions) as session:
        return start_project(engine, session, TESTER, "smoke", business_key=key, unit=owner).id


def _apply(engine: Engine, sessions: sessionmaker[Session], actor: Actor, instance_id: str,
           **data: Any) -> None:
    with unit(sessions) as session:
        [task] = [t for t in instance_tasks(session, TESTER, instance_id) if t.status == "ready"]
        complete(engine, session, actor, task.id, data)


def _keys(session: Session, actor: Actor, now: Any, **query: Any) -> list[str | None]:
    page = list_projects(session, actor, ProjectQuery(per_page=200, **query), now)
    return [p.business_key for p in page.rows]


def _portfolio(engine: Engine, sessions: sessionmaker[Session], clock: FakeClock) -> dict[str, str]:
    """Start six projects of two units, a minute apart; unit A's first four apply with figures."""
    ids = {}
    figures = [("A-1", "智慧城管平台", "180.50", 2026), ("A-2", "电子政务外网扩容", "100.00", 2027),
               ("A-3", "数据共享_100%交换", "99.99", 2026), ("A-4", "视频会商系统", "500.00", None)]
    for key in ("A-1", "A-2", "A-3", "A-4", "A-5"):
        ids[key] = _start(engine, sessions, key, ANN.unit or "")
        clock.advance(timedelta(minutes=1))
    ids["B-1"] = _start(engine, sessions, "B-1", OTTO.unit or "")
    for key, name, amount, year in figures:
        data: dict[str, Any] = {"investmentWan": float(amount), "projectName": name, "signedOn": "2025-09-30"}
        if year is not None:
            data["planYear"] = year
        _apply(engine, sessions, ANN, ids[key], **data)
    return ids


def test_the_index_follows_the_state_from_start_to_its_timer(engine: Engine, deployed: sessionmaker[Session],
                                                               clock: FakeClock) -> None:
    instance_id = _start(engine, deployed, "A-1", "smoke:unit_a")
    with unit(deployed) as session:
        [started] = list_projects(session, ANN, ProjectQuery(scope="mine"), engine.now()).rows
    assert (started.status, started.stage, started.next_step, started.next_agency) == ("running", "申报", "申报",
                                                                                       "申请单位")
    assert started.due_at is not None and started.due_at.isoformat() == "2025-10-14T16:00:00+00:00"
    assert (started.amount, started.plan_year, started.project_name) == (None, None, None)
    _apply(engine, deployed, ANN, instance_id, investmentWan=180.5, planYear=2026, projectName="智慧城管平台",
           signedOn="2025-09-30")
    with unit(deployed) as session:
        [waiting] = list_projects(session, ANN, ProjectQuery(scope="mine"), engine.now()).rows
        row = session.get(ProjectRow, instance_id)
        assert row is not None and row.due_key.year == 9999 and row.amount_key == Decimal("180.50")
    assert (waiting.status, waiting.stage_element, waiting.stage) == ("waiting", "Timer", "等待")
    assert (waiting.next_step, waiting.next_agency, waiting.due_at) == (None, None, None)
    assert (waiting.amount, waiting.plan_year, waiting.project_name) == (Decimal("180.50"), 2026, "智慧城管平台")
    with unit(deployed) as session:
        cancel(engine, session, TESTER, instance_id, "撤回申请")
    with unit(deployed) as session:
        [cancelled] = list_projects(session, ANN, ProjectQuery(scope="mine"), engine.now()).rows
    assert (cancelled.status, cancelled.stage, cancelled.amount) == ("cancelled", None, Decimal("180.50"))


def test_each_scope_lists_only_what_the_actor_may_see(engine: Engine, deployed: sessionmaker[Session],
                                                      clock: FakeClock) -> None:
    ids = _portfolio(engine, deployed, clock)
    now = engine.now()
    with unit(deployed) as session:
        assert sorted(_keys(session, ANN, now, scope="mine")) == ["A-1", "A-2", "A-3", "A-4", "A-5"]
        assert _keys(session, OTTO, now, scope="mine") == ["B-1"]
        assert _keys(session, OTTO, now, scope="all") == ["B-1"]  # an applicant clerk: their unit only
        assert sorted(_keys(session, ANN, now, scope="handled")) == ["A-1", "A-2", "A-3", "A-4"]
        assert _keys(session, OTTO, now, scope="handled") == []  # same group, another unit's work
        assert len(_keys(session, BURO, now, scope="all")) == 6  # the jurisdiction's process owner sees all
        assert _keys(session, CLARA, now, scope="all") == []  # an agency: only what reached its desk
        with pytest.raises(NotFound):
            visible_instance(session, CLARA, ids["A-1"])
        assert _keys(session, BURO, now, scope="mine") == []
        assert _keys(session, OLGA, now, scope="all") == []  # another jurisdiction's owner
        assert len(_keys(session, TESTER, now, scope="all")) == 6
        with pytest.raises(NotFound):
            visible_instance(session, OTTO, ids["A-1"])
        assert visible_instance(session, BURO, ids["A-1"]).business_key == "A-1"
        assert project_facets(session, OTTO, "all").bundles == [("smoke", "冒烟")]
        facets = project_facets(session, ANN, "mine")
    assert facets.plan_years == [2027, 2026]
    assert facets.stages == [("Task_Apply", "申报"), ("Timer", "等待")]


def test_filters_search_and_exact_amount_bounds(engine: Engine, deployed: sessionmaker[Session],
                                                clock: FakeClock) -> None:
    _portfolio(engine, deployed, clock)
    now = engine.now()
    with unit(deployed) as session:
        def keys(**query: Any) -> list[str | None]:
            return sorted(_keys(session, BURO, now, **query))

        assert keys(amount_min=Decimal("100.00"), amount_max=Decimal("180.50")) == ["A-1", "A-2"]
        assert keys(amount_min=Decimal("99.99"), amount_max=Decimal("99.99")) == ["A-3"]
        assert keys(amount_min=Decimal("180.51")) == ["A-4"]
        assert keys(plan_year=2026) == ["A-1", "A-3"]
        assert keys(status="running") == ["A-5", "B-1"]
        assert keys(stage="Timer") == ["A-1", "A-2", "A-3", "A-4"]
        assert keys(search="b-") == ["B-1"]
        assert keys(search="_100%") == ["A-3"]  # LIKE wildcards are matched literally
        assert keys(search="扩容") == ["A-2"]
        assert keys(bundle="other") == []
        assert keys(overdue=True) == []
        with pytest.raises(InvalidInput) as refused:
            keys(amount_min=Decimal("2"), amount_max=Decimal("1"))
        assert refused.value.errors[0].field == "amount_min"
        with pytest.raises(InvalidInput):
            keys(status="lost")
    clock.advance(timedelta(days=30))
    with unit(deployed) as session:
        assert sorted(_keys(session, BURO, engine.now(), overdue=True)) == ["A-5", "B-1"]


@pytest.mark.parametrize("sort", ["due", "newest", "amount"])
def test_keyset_pages_walk_the_whole_order_once(engine: Engine, deployed: sessionmaker[Session],
                                                clock: FakeClock, sort: str) -> None:
    _portfolio(engine, deployed, clock)
    now = engine.now()
    with unit(deployed) as session:
        whole = _keys(session, BURO, now, sort=sort)
        walked: list[str | None] = []
        cursor = None
        for _ in range(5):
            page = list_projects(session, BURO, ProjectQuery(sort=sort, per_page=4, after=cursor),  # type: ignore[arg-type]
                                 now)
            walked += [p.business_key for p in page.rows]
            cursor = page.next_cursor
            if cursor is None:
                break
    assert walked == whole and len(whole) == 6
    expected = {"newest": ["B-1", "A-5", "A-4", "A-3", "A-2", "A-1"],
                "amount": ["A-4", "A-1", "A-2", "A-3"],  # then the two without an amount
                "due": ["A-5", "B-1"]}[sort]  # the two with an open deadline (the same day), then the rest
    assert (sorted(whole[:2]) if sort == "due" else whole[:len(expected)]) == expected


def test_a_cursor_of_another_order_or_a_made_up_one_is_refused(engine: Engine, deployed: sessionmaker[Session],
                                                               clock: FakeClock) -> None:
    _portfolio(engine, deployed, clock)
    with unit(deployed) as session:
        page = list_projects(session, BURO, ProjectQuery(sort="newest", per_page=2), engine.now())
        assert page.next_cursor is not None
        for cursor in (page.next_cursor, "not-a-cursor"):
            with pytest.raises(InvalidInput) as refused:
                list_projects(session, BURO, ProjectQuery(sort="due", after=cursor), engine.now())
            assert refused.value.errors[0].field == "after"


def _capture_into(statements: list[tuple[str, Any]]) -> Any:
    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if "FROM project" in statement:
            statements.append((statement, parameters))
    return capture


def test_the_list_query_seeks_in_the_project_index_without_sorting(engine: Engine, deployed: sessionmaker[Session],
                                                                   clock: FakeClock, database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the plan is checked on SQLite")
    _portfolio(engine, deployed, clock)
    cases = [(BURO, ProjectQuery(sort="due"), "ix_project_bundle_due"),
             (BURO, ProjectQuery(sort="amount", bundle="smoke"), "ix_project_bundle_amount"),
             (ANN, ProjectQuery(scope="mine", sort="newest"), "ix_project_unit_created"),
             (TESTER, ProjectQuery(sort="newest"), "ix_project_created")]
    with unit(deployed) as session:
        first = list_projects(session, BURO, ProjectQuery(sort="due", per_page=2), engine.now())
        cases.append((BURO, ProjectQuery(sort="due", per_page=2, after=first.next_cursor), "ix_project_bundle_due"))
        for actor, query, index in cases:
            statements: list[tuple[str, Any]] = []
            connection = session.connection()
            capture = _capture_into(statements)
            event.listen(connection, "before_cursor_execute", capture)
            try:
                list_projects(session, actor, query, engine.now())
            finally:
                event.remove(connection, "before_cursor_execute", capture)
            [(statement, parameters)] = statements
            plan = " | ".join(str(row[-1]) for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert f"USING INDEX {index}" in plan or f"USING COVERING INDEX {index}" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
        # 我经办的 starts from the task index: one seek per branch (who completed it, or group and status).
        statements = []
        connection = session.connection()
        capture = _capture_into(statements)
        event.listen(connection, "before_cursor_execute", capture)
        try:
            list_projects(session, ANN, ProjectQuery(scope="handled"), engine.now())
        finally:
            event.remove(connection, "before_cursor_execute", capture)
        [(statement, parameters)] = statements
        plan = " | ".join(str(row[-1]) for row in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", parameters))
        assert "USING INDEX ix_task_completed_by_status" in plan and "USING INDEX ix_task_unit_group_status" in plan, plan
        assert session.scalar(select(ProjectRow.instance_id).limit(1)) is not None


def test_an_upgraded_database_is_back_filled_then_completed_by_reindexing(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = make_db_engine(database_url)
    try:
        if db.dialect.name == "postgresql":
            with db.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
        counts = build(db)
        if db.dialect.name == "postgresql":
            with db.begin() as connection:  # the dump's rows carry their ids: move the sequences past them
                for table in ("deployment", "process_version", "decision_version", "audit_event", "app_user"):
                    connection.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                               f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        upgrade_schema(db)
        with db.connect() as connection:
            projects = {r.instance_id: r for r in connection.execute(select(ProjectRow))}
            open_tasks = {r.instance_id: r for r in connection.execute(select(TaskRow).where(TaskRow.status == "ready"))}
        assert len(projects) == counts["instance"]
        # The migration reads the index tables: each open step is there, figures wait for the reindex.
        assert open_tasks and all(projects[i].next_step == t.name and projects[i].next_agency == t.lane
                                  for i, t in open_tasks.items())
        assert all(p.amount is None for p in projects.values())
        monkeypatch.setenv("GOVFLOW_DATABASE_URL", database_url)
        runner = CliRunner()
        assert runner.invoke(main, ["deploy", "qingyang"]).exit_code == 0
        done = runner.invoke(main, ["reindex-projects"])
        assert done.exit_code == 0, done.output
        assert json.loads(done.output) == {"projects": counts["instance"]}
        with db.connect() as connection:
            rows = list(connection.execute(select(ProjectRow)))
        qingyang = [r for r in rows if r.bundle == "qingyang" and r.project_name]
        assert qingyang and all(r.amount == Decimal("180.00") for r in qingyang)
        # The dump keeps only forms of each deployment, so a waiting project's timer has no name to show here.
        waiting = [r for r in rows if r.status == "waiting"]
        assert waiting and all(r.next_step is None and r.due_key.year == 9999 for r in waiting)
    finally:
        db.dispose()


def test_deploying_refuses_mistyped_unknown_and_doubled_figure_marks(engine: Engine, sessions: sessionmaker[Session],
                                                                     tmp_path: Path) -> None:
    bundle = _marked_smoke(tmp_path)
    form_path = tmp_path / "smoke" / "apply.schema.json"
    form = json.loads(form_path.read_text(encoding="utf-8"))
    form["properties"]["signedOn"]["x-govflow-project"] = "amount"  # a date is no amount, and a second one
    form["properties"]["projectName"]["x-govflow-project"] = "budget"
    form_path.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    bundle = Bundle.from_directory(tmp_path / "smoke")
    with pytest.raises(DeploymentError) as refused, unit(sessions) as session:
        deploy_bundle(engine, session, bundle, "owner")
    messages = [str(problem) for problem in refused.value.problems]
    assert any("forms/apply.schema.json" in m and "'signedOn' is marked as the project's amount" in m
               for m in messages), messages
    assert any("'projectName'" in m and "must be one of planYear, amount" in m for m in messages), messages
    assert any("[smoke]" in m and "several fields as its amount: investmentWan, signedOn" in m
               for m in messages), messages
