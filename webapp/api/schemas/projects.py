"""Schemas of the project lists: what a list asks for (filters, order, cursor) and what each project shows."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import fields

from engine import instances, projects

from ..common import Whole

__all__ = ["ProjectListArgs", "ProjectPageSchema", "ProjectSchema"]

_CENT = Decimal("0.01")
_AMOUNT_ERROR = "应为 0 到 99999999.99 之间的金额（万元），最多保留 2 位小数"


def _amount(value: Decimal) -> None:
    if value < 0 or value > Decimal("99999999.99") or value != value.quantize(_CENT):
        raise ma.ValidationError(_AMOUNT_ERROR)


class _Amount(fields.Decimal):
    """An amount in 万元, read as an exact decimal (never through a float)."""

    default_error_messages = {"invalid": _AMOUNT_ERROR, "special": _AMOUNT_ERROR}

    def __init__(self, **kwargs: object) -> None:
        super().__init__(validate=_amount, **kwargs)  # type: ignore[arg-type]


class ProjectListArgs(ma.Schema):
    scope = fields.String(load_default="all", validate=ma.validate.OneOf(projects.SCOPES, error="列表范围无效"),
                          metadata={"description": "mine: my unit's projects; handled: projects I or my groups "
                                                   "completed a task in; all: every project I oversee"})
    bundle = fields.String(load_default=None, metadata={"description": "jurisdiction"})
    stage = fields.String(load_default=None, metadata={"description": "the element id where projects stand"})
    plan_year = Whole(load_default=None, validate=ma.validate.Range(min=1, max=9999, error="应为 1 到 9999 之间的年份"))
    amount_min = _Amount(load_default=None, metadata={"description": "万元, inclusive, as a decimal string"})
    amount_max = _Amount(load_default=None, metadata={"description": "万元, inclusive, as a decimal string"})
    status = fields.String(load_default=None, validate=ma.validate.OneOf(instances.STATUSES, error="状态无效"))
    overdue = fields.Boolean(load_default=False, metadata={"description": "only projects whose next step is late"})
    search = fields.String(load_default=None, metadata={"description": "part of a business key or project name"})
    sort = fields.String(load_default="due", validate=ma.validate.OneOf(projects.SORTS, error="排序方式无效"),
                         metadata={"description": "due: next due date first; newest: newest first; amount: "
                                                  "largest first"})
    after = fields.String(load_default=None, metadata={"description": "the next_cursor of the previous page"})
    per_page = Whole(load_default=25, validate=ma.validate.Range(min=1, max=200, error="每页 1 到 200 条"))


class ProjectSchema(ma.Schema):
    instance_id = fields.String()
    bundle = fields.String(metadata={"description": "jurisdiction"})
    process_id = fields.String()
    process_name = fields.String()
    business_key = fields.String(allow_none=True)
    project_name = fields.String(allow_none=True)
    unit = fields.String(allow_none=True, metadata={"description": "the applicant unit that owns the project"})
    status = fields.String()
    stage_element = fields.String(allow_none=True, metadata={"description": "the element id where it stands"})
    stage = fields.String(allow_none=True, metadata={"description": "the name of where it stands"})
    next_task_id = fields.String(allow_none=True)
    next_step = fields.String(allow_none=True, metadata={"description": "the open task due first"})
    next_agency = fields.String(allow_none=True, metadata={"description": "the agency (lane) working it"})
    due_at = fields.DateTime(allow_none=True)
    plan_year = Whole(allow_none=True)
    amount = fields.Decimal(as_string=True, allow_none=True, metadata={"description": "万元, an exact decimal"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ProjectPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ProjectSchema), attribute="rows")
    next_cursor = fields.String(allow_none=True, metadata={"description": "pass as `after` for the next page; "
                                                                          "null on the last page"})
    per_page = Whole()
