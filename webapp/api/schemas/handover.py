"""Schemas of handing work on: assigning a task, delegating (委托), withdrawing a completion."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from ..common import Whole

__all__ = ["AssignArgs", "DelegationArgs", "DelegationSchema"]


class AssignArgs(ma.Schema):
    assignee = fields.String(required=True, allow_none=True, validate=ma.validate.Length(min=1, max=64),
                             metadata={"description": "a member of the task's group; null hands it back to the group"})


class DelegationArgs(ma.Schema):
    delegate = fields.String(required=True, validate=ma.validate.Length(min=1, max=64),
                             metadata={"description": "the colleague who stands in"})
    starts_on = fields.Date(required=True, metadata={"description": "first day, local date"})
    ends_on = fields.Date(required=True, metadata={"description": "last day (inclusive), local date"})
    bundle = fields.String(load_default=None, metadata={"description": "only this jurisdiction's tasks"})
    process_id = fields.String(load_default=None, metadata={"description": "only this process's tasks"})
    note = fields.String(load_default="", validate=ma.validate.Length(max=500))


class DelegationSchema(ma.Schema):
    id = Whole()
    delegator = fields.String()
    delegator_name = fields.String()
    delegate = fields.String()
    delegate_name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    bundle = fields.String(allow_none=True)
    process_id = fields.String(allow_none=True)
    note = fields.String()
    created_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    ended_by = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "scheduled, active, ended or expired"})
