"""Schemas of clerks' and administrators' work: users, versions, tasks, instances, decisions, monitoring.

Each output schema dumps one typed result of the engine (`TaskInfo`, `InstanceInfo`, `Completion`, ...)
field by field, so the OpenAPI document describes exactly what the endpoints return.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from engine import inbox, instances
from engine.limits import MAX_WORKING_DAYS

from ..common import PageArgs, Whole

__all__ = [
    "AuditSchema", "CalendarAnswerSchema", "CalendarArgs", "CancelArgs", "CompletionSchema", "DecisionArgs",
    "DecisionResultSchema", "HealthSchema", "HeatMapSchema", "InstanceDetailSchema", "InstanceListArgs",
    "InstanceSchema", "OverdueSchema", "StartArgs", "TaskDetailSchema", "TaskListArgs", "TaskPageSchema",
    "TaskSchema", "TimerSchema", "TokenRequestSchema", "TokenSchema", "UserSchema", "VersionLoadSchema",
    "VersionSchema",
]


class HealthSchema(ma.Schema):
    status = fields.String(metadata={"description": "ok while the app answers"})


class TokenRequestSchema(ma.Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenSchema(ma.Schema):
    token = fields.String()
    token_type = fields.String()
    expires_in = Whole(metadata={"description": "seconds"})


class SignOutArgs(ma.Schema):
    username = fields.String(metadata={"description": "whose sign-ins to end; yourself when left out"})


class SignedOutSchema(ma.Schema):
    username = fields.String()
    ended = Whole(metadata={"description": "how many sign-ins and tokens were ended"})


class UserSchema(ma.Schema):
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    unit = fields.String(allow_none=True)
    groups = fields.List(fields.String())
    active = fields.Boolean()
    leads = fields.List(fields.String(), metadata={"description": "the groups this user leads"})


class VersionSchema(ma.Schema):
    process_id = fields.String()
    version = Whole()
    name = fields.String()
    bundle = fields.String(metadata={"description": "jurisdiction"})
    deployment_id = Whole()
    spec_hash = fields.String()
    lanes = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.String()),
                        metadata={"description": "{process id: {lane: candidate group}}"})
    created_at = fields.DateTime()
    created_by = fields.String()


class TaskSchema(ma.Schema):
    id = fields.String()
    instance_id = fields.String()
    process_id = fields.String()
    bundle = fields.String()
    business_key = fields.String(allow_none=True)
    project_name = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    task = fields.String(attribute="spec_id", metadata={"description": "the task's element id in the diagram"})
    name = fields.String()
    lane = fields.String(allow_none=True)
    candidate_group = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "ready, completed or cancelled"})
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    claimed_by = fields.String(allow_none=True)
    claimed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    data = fields.Dict(allow_none=True, metadata={"description": "the data submitted on completion"})


class TaskPageSchema(ma.Schema):
    items = fields.List(fields.Nested(TaskSchema), attribute="rows")
    total = Whole()
    page = Whole()
    per_page = Whole()
    pages = Whole()


class TaskDetailSchema(ma.Schema):
    task = fields.Nested(TaskSchema)
    schema = fields.Dict(metadata={"description": "the task form's JSON Schema"})
    ui_schema = fields.Dict()
    form_data = fields.Dict(metadata={"description": "what the form starts with, or what was submitted"})


class TaskListArgs(PageArgs):
    scope = fields.String(load_default="groups", validate=ma.validate.OneOf(["groups", "mine"]))
    bundle = fields.String(load_default=None)
    process_id = fields.String(load_default=None)
    task = fields.String(load_default=None)
    due = fields.String(load_default=None, validate=ma.validate.OneOf(inbox.DUE_STATES))
    search = fields.String(load_default=None)
    sort = fields.String(load_default="due", validate=ma.validate.OneOf(["due", "newest"]))


class InstanceSchema(ma.Schema):
    id = fields.String()
    process_id = fields.String()
    process_name = fields.String()
    version = Whole(metadata={"description": "the process version the instance runs on"})
    bundle = fields.String(metadata={"description": "jurisdiction"})
    business_key = fields.String(allow_none=True)
    project_name = fields.String(allow_none=True)
    unit = fields.String(allow_none=True, metadata={"description": "the applicant unit that owns the project"})
    status = fields.String(metadata={"description": ", ".join(instances.STATUSES)})
    active_elements = fields.List(fields.String())
    error_element = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True)
    next_timer_due_at = fields.DateTime(allow_none=True)
    started_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class CompletionSchema(ma.Schema):
    task = fields.Nested(TaskSchema, metadata={"description": "the completed task"})
    instance = fields.Nested(InstanceSchema, metadata={"description": "the instance after it ran on"})


class AuditSchema(ma.Schema):
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    instance_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    element = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)
    on_behalf_of = fields.String(allow_none=True, metadata={"description": "whom the actor stood in for (委托)"})


class TimerSchema(ma.Schema):
    element = fields.String()
    due_at = fields.DateTime()


class InstanceDetailSchema(ma.Schema):
    instance = fields.Nested(InstanceSchema)
    executed = fields.List(fields.String())
    active = fields.List(fields.String())
    failed = fields.List(fields.String())
    timers = fields.List(fields.Nested(TimerSchema))
    open_tasks = fields.List(fields.Nested(TaskSchema))
    audit = fields.List(fields.Nested(AuditSchema), attribute="trail")


class InstanceListArgs(PageArgs):
    process_id = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=ma.validate.OneOf(instances.STATUSES))
    business_key = fields.String(load_default=None)


class StartArgs(ma.Schema):
    process_id = fields.String(required=True)
    business_key = fields.String(load_default=None)
    data = fields.Dict(load_default=dict)
    outside_validity = fields.String(load_default=None, metadata={
        "description": "administrators only: the transition reason for starting outside the regulation's validity"})


class CancelArgs(ma.Schema):
    # Checked by the cancel itself, after the caller's role: a clerk is told 403, not what to fill in.
    reason = fields.String(load_default="", validate=ma.validate.Length(max=500), metadata={
        "description": "required: why the instance is cancelled (1 to 500 characters); kept in the audit trail"})


class DecisionArgs(ma.Schema):
    inputs = fields.Dict(required=True, metadata={"description": "raw input values by input expression"})


class DecisionResultSchema(ma.Schema):
    decision_id = fields.String()
    version = Whole()
    inputs = fields.Dict()
    outputs = fields.Dict()


class CalendarArgs(ma.Schema):
    start = fields.Date(required=True)
    days = Whole(load_default=0, validate=ma.validate.Range(min=-3_650_000, max=3_650_000))
    working_days = Whole(load_default=0, validate=ma.validate.Range(min=-MAX_WORKING_DAYS, max=MAX_WORKING_DAYS))
    months = Whole(load_default=0, validate=ma.validate.Range(min=-120_000, max=120_000))


class CalendarAnswerSchema(ma.Schema):
    start = fields.Date()
    result = fields.Date()
    is_working_day = fields.Boolean()
    covered_by_official_calendar = fields.Boolean()


class VersionLoadSchema(ma.Schema):
    version = fields.Nested(VersionSchema)
    running = Whole()
    errors = Whole()


class HeatMapSchema(ma.Schema):
    process_id = fields.String(attribute="version.process_id")
    version = Whole(attribute="version.version")
    total = Whole()
    counts = fields.Dict(keys=fields.String(), values=Whole())
    errors = fields.List(fields.Nested(InstanceSchema))


class OverdueSchema(ma.Schema):
    bundle = fields.String()
    lane = fields.String(allow_none=True)
    candidate_group = fields.String(allow_none=True)
    count = Whole()
    oldest_due_at = fields.DateTime()
