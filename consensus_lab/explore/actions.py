"""The checker's moves: what it may do to a run in one step of the search.

From a state (a :class:`~consensus_lab.sim.Simulation`) the checker may

* **fire** any live pending event: deliver a message, fire a timer, hand a
  client request to its node. Time plays no part: any pending event may go
  next, so timers race messages freely (the asynchronous model), and
  messages on a link overtake each other (reordering);
* **drop** a message in flight, while the drop budget lasts (message loss);
* **duplicate** a message: deliver it and keep a copy in flight, while the
  duplicate budget lasts;
* **crash** a node, while the crash budget lasts, and **restart** a crashed
  node (always allowed: the crash budget bounds both); or, in reboot mode,
  **reboot** a node: crash and restart in one move (it loses whatever it
  did not persist, and is back at once);
* **call** a node: hand it the next of a fixed list of client commands
  (``calls``, such as Raft's ``submit("x=1")``), at any moment and to any
  node that ``call_to`` accepts. The commands go out in their order, each
  once, so "when, and to whom" is what the search decides.

A filter ``allow(sim, event)`` may take pending events out of play (a
bound of the search, such as "no heartbeat timer"), and ``crash_nodes``
may name the only nodes that can crash.

Two pending events with the same kind, node, sender and message lead to the
same state (the state ignores event ids), so only the first of them is a
move. Each move is an :class:`Action`, which names its event by id (ids
are deterministic: the same setup and the same moves number events the
same way) and by a description without id or time, for people.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import PendingEvent, ReplayDivergence, Simulation
from ..sim.node import freeze

KINDS = ("fire", "drop", "duplicate", "crash", "restart", "reboot", "call")

#: A client command the search may inject: ``(method, args)``, as for ``sim.call``.
Call = tuple[str, tuple[Any, ...]]
CallFilter = Callable[[Simulation, str], bool]

EventFilter = Callable[[Simulation, PendingEvent], bool]


@dataclass(frozen=True, slots=True)
class Budgets:
    """How many faults the search may still inject on this path, and how many of
    the client commands it has handed out (``calls``)."""

    drops: int = 0
    duplicates: int = 0
    crashes: int = 0
    calls: int = 0

    def covers(self, other: Budgets) -> bool:
        """True when at least ``other``'s budgets are left (and the same commands
        are still to come): this state can do all that the same state with
        ``other``'s budgets can."""
        return (self.drops >= other.drops and self.duplicates >= other.duplicates
                and self.crashes >= other.crashes and self.calls == other.calls)

    def after(self, action: Action) -> Budgets:
        """The budgets left once ``action`` is taken."""
        if action.kind == "drop":
            return Budgets(self.drops - 1, self.duplicates, self.crashes, self.calls)
        if action.kind == "duplicate":
            return Budgets(self.drops, self.duplicates - 1, self.crashes, self.calls)
        if action.kind in ("crash", "reboot"):
            return Budgets(self.drops, self.duplicates, self.crashes - 1, self.calls)
        if action.kind == "call":
            return Budgets(self.drops, self.duplicates, self.crashes, self.calls + 1)
        return self


def describe(event: PendingEvent) -> str:
    """An event in words, without its id or time: ``n1->n2 RequestVote(...)``."""
    if event.kind == "deliver":
        return f"{event.src}->{event.node} {event.msg}"
    if event.kind == "timer":
        return f"{event.node} timer {event.name}"
    if event.kind == "request":
        return f"{event.msg.client}->{event.node} {event.msg}"
    if event.kind == "reply":
        return f"reply to {event.node} for {event.msg}"
    return f"{event.kind} {event.node} {event.msg if event.msg is not None else event.name}"


@dataclass(frozen=True, slots=True)
class Action:
    """One move: ``kind`` (fire, drop, duplicate, crash, restart, reboot, call) and its
    target.

    ``event`` is the pending event to fire, drop or duplicate; ``node`` the
    node to crash, restart, reboot or call; ``call`` the command handed to
    it. ``what`` says it in words, without the event's id or time:
    ``n1->n2 Ping(1)``, ``n3 timer election``, ``n2``, ``n1 submit('x=1')``.
    """

    kind: str
    event: PendingEvent | None = None
    node: str = ""
    call: Call | None = None

    @property
    def what(self) -> str:
        """The event in words (see :func:`describe`), the node crashed or restarted,
        or the call made."""
        if self.event is not None:
            return describe(self.event)
        if self.call is not None:
            method, args = self.call
            return f"{self.node} {method}({', '.join(map(repr, args))})"
        return self.node

    @property
    def event_id(self) -> int:
        """The pending event's id (-1 for crash and restart)."""
        return self.event.id if self.event is not None else -1

    def __str__(self) -> str:
        if self.kind == "fire":
            what = self.what
            return f"deliver {what}" if "->" in what else f"fire {what}"
        return f"{self.kind} {self.what}"

    def as_tuple(self) -> tuple[str, str]:
        """``(kind, what)``: the action without its event id."""
        return (self.kind, self.what)

    def apply(self, sim: Simulation) -> None:
        """Do this move on ``sim``; raises InvariantViolation if an invariant breaks."""
        if self.kind == "fire":
            sim.fire(self.event_id)
            return
        if self.kind == "drop":
            sim.drop(self.event_id)
        elif self.kind == "duplicate":
            sim.duplicate(self.event_id)
            sim.fire(self.event_id)
            return
        elif self.kind == "crash":
            sim.crash(self.node)
        elif self.kind == "restart":
            sim.restart(self.node)
        elif self.kind == "call":
            assert self.call is not None
            method, args = self.call
            sim.call(self.node, method, *args)  # checks the invariants itself
            return
        else:
            sim.crash(self.node)
            sim.restart(self.node)
        sim.check_invariants()  # fire checks by itself; the others do not

    def touches(self, sim: Simulation) -> tuple[str, ...]:
        """The nodes whose objects this move may change (what a clone must copy)."""
        event = self.event
        if self.kind in ("fire", "duplicate") and event is not None and event.node in sim.nodes:
            return (event.node,)
        if self.kind == "call":
            return (self.node,)
        return ()  # drop: no node; crash and restart replace the node object

    def check_against(self, sim: Simulation) -> None:
        """Raise :class:`ReplayDivergence` unless ``sim`` has this action's event pending."""
        if self.event is None:
            return
        found = [e for e in sim.pending() if e.id == self.event_id]
        if not found or describe(found[0]) != self.what:
            now = describe(found[0]) if found else "nothing"
            raise ReplayDivergence(
                f"replaying '{self}': event #{self.event_id} is {now} in the rebuilt run; "
                "the setup is not deterministic (same seed, same inputs?)"
            )


def _signature(event: PendingEvent) -> Hashable:
    payload: Any = event.name if event.kind == "timer" else event.msg
    try:
        hash(payload)
    except TypeError:
        payload = freeze(payload)
    return (event.kind, event.node, event.src, payload)


def moves(sim: Simulation, budgets: Budgets, allow: EventFilter | None = None,
          reboot: bool = False, crash_nodes: Collection[str] | None = None,
          calls: Sequence[Call] = (), call_to: CallFilter | None = None,
          pending: Sequence[PendingEvent] | None = None) -> list[Action]:
    """Every move from this state: events in the simulator's order, then faults,
    then the next client command.

    ``allow(sim, event)`` false takes an event out of play (no fire, drop or
    duplicate); with ``reboot`` a crash is a reboot (crash and restart in
    one move); ``crash_nodes`` are the nodes that may crash (default: all).
    ``calls`` are the client commands, handed out in order (``budgets.calls``
    of them are gone), each to any live node that ``call_to(sim, node)``
    accepts (default: every live node). ``pending`` is ``sim.pending()`` if the
    caller has it already.
    """
    found: list[Action] = []
    seen: set[Hashable] = set()
    for event in sim.pending() if pending is None else pending:
        if allow is not None and not allow(sim, event):
            continue
        signature = _signature(event)
        if signature in seen:
            continue  # an identical copy: firing it leads to the same state
        seen.add(signature)
        found.append(Action("fire", event))
        if event.kind == "deliver":
            if budgets.drops > 0:
                found.append(Action("drop", event))
            if budgets.duplicates > 0:
                found.append(Action("duplicate", event))
    if budgets.crashes > 0:
        kind = "reboot" if reboot else "crash"
        found.extend(Action(kind, node=n) for n in sim.node_ids if n not in sim.crashed
                     and (crash_nodes is None or n in crash_nodes))
    found.extend(Action("restart", node=n) for n in sim.node_ids if n in sim.crashed)
    if budgets.calls < len(calls):
        call = calls[budgets.calls]
        found.extend(Action("call", node=n, call=call) for n in sim.node_ids
                     if n not in sim.crashed and (call_to is None or call_to(sim, n)))
    return found
