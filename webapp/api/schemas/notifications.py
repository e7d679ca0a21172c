"""Schemas of the notification centre: notices, their pages, and a person's preferences."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from engine import notifications

from ..common import PageArgs, Whole

__all__ = ["NoticeListArgs", "NoticePageSchema", "NoticeSchema", "PreferencesSchema", "ReadAllSchema"]

_KIND = ma.validate.OneOf(notifications.KINDS)


class NoticeListArgs(PageArgs):
    unread = fields.Boolean(load_default=False, metadata={"description": "only the unread notices"})


class NoticeSchema(ma.Schema):
    id = Whole()
    kind = fields.String(metadata={"description": "new_task, assigned, returned, due_soon or overdue"})
    task_id = fields.String()
    instance_id = fields.String()
    project = fields.String(metadata={"description": "the project's name (or its process's, before it has one)"})
    step = fields.String(metadata={"description": "the task's name"})
    agency = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    read = fields.Boolean()


class NoticePageSchema(ma.Schema):
    items = fields.List(fields.Nested(NoticeSchema))
    unread = Whole(metadata={"description": "unread notices in all"})
    total = Whole(metadata={"description": "notices matching the query in all"})


class ReadAllSchema(ma.Schema):
    marked = Whole(metadata={"description": "how many notices were marked read"})


class PreferencesSchema(ma.Schema):
    in_app = fields.List(fields.String(validate=_KIND), required=True)
    email = fields.List(fields.String(validate=_KIND), required=True)
    digest = fields.Boolean(required=True, metadata={"description": "e-mail as one daily digest"})
    address = fields.String(allow_none=True, load_default=None, validate=ma.validate.Length(max=254),
                            metadata={"description": "e-mail address; null or empty: no e-mail"})
