"""Drive a jurisdiction process with valid answers, overriding some, until a task is ready."""

from __future__ import annotations

from typing import Any

from engine.tools.testing import ProcessHarness, ProcessRun

OMIT: Any = object()
"""An override value that leaves a base answer out (a field the form does not show for the other answers)."""


def decide(harness: ProcessHarness, decision: str, **inputs: str) -> dict[str, object]:
    """Evaluate a deployed decision with raw (string) inputs and return its outputs."""
    return harness.decide(decision, **inputs).outputs


def walk_process(run: ProcessRun, base: dict[str, dict[str, Any]], answers: dict[str, Any] | None = None, *,
                 until: str | None = None, skip: tuple[str, ...] = (), limit: int = 80) -> None:
    """Complete ready tasks with `base` answers until `until` is ready or nothing is left.

    `answers` overrides per task: a dict applies every time, a list is used up in order; a field overridden
    with OMIT is left out.
    Tasks in `skip` (escalations) are left open for the test to handle.
    """
    pending = {key: (list(value) if isinstance(value, list) else value) for key, value in (answers or {}).items()}
    for _ in range(limit):
        ready = [spec for spec in run.waiting() if spec not in skip]
        if not ready or (until is not None and until in ready):
            return
        spec = ready[0]
        override = pending.get(spec, {})
        if isinstance(override, list):
            override = override.pop(0) if override else {}
        merged = {**base[spec], **override}
        run.complete(spec, {key: value for key, value in merged.items() if value is not OMIT})
    raise AssertionError(f"walk did not finish within {limit} tasks; waiting {run.waiting()}")
