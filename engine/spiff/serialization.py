"""Serialize specs once per version and instance state without its spec, in a checked format.

Instance rows store the format their state was written in (`InstanceRow.serializer_version`).
Loading reads it: the current `STATE_FORMAT` loads as it is, an older one is lifted step by step
through `STATE_UPGRADES`, and any other is refused with a `StateFormatError` naming the instance
and the format, before SpiffWorkflow sees the text.

When the stored layout changes: give `STATE_FORMAT` a new number, add an entry to `STATE_UPGRADES`
that lifts the previous format to it, and write golden states for the new format (see README,
"Golden stored states"); the previous format's golden states must keep loading through the upgrade.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.helpers import DefaultRegistry
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.errors import StateFormatError
from engine.spiff.internals import SpeclessWorkflowConverter, dumps_encoded

__all__ = ["STATE_FORMAT", "STATE_UPGRADES", "StateSerializer", "StateUpgrade", "upgrade_state"]

# Our own format marker: Govflow's layout number, then the SpiffWorkflow serializer layout it wraps
# (SpiffWorkflow's 1.5 task layout, minus the embedded specs).
STATE_FORMAT = "govflow-1+spiff-1.5"
_FORMAT = re.compile(r"govflow-(\d+)\+spiff-([0-9.]+)")


@dataclass(frozen=True)
class StateUpgrade:
    """Lift stored state one step: from the format it is keyed under to `target`."""

    target: str
    apply: Callable[[dict[str, Any]], dict[str, Any]]


# Older format -> the upgrade to the next one. Empty while STATE_FORMAT is the only format ever written.
STATE_UPGRADES: dict[str, StateUpgrade] = {}


def upgrade_state(dct: dict[str, Any], state_format: str, instance_id: str,
                  upgrades: Mapping[str, StateUpgrade] = STATE_UPGRADES) -> dict[str, Any]:
    """Return stored state lifted to STATE_FORMAT, or raise StateFormatError if it cannot be."""
    seen = {state_format}
    while state_format != STATE_FORMAT:
        step = upgrades.get(state_format)
        if step is None:
            raise StateFormatError(instance_id, state_format, _why_unreadable(state_format, upgrades))
        dct, state_format = step.apply(dct), step.target
        if state_format in seen:
            raise StateFormatError(instance_id, state_format, "the upgrades go round in a circle")
        seen.add(state_format)
    return dct


def _why_unreadable(state_format: str, upgrades: Mapping[str, StateUpgrade]) -> str:
    known = sorted({STATE_FORMAT, *upgrades})
    found, current = _FORMAT.fullmatch(state_format), _FORMAT.fullmatch(STATE_FORMAT)
    if found and current and int(found.group(1)) > int(current.group(1)):
        return f"it was written by a newer Govflow; this one reads {', '.join(known)}"
    return f"no upgrade leads from it to {STATE_FORMAT}; this Govflow reads {', '.join(known)}"


def _registry() -> DefaultRegistry:
    registry = DefaultRegistry()
    # Money is Decimal and deadlines are dates in task data; both must survive a round trip.
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
    return registry


class StateSerializer:
    """Convert specs and instance state to JSON text and back."""

    def __init__(self, upgrades: Mapping[str, StateUpgrade] = STATE_UPGRADES) -> None:
        self.upgrades = upgrades
        self._spec_registry: DefaultRegistry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG, _registry())
        self.registry: DefaultRegistry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG, _registry())
        self._converter = SpeclessWorkflowConverter(BpmnWorkflow, self.registry)

    @property
    def spec_registry(self) -> DefaultRegistry:
        """Return the registry that converts specs (for spec diffs)."""
        return self._spec_registry

    def dumps_spec(self, spec: Any, subprocess_specs: dict[str, Any]) -> str:
        """Serialize a process spec and the specs it calls."""
        registry = self._spec_registry
        document = {
            "spec": registry.convert(spec),
            "subprocess_specs": {name: registry.convert(s) for name, s in subprocess_specs.items()},
        }
        return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def loads_spec(self, text: str) -> tuple[Any, dict[str, Any]]:
        """Rebuild a process spec and its called specs."""
        document = json.loads(text)
        registry = self._spec_registry
        spec = registry.restore(document["spec"])
        subprocess_specs = {name: registry.restore(s) for name, s in document["subprocess_specs"].items()}
        return spec, subprocess_specs

    def dumps_state(self, workflow: BpmnWorkflow) -> str:
        """Serialize an instance's state, in STATE_FORMAT, without its specs."""
        return dumps_encoded(self.registry, lambda: self._converter.to_dict(workflow))

    def loads_state(self, text: str, spec: Any, subprocess_specs: dict[str, Any], *, state_format: str,
                    instance_id: str = "(unsaved)") -> BpmnWorkflow:
        """Rebuild an instance from state stored in `state_format` and its version's specs."""
        if state_format != STATE_FORMAT and state_format not in self.upgrades:
            # Refuse before parsing: text of an unknown layout must never reach SpiffWorkflow.
            raise StateFormatError(instance_id, state_format, _why_unreadable(state_format, self.upgrades))
        dct = upgrade_state(json.loads(text), state_format, instance_id, self.upgrades)
        return self._converter.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
