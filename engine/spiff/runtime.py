"""Engine: the collaborators every service needs, built once per process."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.calendar import BusinessCalendar
from engine.clock import Clock, SystemClock, install_timer_clock, use_clock
from engine.forms import make_validator
from engine.settings import Settings
from engine.spiff.dmn import use_typed_engines
from engine.spiff.sandbox import make_script_engine
from engine.spiff.script_helpers import build_helpers
from engine.spiff.serialization import StateSerializer
from engine.spiff.workflow import Instance
from engine.store.models import ProcessVersion

__all__ = ["Engine"]


class Engine:
    """Parser output, serializer, script environment, clock and calendar, shared by services."""

    def __init__(self, settings: Settings | None = None, clock: Clock | None = None,
                 calendar: BusinessCalendar | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.clock: Clock = clock or SystemClock()
        self.calendar = calendar or _default_calendar(self.settings)
        self.serializer = StateSerializer()
        self.helpers = build_helpers(self.calendar, self.clock, self.settings.timezone)
        self.script_engine = make_script_engine(self.helpers)
        self.observers: list[Callable[[Instance], None]] = []
        self._specs: OrderedDict[int, tuple[Any, dict[str, Any]]] = OrderedDict()
        self._forms: dict[tuple[int, str], dict[str, Any]] = {}
        self._validators: dict[tuple[int, str], Draft202012Validator] = {}
        install_timer_clock()

    def now(self) -> datetime:
        """Return the engine clock's time (aware, UTC)."""
        return self.clock.now()

    def specs_for(self, version: ProcessVersion) -> tuple[Any, dict[str, Any]]:
        """Return the (cached) spec objects of a process version."""
        cached = self._specs.get(version.id)
        if cached is not None:
            self._specs.move_to_end(version.id)
            return cached
        specs = self.serializer.loads_spec(version.spec_json)
        use_typed_engines([specs[0], *specs[1].values()])
        self._specs[version.id] = specs
        if len(self._specs) > self.settings.spec_cache_size:
            self._specs.popitem(last=False)
        return specs

    def new_instance(self, version: ProcessVersion) -> Instance:
        """Create a fresh, unstarted instance of a version."""
        spec, subprocess_specs = self.specs_for(version)
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        return Instance(workflow, self.observers)

    def load_instance(self, version: ProcessVersion, state: str) -> Instance:
        """Rebuild an instance from stored state, with the restricted script engine reinstalled."""
        spec, subprocess_specs = self.specs_for(version)
        workflow = self.serializer.loads_state(state, spec, subprocess_specs)
        # Deserialization installs SpiffWorkflow's unrestricted default engine; replace it at once.
        workflow.script_engine = self.script_engine
        return Instance(workflow, self.observers)

    def dump_instance(self, instance: Instance) -> str:
        """Serialize an instance's state without its spec."""
        return self.serializer.dumps_state(instance.workflow)

    def running(self) -> Any:
        """Publish this engine's clock to timer evaluation for a block of work."""
        return use_clock(self.clock)

    def form(self, version: ProcessVersion, name: str) -> dict[str, Any]:
        """Return a form document of a process version, parsed once (versions are immutable)."""
        key = (version.id, name)
        if key not in self._forms:
            self._forms[key] = json.loads(version.deployment.files[f"forms/{name}"])
        return self._forms[key]

    def validator(self, version: ProcessVersion, name: str) -> Draft202012Validator:
        """Return a compiled JSON Schema validator for a form of a version."""
        key = (version.id, name)
        if key not in self._validators:
            self._validators[key] = make_validator(self.form(version, name))
        return self._validators[key]

    def evaluate(self, expression: str, data: dict[str, Any]) -> Any:
        """Evaluate a Python expression (a due date, say) in the restricted environment."""
        with self.running():
            return self.script_engine.environment.evaluate(expression, dict(data))


def _default_calendar(settings: Settings) -> BusinessCalendar:
    if settings.calendar_file is not None:
        return BusinessCalendar.from_file(settings.calendar_file)
    return BusinessCalendar()
