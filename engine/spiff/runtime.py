"""Engine: the collaborators every service needs, built once per process."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from jsonschema.protocols import Validator
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.calendar import BusinessCalendar
from engine.clock import Clock, SystemClock
from engine.forms import expand_shared, make_validator
from engine.regulation import Regulation
from engine.settings import Settings
from engine.spiff.bundle import Bundle
from engine.spiff.dmn import use_typed_engines
from engine.spiff.elements import BundleElements, Process, read_elements
from engine.spiff.internals import require_installed
from engine.spiff.labels import Labels, read_labels
from engine.spiff.run_context import DecisionLog, DecisionSubscriber, RunContext
from engine.spiff.sandbox import SandboxScriptEngine, make_script_engine
from engine.spiff.script_helpers import build_helpers
from engine.spiff.serialization import StateSerializer
from engine.spiff.workflow import Instance
from engine.store.models import InstanceRow, ProcessVersion

__all__ = ["Engine"]


class Engine:
    """Parser output, serializer, script environment, clock and calendar, shared by services.

    Build it after `engine.install_spiff_patches()` has run once in the process; it refuses otherwise.
    Every instance it hands out carries its own run context: the engine clock (or the one given) and
    a decision log that `decision_subscribers` hear from.
    """

    def __init__(self, settings: Settings | None = None, clock: Clock | None = None,
                 calendar: BusinessCalendar | None = None) -> None:
        require_installed()
        self.settings = settings or Settings.from_env()
        self.clock: Clock = clock or SystemClock()
        self.calendar = calendar or _default_calendar(self.settings)
        self.serializer = StateSerializer()
        self.observers: list[Callable[[Instance], None]] = []
        self.decision_subscribers: list[DecisionSubscriber] = []
        self._specs: OrderedDict[int, tuple[Any, dict[str, Any]]] = OrderedDict()
        self._forms: dict[tuple[int, str], dict[str, Any]] = {}
        self._validators: dict[tuple[int, str], Validator] = {}
        self._elements: dict[int, BundleElements] = {}
        self._labels: dict[int, Labels] = {}

    def now(self) -> datetime:
        """Return the engine clock's time (aware, UTC)."""
        return self.clock.now()

    @property
    def helpers(self) -> dict[str, Callable[..., object]]:
        """Return the helpers diagrams may call, on the engine clock."""
        return build_helpers(self.calendar, self.clock, self.settings.timezone)

    def run_context(self, clock: Clock | None = None) -> RunContext:
        """Return a fresh run context on `clock` (default: the engine clock) whose decisions reach the subscribers."""
        return RunContext(clock or self.clock, DecisionLog(self.decision_subscribers))

    def script_engine(self, run: RunContext | None = None) -> SandboxScriptEngine:
        """Return a restricted script engine whose helpers and decisions belong to `run` (default: a fresh one)."""
        run = run or self.run_context()
        return make_script_engine(build_helpers(self.calendar, run.clock, self.settings.timezone), run)

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

    def new_instance(self, version: ProcessVersion, *, clock: Clock | None = None) -> Instance:
        """Create a fresh, unstarted instance of a version, running on `clock` (default: the engine clock)."""
        spec, subprocess_specs = self.specs_for(version)
        run = self.run_context(clock)
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine(run))
        return Instance(workflow, run, self.observers)

    def load_instance(self, row: InstanceRow, *, clock: Clock | None = None) -> Instance:
        """Rebuild a stored instance, checking its state format, with the restricted script engine reinstalled.

        Raises StateFormatError when the row's `serializer_version` is neither current nor upgradable.
        """
        spec, subprocess_specs = self.specs_for(row.process_version)
        workflow = self.serializer.loads_state(row.state, spec, subprocess_specs,
                                               state_format=row.serializer_version, instance_id=row.id)
        # Deserialization installs SpiffWorkflow's unrestricted default engine; replace it at once.
        run = self.run_context(clock)
        workflow.script_engine = self.script_engine(run)
        return Instance(workflow, run, self.observers)

    def dump_instance(self, instance: Instance) -> str:
        """Serialize an instance's state without its spec."""
        return self.serializer.dumps_state(instance.workflow)

    def form(self, version: ProcessVersion, name: str) -> dict[str, Any]:
        """Return a form document of a process version, parsed once (versions are immutable).

        Shared field definitions (`{"$ref": "govflow:money"}`) come back expanded, so the browser and
        the server validate the same schema.
        """
        key = (version.id, name)
        if key not in self._forms:
            self._forms[key] = expand_shared(json.loads(version.deployment.files[f"forms/{name}"]))
        return self._forms[key]

    def validator(self, version: ProcessVersion, name: str) -> Validator:
        """Return a compiled JSON Schema validator for a form of a version."""
        key = (version.id, name)
        if key not in self._validators:
            self._validators[key] = make_validator(self.form(version, name))
        return self._validators[key]

    def process_elements(self, version: ProcessVersion) -> Process | None:
        """Return the parsed element model of a process version's own process, read once per version."""
        return self.deployment_processes(version).get(version.process_id)

    def deployment_processes(self, version: ProcessVersion) -> dict[str, Process]:
        """Return the element model of every process deployed with a version (its called processes too)."""
        return {process.id: process for process in self.deployment_elements(version).processes}

    def deployment_elements(self, version: ProcessVersion) -> BundleElements:
        """Return the diagrams and decisions deployed with a version, parsed once (versions are immutable)."""
        if version.id not in self._elements:
            bundle = Bundle.from_texts(version.bundle, dict(version.deployment.files))
            self._elements[version.id] = read_elements(bundle).checked()
        return self._elements[version.id]

    def labels(self, version: ProcessVersion) -> Labels:
        """Return the names the bundle deployed with a version gives its codes, read once per deployment."""
        deployment = version.deployment
        if deployment.id not in self._labels:
            bundle = Bundle.from_texts(deployment.bundle, dict(deployment.files))
            self._labels[deployment.id] = read_labels(bundle, self.deployment_elements(version))
        return self._labels[deployment.id]

    def regulation(self, version: ProcessVersion) -> Regulation | None:
        """Return the regulation a process version declares (None: it declares none)."""
        process = self.process_elements(version)
        # Deployment refused malformed declarations; a version deployed before they existed has none.
        return Regulation.from_properties(process.properties) if process is not None else None

    def evaluate(self, expression: str, data: dict[str, Any]) -> Any:
        """Evaluate a Python expression (a constant timer, say) in the restricted environment, on the engine clock."""
        return self.script_engine().environment.evaluate(expression, dict(data))


def _default_calendar(settings: Settings) -> BusinessCalendar:
    if settings.calendar_file is not None:
        return BusinessCalendar.from_file(settings.calendar_file)
    return BusinessCalendar()
