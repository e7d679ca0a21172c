"""Injectable time source: the wall clock in service, a fake clock in tests and replays.

The engine gives each instance a run context holding a clock; date helpers and
timer deadlines read that clock (see `engine.spiff.run_context` and, for how it
reaches SpiffWorkflow's timers, `engine.spiff.internals`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FakeClock", "SystemClock"]


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to; for tests and replays."""

    def __init__(self, start: datetime | str = "2025-01-06T09:00:00+08:00") -> None:
        self._now = _aware(datetime.fromisoformat(start) if isinstance(start, str) else start)

    def now(self) -> datetime:
        """Return the frozen time."""
        return self._now

    def set(self, when: datetime | str) -> None:
        """Jump to an absolute time."""
        self._now = _aware(datetime.fromisoformat(when) if isinstance(when, str) else when)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by `delta` or by timedelta keyword arguments; return the new time."""
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"clock times must carry a timezone, got {value.isoformat()}")
    return value.astimezone(UTC)
