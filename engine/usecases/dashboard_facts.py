"""What the dashboard reads from submitted form data: plan years, investment figures and reviewers' verdicts.

The bundles name these fields alike, so the names are listed here once. The latest completed step that gives
a value speaks for the project (a design estimate replaces the declared investment, an approved estimate both).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, defer

from engine.conventions import FORM_SCHEMA
from engine.spiff.runtime import Engine
from engine.store.models import InstanceRow, ProcessVersion, TaskRow
from engine.usecases import state

__all__ = ["INVESTMENT_FIELDS", "PLAN_YEAR_FIELDS", "VERDICT_FIELD", "fact_forms", "investment_by_plan_year",
           "verdict_fields"]

PLAN_YEAR_FIELDS = ("planYear", "budgetYear")
"""A project's plan (or budget) year, in the order they are preferred within one step."""

INVESTMENT_FIELDS = ("approvedEstimateWan", "estimateWan", "investmentWan", "totalInvestmentWan", "totalBudgetWan",
                     "budgetWan")
"""A project's investment in 万元: approved estimate, design or feasibility estimate, declared amount or budget."""

VERDICT_FIELD = re.compile(r"[a-z][A-Za-z]*(Approved|Passed)$")
"""A boolean form field with such a name is a reviewer's verdict: true approves, false returns or refuses."""

_CENT = Decimal("0.01")


def investment_by_plan_year(session: Session, bundles: list[str],
                            forms: list[str]) -> list[tuple[str, int | None, int, Decimal]]:
    """Return (bundle, plan year, projects, investment) for every project not cancelled, by plan year.

    Only steps worked with one of `forms` (those asking for the figures) are read, so the JSON of every other
    step is never parsed.
    """
    year = func.coalesce(*(TaskRow.data[name].as_integer() for name in PLAN_YEAR_FIELDS))
    amount = func.coalesce(*(TaskRow.data[name].as_numeric(14, 2) for name in INVESTMENT_FIELDS))
    latest = (TaskRow.completed_at.desc(), TaskRow.id.desc())
    # One pass over the steps: rank each project's steps that gave a year (an amount) newest first. Joining
    # per-project subqueries instead makes SQLite scan one of them once per project.
    steps = (select(TaskRow.instance_id, TaskRow.bundle, year.label("year"), amount.label("amount"),
                    func.row_number().over(partition_by=(TaskRow.instance_id, year.is_(None)),
                                           order_by=latest).label("year_rank"),
                    func.row_number().over(partition_by=(TaskRow.instance_id, amount.is_(None)),
                                           order_by=latest).label("amount_rank"))
             .join(InstanceRow, InstanceRow.id == TaskRow.instance_id)
             .where(TaskRow.bundle.in_(bundles), TaskRow.status == "completed", TaskRow.form.in_(forms),
                    InstanceRow.status != state.CANCELLED, or_(year.is_not(None), amount.is_not(None))).subquery())
    projects = (select(steps.c.bundle,
                       func.max(case((steps.c.year_rank == 1, steps.c.year), else_=None)).label("year"),
                       func.max(case((steps.c.amount_rank == 1, steps.c.amount), else_=None)).label("amount"))
                .group_by(steps.c.instance_id, steps.c.bundle).subquery())
    found: dict[tuple[str, int | None], tuple[int, Decimal]] = {}
    for bundle, plan_year, count, total in session.execute(
            select(projects.c.bundle, projects.c.year, func.count(), func.sum(projects.c.amount))
            .group_by(projects.c.bundle, projects.c.year)):
        # SQLite sums the amounts in floating point: round to the cent, which every amount is a multiple of.
        found[(bundle, None if plan_year is None else int(plan_year))] = (
            count, Decimal(str(total or 0)).quantize(_CENT))
    # Projects that gave neither figure yet count without a plan year.
    for bundle, total_projects in session.execute(
            select(ProcessVersion.bundle, func.count(InstanceRow.id)).join(ProcessVersion)
            .where(ProcessVersion.bundle.in_(bundles), InstanceRow.status != state.CANCELLED)
            .group_by(ProcessVersion.bundle)):
        counted = sum(n for (b, _), (n, _) in found.items() if b == bundle)
        if total_projects > counted:
            n, amount_sum = found.get((bundle, None), (0, Decimal("0.00")))
            found[(bundle, None)] = (n + total_projects - counted, amount_sum)
    rows = [(bundle, plan_year, n, total) for (bundle, plan_year), (n, total) in found.items()]
    return sorted(rows, key=lambda row: (row[0], row[1] is None, row[1] or 0))


def _form_fields(engine: Engine, session: Session, bundles: list[str],
                 wanted: Callable[[str, dict[str, Any]], bool]) -> dict[tuple[str, str], tuple[str, ...]]:
    """Return the top-level fields `wanted` picks in every form a user task of the bundles names, by (bundle, form)."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    seen: set[tuple[str, str]] = set()
    # The stored spec is not needed here: the element model and forms come from the engine's per-version caches.
    for version in session.scalars(select(ProcessVersion).where(ProcessVersion.bundle.in_(bundles))
                                   .options(defer(ProcessVersion.spec_json))):
        for element in (e for p in engine.deployment_processes(version).values() for e in p.elements):
            form = element.properties.get(FORM_SCHEMA)
            if not form or (version.bundle, form) in seen:
                continue
            seen.add((version.bundle, form))
            properties = engine.form(version, form).get("properties") or {}
            names = tuple(sorted(name for name, spec in properties.items()
                                 if isinstance(spec, dict) and wanted(name, spec)))
            if names:
                found[(version.bundle, form)] = names
    return found


def verdict_fields(engine: Engine, session: Session, bundles: list[str]) -> dict[tuple[str, str], tuple[str, ...]]:
    """Return the verdict fields of every form a user task of the bundles' versions names, by (bundle, form)."""
    return _form_fields(engine, session, bundles,
                        lambda name, spec: bool(VERDICT_FIELD.fullmatch(name)) and spec.get("type") == "boolean")


def fact_forms(engine: Engine, session: Session, bundles: list[str]) -> list[str]:
    """Return the forms that ask for a plan year or an investment figure: only their steps need reading."""
    names = set(PLAN_YEAR_FIELDS) | set(INVESTMENT_FIELDS)
    return sorted({form for _, form in _form_fields(engine, session, bundles, lambda name, _: name in names)})
