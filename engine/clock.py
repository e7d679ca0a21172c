"""Injectable time source shared by the engine and SpiffWorkflow's timers.

SpiffWorkflow reads ``datetime.now(timezone.utc)`` inside its timer module, so a
clock passed to the engine would not reach timer deadlines on its own. While an
engine step runs, `use_clock` publishes the engine's clock in a context variable
and the timer module's ``datetime`` is replaced by a subclass that asks it.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FakeClock", "SystemClock", "install_timer_clock", "use_clock"]


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


_current: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("govflow_clock", default=None)


class _ClockedDatetime(datetime):
    """A datetime whose now() follows the clock published by `use_clock`."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def,override]
        clock = _current.get()
        if clock is None:
            return datetime.now(tz)
        moment = clock.now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


def install_timer_clock() -> None:
    """Make SpiffWorkflow's timer module read the published clock; idempotent."""
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    timer.datetime = _ClockedDatetime  # type: ignore[misc]


@contextlib.contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Publish `clock` to timer evaluation for the duration of the block."""
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)


def current_time(default: Clock | None = None) -> datetime:
    """Return the published clock's time, else `default`'s, else the wall clock's."""
    clock = _current.get() or default or SystemClock()
    return clock.now()
