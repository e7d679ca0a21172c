"""Serialize specs once per version and instance state without its spec."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers import DefaultRegistry
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

__all__ = ["STATE_FORMAT", "StateSerializer"]

# Our own format marker: SpiffWorkflow's 1.5 layout minus the embedded specs.
STATE_FORMAT = "govflow-1+spiff-1.5"


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Leave the specs out of instance state; they are stored once per version."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None,
                  subprocess_specs: dict[str, Any] | None = None) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        from uuid import UUID

        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry() -> DefaultRegistry:
    registry = DefaultRegistry()
    # Money is Decimal and deadlines are dates in task data; both must survive a round trip.
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
    return registry


class StateSerializer:
    """Convert specs and instance state to JSON text and back."""

    def __init__(self) -> None:
        spec_registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG, _registry())
        self._spec_serializer = BpmnWorkflowSerializer(spec_registry)
        self.registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG, _registry())
        self._converter = _SpeclessWorkflowConverter(BpmnWorkflow, self.registry)
        self._serializer = BpmnWorkflowSerializer(self.registry)

    @property
    def spec_registry(self) -> DefaultRegistry:
        """Return the registry that converts specs (for spec diffs)."""
        return self._spec_serializer.registry

    def dumps_spec(self, spec: Any, subprocess_specs: dict[str, Any]) -> str:
        """Serialize a process spec and the specs it calls."""
        registry = self._spec_serializer.registry
        document = {
            "spec": registry.convert(spec),
            "subprocess_specs": {name: registry.convert(s) for name, s in subprocess_specs.items()},
        }
        return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def loads_spec(self, text: str) -> tuple[Any, dict[str, Any]]:
        """Rebuild a process spec and its called specs."""
        document = json.loads(text)
        registry = self._spec_serializer.registry
        spec = registry.restore(document["spec"])
        subprocess_specs = {name: registry.restore(s) for name, s in document["subprocess_specs"].items()}
        return spec, subprocess_specs

    def dumps_state(self, workflow: BpmnWorkflow) -> str:
        """Serialize an instance's state without its specs."""
        self.registry._encoder_mode = True
        try:
            dct = self._converter.to_dict(workflow)
            return json.dumps(dct, cls=self._serializer._encoder_cls, ensure_ascii=False,
                              separators=(",", ":"))
        finally:
            self.registry._encoder_mode = False

    def loads_state(self, text: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        """Rebuild an instance from its state and its version's specs."""
        dct = json.loads(text)
        return self._converter.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
