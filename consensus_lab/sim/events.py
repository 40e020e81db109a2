"""Event kinds of the simulator's heap, shared by its modules.

Heap entries are ``(time, priority, seq, kind, node, data)``; kinds are small
ints so the hot path compares ints, and ``KIND_NAMES`` names them for people.
"""

from dataclasses import dataclass
from typing import Any

DELIVER, TIMER, REQUEST, REPLY, TIMEOUT, NEMESIS = range(6)
KIND_NAMES = ("deliver", "timer", "request", "reply", "timeout", "nemesis")
_URGENT, _NORMAL = 0, 1  # priorities: scheduled nemesis actions go first at equal times

# Builds a TraceRecord without NamedTuple's Python-level __new__ (hot path).
_new_record = tuple.__new__

# A heap entry: (time, priority, seq, kind, node, data); ``data`` depends on the kind.
Entry = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """A scheduled event, as shown to a widget or a model checker."""

    id: int
    time: int
    kind: str
    node: str
    src: str = ""
    msg: Any = None
    name: str = ""

    def __str__(self) -> str:
        if self.kind == "deliver":
            return f"#{self.id} t={self.time} {self.src}->{self.node} {self.msg}"
        if self.kind == "timer":
            return f"#{self.id} t={self.time} {self.node} timer {self.name}"
        return f"#{self.id} t={self.time} {self.kind} {self.node} {self.msg or self.name}"
