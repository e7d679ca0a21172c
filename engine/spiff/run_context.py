"""What one block of work on an instance runs with: its clock and the log of decisions it takes.

The engine hands every instance it creates or loads a `RunContext`. Date helpers
and timer deadlines read the context's clock; the typed DMN engine appends each
decision it takes to the context's log. The audit trail drains the log after the
block of work, and subscribers (the coverage recorder) hear of each decision as
it is taken, so both read one stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.clock import Clock, SystemClock

__all__ = ["DecisionLog", "DecisionSubscriber", "DecisionTaken", "RunContext"]


@dataclass(frozen=True)
class DecisionTaken:
    """One evaluation of a decision table: what went in, which rules matched and what came out."""

    element_id: str
    decision_id: str
    decision_name: str
    inputs: list[dict[str, Any]]  # label, expression and typed value of every input column
    outputs: dict[str, Any]
    rules: tuple[str, ...] = ()  # ids of the matched rules, in table order


DecisionSubscriber = Callable[[DecisionTaken], None]


class DecisionLog:
    """The decisions taken during a block of work, in order; subscribers hear of each one as it is taken."""

    def __init__(self, subscribers: Sequence[DecisionSubscriber] = ()) -> None:
        # Kept by reference: a subscriber added to the engine later hears of later decisions too.
        self._subscribers = subscribers
        self._taken: list[DecisionTaken] = []

    def append(self, decision: DecisionTaken) -> None:
        """Log a decision and tell every subscriber."""
        self._taken.append(decision)
        for subscriber in self._subscribers:
            subscriber(decision)

    def drain(self) -> list[DecisionTaken]:
        """Return the decisions logged so far and forget them."""
        taken, self._taken = self._taken, []
        return taken

    def __iter__(self) -> Iterator[DecisionTaken]:
        return iter(list(self._taken))

    def __len__(self) -> int:
        return len(self._taken)


@dataclass(frozen=True)
class RunContext:
    """The clock and the decision log one instance runs with."""

    clock: Clock = field(default_factory=SystemClock)
    decisions: DecisionLog = field(default_factory=DecisionLog)

    def now(self) -> datetime:
        """Return the context clock's time (aware, UTC)."""
        return self.clock.now()
