"""Every use of a SpiffWorkflow detail that is not its public API, each with why it is needed.

Read against SpiffWorkflow `SPIFF_VERSION`; `tests/engine/test_internals.py` pins that version
and checks that each detail relied on below still exists with the shape described, so an
upgrade fails there, in one place, before it fails anywhere else. Other modules call the
named functions and classes here and never touch these details themselves.

Start-up: `install()` replaces the timer module's clock once per process (idempotent). The web
app, the CLI, the test harness and the benchmark call it where they build their `Engine`, and
`Engine` refuses to be built without it, so a fake clock can never silently miss the timers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, tzinfo
from types import SimpleNamespace
from typing import Any, TypeVar
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from engine.clock import Clock
from engine.conventions import CALLED_DECISION

__all__ = [
    "SCRIPT_FILENAME", "SPIFF_VERSION", "SpeclessWorkflowConverter", "detached_task", "dmn_engine_of",
    "dumps_encoded", "install", "installed", "last_task", "remove_script_globals", "require_installed",
    "retype_dmn_engine", "set_last_task", "set_subprocess_specs", "set_timer_deadline", "timer_clock",
    "timer_deadline",
]

SPIFF_VERSION = "3.2.0"

_Typed = TypeVar("_Typed")


# --- Timers: the clock ---------------------------------------------------------------------------
# Why: SpiffWorkflow computes and checks timer deadlines with `datetime.now(timezone.utc)`, looked up
# as the module-level name `datetime` of `SpiffWorkflow.bpmn.specs.event_definitions.timer`
# (`TimeDateEventDefinition.has_fired`, `DurationTimerEventDefinition.has_fired`,
# `CycleTimerEventDefinition.cycle_complete`, `TimerEventDefinition.get_timedelta_from_start` and
# `.parse_iso_recurring_interval`).
# It takes no clock, so an instance's clock can reach its timers only by replacing that name.
# The replacement asks the clock bound by `timer_clock` for the duration of one SpiffWorkflow call,
# made by the instance that owns the clock; with none bound it is the wall clock. The binding is a
# context variable so that threads serving other instances at the same time each see their own.

_bound_clock: ContextVar[Clock | None] = ContextVar("govflow_timer_clock", default=None)


class _ClockedDatetime(datetime):
    """A datetime whose now() is the time of the clock bound by `timer_clock`."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]  # a datetime, not cls
        clock = _bound_clock.get()
        if clock is None:
            return datetime.now(tz)
        moment = clock.now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


def install() -> None:
    """Make SpiffWorkflow's timer module read the bound clock; call once at start-up (idempotent)."""
    timer_module.datetime = _ClockedDatetime


def installed() -> bool:
    """Tell whether `install` has run in this process."""
    return timer_module.datetime is _ClockedDatetime


def require_installed() -> None:
    """Raise unless `install` has run, so a forgotten call fails at start-up, not at the first timer."""
    if not installed():
        raise RuntimeError("SpiffWorkflow's timers do not read the engine clock yet: call "
                           "engine.install_spiff_patches() once before building an Engine")


@contextmanager
def timer_clock(clock: Clock) -> Iterator[None]:
    """Let SpiffWorkflow's timers read `clock` during the block (one SpiffWorkflow call)."""
    token = _bound_clock.set(clock)
    try:
        yield
    finally:
        _bound_clock.reset(token)


# --- Timers: the fixed deadline -------------------------------------------------------------------
# Why: a timer fixes its deadline when it first waits and keeps it in `task.internal_data["event_value"]`
# (an ISO string; a cycle keeps `{"cycles", "next", "duration"}`). SpiffWorkflow offers no reader, and
# a migration must put the old deadline back on the re-created timer task.

def timer_deadline(task: Any) -> Any:
    """Return the deadline a waiting timer task fixed (ISO text, or a dict for cycles), or None."""
    return task.internal_data.get("event_value")


def set_timer_deadline(task: Any, value: Any) -> None:
    """Give a timer task the deadline another one had fixed."""
    task.internal_data["event_value"] = value


# --- Workflow: the last task ----------------------------------------------------------------------
# Why: `migrate_workflow` may drop the task `workflow.last_task` points at (it then sets None); the
# attribute is what the serializer writes and what the process data is read from, so it must point at
# a task that exists. SpiffWorkflow keeps it as a plain attribute and offers no accessor.

def last_task(workflow: Any) -> Any | None:
    """Return the task the workflow last finished, or None."""
    return workflow.last_task


def set_last_task(workflow: Any, task: Any) -> None:
    """Point the workflow's last finished task at `task` (or None)."""
    workflow.last_task = task


# --- Workflow: the called processes' specs --------------------------------------------------------
# Why: `migrate_workflow` replaces `workflow.spec` but leaves `workflow.subprocess_specs`, the specs a
# call activity is started from later and that the serializer writes, on the old version. BpmnWorkflow
# takes them only in its constructor, so a migrated workflow gets the new version's by assignment.

def set_subprocess_specs(workflow: Any, subprocess_specs: dict[str, Any]) -> None:
    """Give a workflow the specs of the processes it calls."""
    workflow.subprocess_specs = subprocess_specs


# --- Serialization --------------------------------------------------------------------------------
# Why: specs are stored once per version, so instance state leaves them out. `BpmnWorkflowConverter`
# always embeds them; this converter calls the grandparent `WorkflowConverter.to_dict` (skipping the
# parent on purpose) and adds back what the parent adds except the specs. Loading rebuilds the
# workflow the way `BpmnWorkflowConverter.from_dict` does, from given specs instead of embedded ones,
# with its helpers `mapping_from_dict`, `set_default_attributes` and `subprocesses_from_dict` and the
# `deserializing=True` keyword of `BpmnWorkflow`.

class SpeclessWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]  # SpiffWorkflow ships no types
    """Convert a workflow to a dict without its specs, and back given the specs."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        """Return the workflow's state without its specs."""
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None,
                  subprocess_specs: dict[str, Any] | None = None) -> Any:
        """Rebuild a workflow from its state and the specs of its version."""
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def dumps_encoded(registry: Any, to_dict: Callable[[], dict[str, Any]]) -> str:
    """Serialize what `to_dict` builds as SpiffWorkflow's own `serialize_json` does."""
    # Why: in the registry's private encoder mode task data is left as it is and the JSON encoder
    # converts registered types (Decimal, date) while writing, which is how `serialize_json` works
    # and what the stored text has always been. The flag is per registry, as it is in SpiffWorkflow.
    registry._encoder_mode = True
    try:
        return json.dumps(to_dict(), cls=create_encoder(registry), ensure_ascii=False, separators=(",", ":"))
    finally:
        registry._encoder_mode = False


# --- Script environment ---------------------------------------------------------------------------
# Why: a script's context must lose the globals and helpers merged into it before its assignments
# become task data; `TaskDataEnvironment._remove_globals_and_functions_from_context` does exactly that.
# And `PythonScriptEngine.get_error_line_number_and_content` finds a failing script line by the
# file name "<string>" in the traceback, so restricted code is compiled under that name.

SCRIPT_FILENAME = "<string>"


def remove_script_globals(environment: Any, context: dict[str, Any],
                          external_context: dict[str, Any] | None) -> None:
    """Remove from a script's context what the environment merged into it."""
    environment._remove_globals_and_functions_from_context(context, external_context)


# --- DMN ------------------------------------------------------------------------------------------
# Why: SpiffWorkflow's parser and spec serializer construct `DMNEngine` themselves and keep it in a
# business rule task's `dmnEngine` attribute. Swapping the object's class to a subclass that adds no
# state gives every table the typed engine without subclassing the parser or the serializer; it relies
# on `DMNEngine` holding nothing but `decision_table` and having no `__slots__`.

def dmn_engine_of(task_spec: Any) -> Any | None:
    """Return the DMN engine of a business rule task spec, or None for any other spec."""
    return getattr(task_spec, "dmnEngine", None)


def retype_dmn_engine(engine: Any, typed_class: type[_Typed]) -> _Typed:
    """Turn a DMN engine SpiffWorkflow built into `typed_class`, in place."""
    if type(engine) is DMNEngine:
        engine.__class__ = typed_class
    if not isinstance(engine, typed_class):
        raise TypeError(f"cannot retype a {type(engine).__name__} as {typed_class.__name__}")
    return engine


def detached_task(data: dict[str, Any], script_engine: Any, decision_id: str) -> Any:
    """Return a stand-in task for evaluating one decision outside any instance."""
    # Why: a DMN engine evaluates against a task. It reads `data`, `workflow.script_engine` and
    # `task_spec` (its `extensions` name the decision); a `WorkflowTaskException` reads
    # `task_spec.bpmn_name`, `workflow.spec.file` and `workflow.top_workflow` for its trace.
    spec = SimpleNamespace(bpmn_id=None, bpmn_name="decision", name="decision",
                           extensions={CALLED_DECISION: decision_id})
    workflow = SimpleNamespace(script_engine=script_engine, spec=SimpleNamespace(file="decision"),
                               parent_task_id=None)
    workflow.top_workflow = workflow
    return SimpleNamespace(data=dict(data), task_spec=spec, workflow=workflow)

