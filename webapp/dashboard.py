"""The leaders' dashboard (效能监察): charts, the same figures as tables, and each table as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Blueprint, render_template, request
from werkzeug.exceptions import NotFound as NoSuchPage
from werkzeug.wrappers import Response

from engine import Actor
from engine import dashboard as figures

from .auth import current_actor
from .db import get_engine, get_session
from .i18n import MESSAGES, translate
from .limits import whole_number

__all__ = ["TABLES", "Table", "bp", "may_see_dashboard", "tables"]

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

PERIODS = (3, 6, 12, 24)
TABLES = ("agencies", "handling", "stages", "investment", "verdicts")
_DAY = 86400.0


@dataclass(frozen=True)
class Table:
    """One table of the dashboard: its title, column headings and rows of display text."""

    key: str
    title: str
    headings: list[str]
    rows: list[list[str]]


def _jurisdiction(board: figures.Dashboard) -> Callable[[str], str]:
    def name(bundle: str) -> str:
        key = f"jurisdiction_{bundle}"
        # A jurisdiction deployed after these texts were written is named by its own process.
        return translate(key) if key in MESSAGES else board.jurisdiction_names.get(bundle, bundle)
    return name


def _days(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / _DAY:.2f}"


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}%"


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _stage(stage: figures.StageCount) -> str:
    return stage.stage if stage.kind == "task" else translate(f"stage_{stage.kind}")


def _year(year: int | None) -> str:
    return str(year) if year is not None else translate("no_plan_year")


def tables(board: figures.Dashboard) -> list[Table]:
    """Return the dashboard's tables with names instead of ids, in the interface language."""
    where = _jurisdiction(board)
    return [
        Table("agencies", translate("dash_loads"),
              [translate(k) for k in ("jurisdiction", "agency", "dash_open", "dash_open_overdue")],
              [[where(x.bundle), x.agency, str(x.open), str(x.overdue)] for x in board.loads]),
        Table("handling", translate("dash_handling"),
              [translate(k) for k in ("jurisdiction", "agency", "dash_month", "dash_completed", "dash_average_days",
                                      "dash_p90_days", "dash_due", "dash_overdue", "dash_overdue_rate")],
              [[where(x.bundle), x.agency, x.month, str(x.completed), _days(x.average_seconds),
                _days(x.p90_seconds), str(x.due), str(x.overdue), _percent(x.overdue_rate)]
               for x in board.agency_months]),
        Table("stages", translate("dash_stages"),
              [translate(k) for k in ("jurisdiction", "dash_stage", "dash_projects")],
              [[where(x.bundle), _stage(x), str(x.projects)] for x in board.stages]),
        Table("investment", translate("dash_investment"),
              [translate(k) for k in ("jurisdiction", "dash_plan_year", "dash_projects", "dash_investment_wan")],
              [[where(x.bundle), _year(x.plan_year), str(x.projects), _money(x.investment_wan)]
               for x in board.investment]),
        Table("verdicts", translate("dash_verdicts"),
              [translate(k) for k in ("jurisdiction", "dash_month", "dash_approved", "dash_returned")],
              [[where(x.bundle), x.month, str(x.approved), str(x.returned)] for x in board.verdicts]),
    ]


def _charts(board: figures.Dashboard) -> dict[str, Any]:
    """Return the chart data: the same figures as the tables, labelled alike."""
    where = _jurisdiction(board)
    several = board.query.bundle is None and len(board.bundles) > 1  # then agencies and stages name their place

    def agency(bundle: str, name: str) -> str:
        return f"{where(bundle)} {name}" if several else name

    series: dict[str, dict[str, dict[str, float | None]]] = {"p90": {}, "rate": {}}
    for x in board.agency_months:
        label = agency(x.bundle, x.agency)
        series["p90"].setdefault(label, {})[x.month] = None if x.p90_seconds is None else round(
            x.p90_seconds / _DAY, 2)
        series["rate"].setdefault(label, {})[x.month] = None if x.overdue_rate is None else round(
            x.overdue_rate * 100, 1)
    years = sorted({_year(x.plan_year) for x in board.investment})
    return {
        "months": board.months,
        "loads": {"labels": [agency(x.bundle, x.agency) for x in board.loads],
                  "open": [x.open for x in board.loads], "overdue": [x.overdue for x in board.loads]},
        "p90": {name: [values.get(m) for m in board.months] for name, values in series["p90"].items()},
        "rate": {name: [values.get(m) for m in board.months] for name, values in series["rate"].items()},
        "stages": {"labels": [f"{where(x.bundle)} {_stage(x)}" if several else _stage(x) for x in board.stages],
                   "values": [x.projects for x in board.stages]},
        "investment": {"years": years, "series": {
            where(bundle): [float(sum((x.investment_wan for x in board.investment
                                       if x.bundle == bundle and _year(x.plan_year) == year), Decimal(0)))
                            for year in years]
            for bundle in sorted({x.bundle for x in board.investment})}},
        "verdicts": {"months": board.months,
                     "approved": [sum(x.approved for x in board.verdicts if x.month == m) for m in board.months],
                     "returned": [sum(x.returned for x in board.verdicts if x.month == m) for m in board.months]},
        "text": {key: translate(key) for key in (
            "dash_open", "dash_open_overdue", "dash_p90_days", "dash_overdue_rate", "dash_projects",
            "dash_investment_wan", "dash_approved", "dash_returned")},
    }


@bp.app_template_global("may_see_dashboard")
def may_see_dashboard(actor: Actor) -> bool:
    """Tell the navigation whether to offer the dashboard."""
    return figures.may_see(actor)


def _query() -> figures.DashboardQuery:
    return figures.DashboardQuery(bundle=request.args.get("jurisdiction") or None,
                                  months=whole_number(request.args, "months", 6))


def _load() -> figures.Dashboard:
    return figures.dashboard(get_engine(), get_session(), current_actor(), _query())


@bp.get("", endpoint="index")
def index() -> str:
    """Show the dashboard of the jurisdictions the signed-in leader oversees."""
    board = _load()
    return render_template("dashboard.html", board=board, tables=tables(board), charts=_charts(board),
                           periods=sorted({*PERIODS, board.query.months}), jurisdiction=_jurisdiction(board))


@bp.get("/<table>.csv", endpoint="csv")
def export(table: str) -> Response:
    """Download one table as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese)."""
    if table not in TABLES:
        raise NoSuchPage()
    board = _load()
    chosen = next(t for t in tables(board) if t.key == table)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(chosen.headings)
    writer.writerows(chosen.rows)
    name = f"dashboard-{table}-{board.query.bundle or 'all'}-{board.months[-1]}.csv"
    return Response(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
