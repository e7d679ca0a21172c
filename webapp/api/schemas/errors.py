"""The one error shape of every API answer that is not a success, as the OpenAPI document describes it."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from .modeling import ProblemSchema

__all__ = ["ErrorSchema", "FieldMessageSchema"]


class FieldMessageSchema(ma.Schema):
    field = fields.String(required=True, metadata={"description": "the field, header or parameter at fault"})
    message = fields.String(required=True)


class ErrorSchema(ma.Schema):
    """`error` names the kind (NotFound, Conflict, InvalidInput ...); the other keys appear where they apply."""

    error = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.List(fields.Nested(FieldMessageSchema), data_key="fields",
                          metadata={"description": "invalid input, one entry per field"})
    problems = fields.List(fields.Nested(ProblemSchema),
                           metadata={"description": "a rejected deployment: every failed check, located"})
    element = fields.String(allow_none=True, metadata={"description": "the BPMN element an instance failed at"})
    line = fields.Integer(allow_none=True)
    decision = fields.String(allow_none=True, metadata={"description": "the decision that gave no result"})
    instance = fields.String(metadata={"description": "an instance whose stored state cannot be loaded"})
    state_format = fields.String()
    reason = fields.String(metadata={"description": "a refused withdrawal: which rule refused it (next_claimed ...)"})
