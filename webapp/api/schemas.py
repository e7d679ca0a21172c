"""Marshmallow schemas of the API: what goes in and what comes out, as the OpenAPI document shows it."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from engine import inbox, state

from .common import PageArgs

__all__ = [
    "AuditSchema", "CalendarAnswerSchema", "CalendarArgs", "CompleteResultSchema", "DecisionArgs",
    "DecisionResultSchema", "HeatMapSchema", "InstanceDetailSchema", "InstanceListArgs", "InstanceSchema",
    "OverdueSchema", "StartArgs", "TaskDetailSchema", "TaskListArgs", "TaskPageSchema", "TaskSchema",
    "CancelArgs", "TokenRequestSchema", "TokenSchema", "UserSchema", "VersionLoadSchema", "VersionSchema",
    "CurrentArgs", "DeployArgs", "DeployResultSchema", "DiffArgs", "DiffSchema", "DraftFileArgs", "DraftSchema",
    "MigrationArgs", "MigrationReportSchema", "ProblemsSchema", "RevisionArgs", "VersionEntrySchema",
]


class TokenRequestSchema(ma.Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenSchema(ma.Schema):
    token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "seconds"})


class UserSchema(ma.Schema):
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    unit = fields.String(allow_none=True)
    groups = fields.List(fields.String())


class VersionSchema(ma.Schema):
    process_id = fields.String()
    version = fields.Integer()
    name = fields.String()
    bundle = fields.String(metadata={"description": "jurisdiction"})
    deployment_id = fields.Integer()
    spec_hash = fields.String()
    lanes = fields.Dict(keys=fields.String(), values=fields.Dict())
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
    task = fields.String(attribute="spec_id")
    name = fields.String()
    lane = fields.String(allow_none=True)
    candidate_group = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    status = fields.String()
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    completed_by = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    data = fields.Raw(allow_none=True)


class TaskPageSchema(ma.Schema):
    items = fields.List(fields.Nested(TaskSchema), attribute="rows")
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()


class TaskDetailSchema(ma.Schema):
    task = fields.Nested(TaskSchema, attribute="row")
    schema = fields.Dict()
    ui_schema = fields.Dict()
    form_data = fields.Dict()


class TaskListArgs(PageArgs):
    scope = fields.String(load_default="groups", validate=ma.validate.OneOf(["groups", "mine"]))
    bundle = fields.String(load_default=None)
    process_id = fields.String(load_default=None)
    task = fields.String(load_default=None)
    due = fields.String(load_default=None, validate=ma.validate.OneOf(inbox.DUE_STATES))
    search = fields.String(load_default=None)
    sort = fields.String(load_default="due", validate=ma.validate.OneOf(["due", "newest"]))


class CompleteResultSchema(ma.Schema):
    task = fields.Dict()
    instance = fields.Dict()


class InstanceSchema(ma.Schema):
    id = fields.String()
    process_id = fields.String()
    version = fields.Integer(attribute="process_version.version")
    business_key = fields.String(allow_none=True)
    project_name = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    status = fields.String()
    active_elements = fields.List(fields.String())
    error_element = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True)
    next_timer_due_at = fields.DateTime(allow_none=True)
    started_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class AuditSchema(ma.Schema):
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    task_id = fields.String(allow_none=True)
    element = fields.String(allow_none=True)
    data = fields.Raw(allow_none=True)


class TimerSchema(ma.Schema):
    element = fields.String()
    due_at = fields.DateTime()


class InstanceDetailSchema(ma.Schema):
    instance = fields.Nested(InstanceSchema, attribute="row")
    executed = fields.List(fields.String())
    active = fields.List(fields.String())
    failed = fields.List(fields.String())
    timers = fields.Method("_timers")
    open_tasks = fields.List(fields.Nested(TaskSchema))
    audit = fields.List(fields.Nested(AuditSchema), attribute="trail")

    def _timers(self, view: object) -> list[dict[str, object]]:
        return [{"element": e, "due_at": d.isoformat()} for e, d in view.timers]  # type: ignore[attr-defined]


class InstanceListArgs(PageArgs):
    process_id = fields.String(load_default=None)
    status = fields.String(load_default=None,
                           validate=ma.validate.OneOf(state.STATUSES))
    business_key = fields.String(load_default=None)


class StartArgs(ma.Schema):
    process_id = fields.String(required=True)
    business_key = fields.String(load_default=None)
    data = fields.Dict(load_default=dict)


class CancelArgs(ma.Schema):
    reason = fields.String(load_default="")


class DecisionArgs(ma.Schema):
    inputs = fields.Dict(required=True, metadata={"description": "raw input values by input expression"})


class DecisionResultSchema(ma.Schema):
    decision_id = fields.String()
    version = fields.Integer()
    inputs = fields.Dict()
    outputs = fields.Dict()


class CalendarArgs(ma.Schema):
    start = fields.Date(required=True)
    days = fields.Integer(load_default=0)
    working_days = fields.Integer(load_default=0)
    months = fields.Integer(load_default=0)


class CalendarAnswerSchema(ma.Schema):
    start = fields.Date()
    result = fields.Date()
    is_working_day = fields.Boolean()
    covered_by_official_calendar = fields.Boolean()


class VersionLoadSchema(ma.Schema):
    version = fields.Nested(VersionSchema)
    running = fields.Integer()
    errors = fields.Integer()


class HeatMapSchema(ma.Schema):
    process_id = fields.String(attribute="version.process_id")
    version = fields.Integer(attribute="version.version")
    total = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    errors = fields.List(fields.Nested(InstanceSchema))


class OverdueSchema(ma.Schema):
    bundle = fields.String()
    lane = fields.String(allow_none=True)
    candidate_group = fields.String(allow_none=True)
    count = fields.Integer()
    oldest_due_at = fields.DateTime()


class DraftSchema(ma.Schema):
    bundle = fields.String()
    revision = fields.Integer(allow_none=True, metadata={"description": "null until the first save"})
    base_deployment_id = fields.Integer(allow_none=True)
    changed = fields.List(fields.String(), metadata={"description": "paths that differ from the deployment"})
    files = fields.Dict(keys=fields.String(), values=fields.String())
    updated_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)


class DraftFileArgs(ma.Schema):
    path = fields.String(required=True, metadata={"description": "bpmn/<name>.bpmn, dmn/<name>.dmn or "
                                                                  "forms/<name>.json"})
    text = fields.String(required=True)
    revision = fields.Integer(required=True, allow_none=True)


class RevisionArgs(ma.Schema):
    path = fields.String(required=True)
    revision = fields.Integer(required=True)


class ProblemSchema(ma.Schema):
    file = fields.String()
    line = fields.Integer(allow_none=True)
    element = fields.String(allow_none=True)
    message = fields.String()


class ProblemsSchema(ma.Schema):
    ok = fields.Boolean()
    problems = fields.List(fields.Nested(ProblemSchema))


class DeployArgs(ma.Schema):
    revision = fields.Integer(required=True)
    tag = fields.String(load_default="", validate=ma.validate.Length(max=64))
    note = fields.String(required=True)


class DeployResultSchema(ma.Schema):
    deployment = fields.Integer()
    tag = fields.String()
    versions = fields.List(fields.Nested(VersionSchema))


class VersionEntrySchema(ma.Schema):
    process_id = fields.String()
    version = fields.Integer()
    name = fields.String()
    bundle = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String()
    tag = fields.String()
    note = fields.String()
    current = fields.Boolean(metadata={"description": "new instances start on this version"})
    open_instances = fields.Integer()


class DiffArgs(ma.Schema):
    from_version = fields.Integer(required=True, data_key="from")
    to_version = fields.Integer(required=True, data_key="to")


class ChangeSchema(ma.Schema):
    kind = fields.String(metadata={"description": "element, flow, lane, rule or field"})
    change = fields.String(metadata={"description": "added, removed or changed"})
    where = fields.String()
    label = fields.String()
    details = fields.List(fields.String())


class DiffSchema(ma.Schema):
    process_id = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    changes = fields.List(fields.Nested(ChangeSchema))


class CurrentArgs(ma.Schema):
    version = fields.Integer(required=True)


class MigrationArgs(ma.Schema):
    to_version = fields.Integer(required=True)
    instance_ids = fields.List(fields.String(), load_default=list)
    dry_run = fields.Boolean(load_default=True)


class MigrationCheckSchema(ma.Schema):
    instance_id = fields.String()
    business_key = fields.String(allow_none=True)
    project_name = fields.String(allow_none=True)
    from_version = fields.Integer()
    can_migrate = fields.Boolean()
    reasons = fields.List(fields.String())
    position = fields.List(fields.String())


class MigrationReportSchema(ma.Schema):
    operation = fields.String()
    process_id = fields.String()
    to_version = fields.Integer()
    dry_run = fields.Boolean()
    checks = fields.List(fields.Nested(MigrationCheckSchema))
