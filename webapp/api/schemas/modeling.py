"""Schemas of modeling: drafts, validation problems, deployments, version history, diffs and migrations."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from ..common import Whole
from .work import VersionSchema

__all__ = [
    "ChangeSchema", "CurrentArgs", "DeployArgs", "DeployResultSchema", "DiffArgs", "DiffSchema", "DraftFileArgs",
    "DraftSchema", "MigrationArgs", "MigrationCheckSchema", "MigrationReportSchema", "ProblemSchema",
    "ProblemsSchema", "RevisionArgs", "VersionEntrySchema",
]


class DraftSchema(ma.Schema):
    bundle = fields.String()
    revision = Whole(allow_none=True, metadata={"description": "null until the first save"})
    base_deployment_id = Whole(allow_none=True)
    changed = fields.List(fields.String(), metadata={"description": "paths that differ from the deployment"})
    files = fields.Dict(keys=fields.String(), values=fields.String())
    updated_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)


class DraftFileArgs(ma.Schema):
    path = fields.String(required=True, metadata={"description": "bpmn/<name>.bpmn, dmn/<name>.dmn or "
                                                                  "forms/<name>.json"})
    text = fields.String(required=True)
    revision = Whole(required=True, allow_none=True)


class RevisionArgs(ma.Schema):
    path = fields.String(required=True)
    revision = Whole(required=True)


class ProblemSchema(ma.Schema):
    file = fields.String()
    line = Whole(allow_none=True)
    element = fields.String(allow_none=True)
    message = fields.String()


class ProblemsSchema(ma.Schema):
    ok = fields.Boolean()
    problems = fields.List(fields.Nested(ProblemSchema))


class DeployArgs(ma.Schema):
    revision = Whole(required=True)
    tag = fields.String(load_default="", validate=ma.validate.Length(max=64))
    note = fields.String(required=True)


class DeployResultSchema(ma.Schema):
    deployment = Whole(attribute="deployment.id")
    tag = fields.String(attribute="deployment.tag")
    versions = fields.List(fields.Nested(VersionSchema), attribute="new_versions",
                           metadata={"description": "the versions this deployment created"})
    created = fields.Boolean(metadata={"description": "false when identical content was deployed before"})
    not_current = fields.List(fields.Nested(VersionSchema), metadata={
        "description": "identical content deployed before: its versions new instances no longer start on"})
    notice = fields.String(metadata={"description": "what an unchanged deployment means, empty otherwise"})


class VersionEntrySchema(ma.Schema):
    process_id = fields.String()
    version = Whole()
    name = fields.String()
    bundle = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String()
    tag = fields.String()
    note = fields.String()
    current = fields.Boolean(metadata={"description": "new instances start on this version"})
    open_instances = Whole()


class DiffArgs(ma.Schema):
    from_version = Whole(required=True, data_key="from")
    to_version = Whole(required=True, data_key="to")


class ChangeSchema(ma.Schema):
    kind = fields.String(metadata={"description": "element, flow, lane, rule or field"})
    change = fields.String(metadata={"description": "added, removed or changed"})
    where = fields.String()
    label = fields.String()
    details = fields.List(fields.String())


class DiffSchema(ma.Schema):
    process_id = fields.String()
    from_version = Whole()
    to_version = Whole()
    changes = fields.List(fields.Nested(ChangeSchema))


class CurrentArgs(ma.Schema):
    version = Whole(required=True)


class MigrationArgs(ma.Schema):
    to_version = Whole(required=True)
    instance_ids = fields.List(fields.String(), load_default=list)
    dry_run = fields.Boolean(load_default=True)


class MigrationReasonSchema(ma.Schema):
    code = fields.String(metadata={"description": "the kind of reason, e.g. next_changed, uncollected, lost_race"})
    text = fields.String(metadata={"description": "in English"})
    text_zh = fields.String(metadata={"description": "in Chinese, naming elements, fields and agencies by name"})
    values = fields.Dict(metadata={"description": "the parts of the reason as data (element ids, field names)"})


class MigrationCheckSchema(ma.Schema):
    instance_id = fields.String()
    business_key = fields.String(allow_none=True)
    project_name = fields.String(allow_none=True)
    from_version = Whole()
    can_migrate = fields.Boolean()
    reasons = fields.Function(lambda check: [reason.text for reason in check.reasons],
                              metadata={"description": "why it cannot move, in English"})
    reason_details = fields.List(fields.Nested(MigrationReasonSchema), attribute="reasons")
    position = fields.List(fields.String(), metadata={"description": "element ids where the instance stands"})
    position_names = fields.List(fields.String(), metadata={"description": "the same elements by name"})
    notes = fields.Function(lambda check: [note.text for note in check.notes],
                            metadata={"description": "what moving does besides moving, in English"})
    note_details = fields.List(fields.Nested(MigrationReasonSchema), attribute="notes")


class MigrationReportSchema(ma.Schema):
    operation = fields.String()
    process_id = fields.String()
    to_version = Whole()
    dry_run = fields.Boolean()
    checks = fields.List(fields.Nested(MigrationCheckSchema))
