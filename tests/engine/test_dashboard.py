"""The leaders' dashboard on known rows: handling times and p90 worked out by hand, stages, investment, verdicts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import Bundle, Engine, InvalidInput, NotFound, PermissionDenied
from engine.settings import PROJECT_ROOT
from engine.store.models import InstanceRow, ProcessVersion, TaskRow
from engine.usecases.access import Actor
from engine.usecases.dashboard import DashboardQuery, dashboard, month_bounds
from engine.usecases.deployments import deploy_bundle

from .helpers import unit

ADMIN = Actor("root", role="admin")
OWNER = Actor("qy_owner", role="process_owner", groups=frozenset({"qingyang:data_bureau"}))
DATONG_OWNER = Actor("dt_owner", role="process_owner", groups=frozenset({"datong:data_bureau"}))
CLERK = Actor("qy_data", groups=frozenset({"qingyang:data_bureau"}))
LEADER = Actor("qy_data_head", groups=frozenset({"qingyang:data_bureau"}), leads=frozenset({"qingyang:data_bureau"}))
APPLICANT_LEADER = Actor("qy_unit_head", unit="qingyang:unit_a", groups=frozenset({"qingyang:applicant_unit"}),
                         leads=frozenset({"qingyang:applicant_unit"}))
DATA, DEPT, COUNTY = "qingyang:data_bureau", "qingyang:supervising_department", "qingyang:county_government"
FINANCE = "qingyang:finance_bureau"
_ids = count()


def at(text: str) -> datetime:
    """Return a China-time moment."""
    return datetime.fromisoformat(text + "+08:00")


class Rows:
    """Write instance and task index rows directly: the dashboard must never need workflow state."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.version = session.scalars(select(ProcessVersion).where(
            ProcessVersion.process_id == "qingyang_project")).one()

    def instance(self, status: str) -> str:
        instance_id = f"i{next(_ids)}"
        moment = at("2025-06-01T09:00:00")
        self.session.add(InstanceRow(
            id=instance_id, process_version_id=self.version.id, process_id="qingyang_project", status=status,
            active_elements=[], state="not workflow state", serializer_version="x", started_by="someone",
            created_at=moment, updated_at=moment))
        self.session.flush()
        return instance_id

    def task(self, instance_id: str, group: str, created: datetime, *, hours: float | None = None,
             due: datetime | None = None, name: str = "审核", form: str | None = None,
             data: dict[str, Any] | None = None, status: str | None = None) -> None:
        lanes = {DATA: "县数据资源管理部门", DEPT: "县直主管部门", COUNTY: "县人民政府", FINANCE: "县财政局"}
        done = None if hours is None else created + timedelta(hours=hours)
        self.session.add(TaskRow(
            id=f"t{next(_ids)}", instance_id=instance_id, process_id="qingyang_project", bundle="qingyang",
            spec_id="Task_X", name=name, lane=lanes[group], candidate_group=group, due_at=due, form=form,
            status=status or ("ready" if done is None else "completed"), created_at=created, completed_at=done,
            data=data))


@pytest.fixture
def figures(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """Deploy Qingyang and write known tasks of September and August 2025 (now: 2025-09-30 09:00)."""
    with unit(sessions) as session:
        deploy_bundle(engine, session, Bundle.from_jurisdiction(PROJECT_ROOT, "qingyang"), "owner")
    with unit(sessions) as session:
        rows = Rows(session)
        done, open1, open2 = rows.instance("completed"), rows.instance("running"), rows.instance("running")
        waiting, cancelled = rows.instance("waiting"), rows.instance("cancelled")
        # September, data bureau: handled in 1..10 hours, each due 5 hours after it arrived (6..10 were late).
        for hours in range(1, 11):
            created = at(f"2025-09-{hours + 1:02d}T09:00:00")
            rows.task(done, DATA, created, hours=hours, due=created + timedelta(hours=5))
        # August: 2, 4 and 30 hours; the last one arrived late on 31 August and was done on 2 September.
        rows.task(done, DATA, at("2025-08-05T09:00:00"), hours=2)
        rows.task(done, DATA, at("2025-08-31T21:30:00"), hours=2)  # done 23:30 local: still August
        rows.task(done, DEPT, at("2025-08-31T22:30:00"), hours=2)  # done 00:30 local on 1 September
        rows.task(done, DATA, at("2025-08-10T09:00:00"), hours=30)
        # Ties and the exact boundary: of 20 times, the 18th (ceil 0.9 × 20) is the only 2-hour one.
        for hours in [1] * 17 + [2] + [5] * 2:
            rows.task(done, FINANCE, at("2025-09-15T09:00:00"), hours=hours)
        # Still open: one past its deadline in September, one due in October.
        rows.task(open1, DATA, at("2025-09-20T09:00:00"), due=at("2025-09-29T00:00:00"))
        rows.task(open2, DATA, at("2025-09-25T09:00:00"), due=at("2025-10-10T00:00:00"), name="初审")
        rows.task(cancelled, DATA, at("2025-09-21T09:00:00"), due=at("2025-09-22T00:00:00"), status="cancelled")
        # Facts: the latest figure a project gave speaks for it; a cancelled project is left out, and so is a
        # field of the same name on a form that does not ask for it.
        register, budget, design = "register.schema.json", "budget.schema.json", "design.schema.json"
        july = [at(f"2025-07-0{day}T09:00:00") for day in range(1, 7)]
        rows.task(done, DEPT, july[0], hours=1, form=register, data={"investmentWan": 180.5})
        rows.task(done, DEPT, july[2], hours=1, form=budget, data={"budgetYear": 2026, "fundedWan": 50})
        rows.task(done, DEPT, july[4], hours=1, form=design, data={"estimateWan": 200.25})
        rows.task(open1, DEPT, july[0], hours=1, form=register, data={"investmentWan": 99.99})
        rows.task(open1, DEPT, july[1], hours=1, form="contract.schema.json", data={"budgetYear": 2030})
        rows.task(open2, DEPT, july[0], hours=1, form=budget, data={"budgetYear": 2026})
        rows.task(open2, DEPT, july[1], hours=1, form=design, data={"estimateWan": 0.01})
        rows.task(cancelled, DEPT, july[0], hours=1, form=budget, data={"budgetYear": 2026})
        rows.task(cancelled, DEPT, july[1], hours=1, form=register, data={"investmentWan": 1000})
        # Verdicts of the department's review form; the same field on another form is no verdict.
        review = "dept_review.schema.json"
        rows.task(done, COUNTY, at("2025-08-20T09:00:00"), hours=3, form=review, data={"deptApproved": False})
        rows.task(done, COUNTY, at("2025-09-10T09:00:00"), hours=3, form=review, data={"deptApproved": True})
        rows.task(done, COUNTY, at("2025-09-11T09:00:00"), hours=3, form=review, data={"deptApproved": True})
        rows.task(done, COUNTY, at("2025-09-12T09:00:00"), hours=3, form="register.schema.json",
                  data={"deptApproved": False})
        assert waiting
    yield sessions


def test_month_bounds_follow_local_months() -> None:
    bounds = month_bounds(at("2025-01-15T12:00:00"), 2, "Asia/Shanghai")
    assert [label for label, _ in bounds] == ["2024-12", "2025-01", "2025-02"]
    assert bounds[0][1] == at("2024-12-01T00:00:00") and bounds[-1][1] == at("2025-02-01T00:00:00")


def test_handling_times_p90_and_overdue_rates_per_agency_and_month(engine: Engine,
                                                                   figures: sessionmaker[Session]) -> None:
    with unit(figures) as session:
        board = dashboard(engine, session, ADMIN, DashboardQuery(months=3))
    assert board.months == ["2025-07", "2025-08", "2025-09"]
    months = {(m.group, m.month): m for m in board.agency_months}
    september = months[(DATA, "2025-09")]
    assert september.agency == "县数据资源管理部门"
    assert september.completed == 10
    assert september.average_seconds == pytest.approx(5.5 * 3600)  # (1 + … + 10) / 10 hours
    assert september.p90_seconds == pytest.approx(9 * 3600)  # rank ceil(0.9 × 10) = 9 of 1..10 hours
    # Deadlines in September: ten done (five late) and the open one past its date; the cancelled one is out.
    assert (september.due, september.overdue, september.overdue_rate) == (11, 6, pytest.approx(6 / 11))
    august = months[(DATA, "2025-08")]
    assert (august.completed, august.due, august.overdue_rate) == (3, 0, None)
    assert august.average_seconds == pytest.approx((2 + 2 + 30) / 3 * 3600)
    assert august.p90_seconds == pytest.approx(30 * 3600)  # rank ceil(0.9 × 3) = 3
    assert months[(DEPT, "2025-09")].completed == 1  # done after local midnight, though 31 August in UTC
    assert months[(DEPT, "2025-07")].completed == 9
    assert months[(COUNTY, "2025-09")].p90_seconds == pytest.approx(3 * 3600)
    ties = months[(FINANCE, "2025-09")]
    assert (ties.agency, ties.completed, ties.p90_seconds) == ("县财政局", 20, pytest.approx(2 * 3600))
    assert ties.average_seconds == pytest.approx((17 + 2 + 10) / 20 * 3600)
    loads = {load.group: (load.open, load.overdue) for load in board.loads}
    assert loads == {DATA: (2, 1)}


def test_projects_by_stage_investment_by_plan_year_and_verdicts(engine: Engine,
                                                                figures: sessionmaker[Session]) -> None:
    with unit(figures) as session:
        board = dashboard(engine, session, OWNER, DashboardQuery(bundle="qingyang", months=3))
    assert board.bundles == ["qingyang"] and board.jurisdiction_names["qingyang"] == "青阳县政务信息化项目全周期"
    assert [(s.kind, s.stage, s.projects) for s in board.stages] == [
        ("task", "初审", 1), ("task", "审核", 1), ("waiting", "waiting", 1), ("completed", "completed", 1),
        ("cancelled", "cancelled", 1)]
    assert [(i.plan_year, i.projects, i.investment_wan) for i in board.investment] == [
        (2026, 2, Decimal("200.26")), (None, 2, Decimal("99.99"))]
    assert [(v.month, v.approved, v.returned) for v in board.verdicts] == [("2025-08", 0, 1), ("2025-09", 2, 0)]


def test_only_process_owners_and_administrators_see_the_dashboard(engine: Engine,
                                                                  figures: sessionmaker[Session]) -> None:
    with unit(figures) as session:
        with pytest.raises(PermissionDenied):
            dashboard(engine, session, CLERK, DashboardQuery())
        with pytest.raises(PermissionDenied):  # an applicant unit's leader: other units' work stays hidden
            dashboard(engine, session, APPLICANT_LEADER, DashboardQuery())
        led = dashboard(engine, session, LEADER, DashboardQuery(months=3))
        assert led.bundles == ["qingyang"] and {m.group for m in led.agency_months} == {DATA}
        assert [load.group for load in led.loads] == [DATA]
        assert len(led.stages) == 5 and led.verdicts  # the jurisdiction's project figures, no project named
        outsider = dashboard(engine, session, DATONG_OWNER, DashboardQuery())
        assert (outsider.bundles, outsider.loads, outsider.stages) == ([], [], [])
        with pytest.raises(NotFound):
            dashboard(engine, session, DATONG_OWNER, DashboardQuery(bundle="qingyang"))
        with pytest.raises(InvalidInput) as refused:
            dashboard(engine, session, ADMIN, DashboardQuery(months=0))
        assert [e.field for e in refused.value.errors] == ["months"]
