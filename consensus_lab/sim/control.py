"""External control of a run: its recording, replay, and out-of-turn events.

Everything that enters a run from outside a handler goes through here and is
recorded as an input (see :mod:`.choices`): nemesis actions and client
requests call ``_input``; ``fire`` and ``drop`` take one pending event out of
its turn (the choice point a widget or a model checker uses); ``call`` runs a
node method as if it were an event. ``Simulation.replay`` applies the inputs
again at the steps where they happened.

:class:`Control` is the part of the :class:`~.simulation.Simulation` that
does this; it keeps no state of its own (the recording is the run's
:class:`~.choices.ChoicePoint`) and reaches the run through
:class:`ControlHost`.
"""

from __future__ import annotations

import heapq
import random
from typing import TYPE_CHECKING, Any, Protocol

from .choices import Recording, stream_seed
from .errors import ConfigError
from .events import DELIVER, KIND_NAMES, Entry, PendingEvent

if TYPE_CHECKING:
    from .choices import ChoicePoint
    from .node import Node


class ControlHost(Protocol):
    """What :class:`Control` needs from the simulation it serves."""

    seed: int
    now: int
    steps: int
    stats: dict[str, int]
    nodes: dict[str, Node | None]
    _cp: ChoicePoint
    _heap: list[Entry]
    _in_event: bool
    tracing: bool

    @property
    def invariants(self) -> tuple[tuple[str, Any], ...]: ...

    def pending(self) -> list[PendingEvent]: ...

    def call(self, node_id: str, method: str, *args: Any) -> Any: ...

    def _check_node(self, node_id: str) -> None: ...

    def _check_invariants(self) -> None: ...

    def _is_stale(self, entry: Entry) -> bool: ...

    def _fire_entry(self, entry: Entry) -> None: ...

    def _drop(self, node: str, src: str, msg_id: int, msg: Any, why: str) -> None: ...

    def _push(self, time: int, kind: int, node: str, data: Any, prio: int = ...) -> int: ...

    def _record(self, kind: str, node: str, peer: str = "", msg_id: int = -1,
                message: Any = None, detail: str = "", state: str | None = None,
                rule: str = "") -> None: ...

    def _call(self, node_id: str, node: Node, method: str, args: tuple[Any, ...]) -> Any: ...


class Control:
    """Recording, replay and out-of-turn control for :class:`~.simulation.Simulation`."""

    __slots__ = ("_sim",)

    def __init__(self, sim: ControlHost) -> None:
        self._sim = sim

    @property
    def choices(self) -> Recording:
        """Every random draw and external input so far (a JSON-able dict)."""
        return self._sim._cp.recording

    @property
    def choice_count(self) -> int:
        """How many choices have been recorded (a mark for partial replays)."""
        return self._sim._cp.count

    def rng(self, name: str) -> random.Random:
        """A named random stream for a workload script, seeded from the run's seed."""
        return random.Random(stream_seed(self._sim.seed, f"user/{name}"))

    def apply_recorded_inputs(self) -> None:
        """In replay: apply the recorded inputs due at the current step."""
        sim = self._sim
        while (item := sim._cp.next_input(sim.steps)) is not None:
            action, args = item
            if action == "call":
                node_id, method, call_args = args
                sim.call(node_id, method, *call_args)
            else:
                getattr(sim, action)(*args)

    def input(self, action: str, args: list[Any]) -> None:
        """Record an external input (not one made by a scheduled event)."""
        sim = self._sim
        if not sim._in_event:
            sim._cp.record_input(sim.steps, action, args)

    def fire(self, event_id: int) -> None:
        """Fire the pending event ``event_id`` now, ahead of its turn.

        This is the scheduling choice point: a widget's "deliver this
        message next" and the model checker's exploration both use it.
        """
        sim = self._sim
        entry = self.take_pending(event_id, "fire")
        sim._fire_entry((sim.now, *entry[1:]))

    def drop(self, event_id: int) -> None:
        """Lose the pending message ``event_id`` in the network (RaftScope's "drop").

        Only message deliveries can be dropped; a timer is a node's own
        business (crash or pause the node instead).
        """
        sim = self._sim
        entry = self.take_pending(event_id, "drop", messages_only=True)
        src, msg, msg_id = entry[5]
        sim._drop(entry[4], src, msg_id, msg, "dropped by hand")

    def duplicate(self, event_id: int) -> int:
        """Put a second copy of the pending message ``event_id`` in flight; returns its id.

        The copy is due at the same time and carries the same message id,
        like a duplicate made by the network; recorded for replay. The
        model checker's "deliver but keep a copy" is ``duplicate`` then
        ``fire``.
        """
        sim = self._sim
        _i, entry = self.find_pending(event_id, "duplicate", messages_only=True)
        self.input("duplicate", [event_id])
        time, prio, _seq, kind, node, data = entry
        sim.stats["duplicated"] += 1
        sim._record("duplicate", data[0], node, data[2], data[1], "duplicated by hand")
        return sim._push(time, kind, node, data, prio)

    def call(self, node_id: str, method: str, *args: Any) -> Any:
        """Call ``node.method(*args)`` from outside, as a recorded input.

        A :class:`~.step.Call` it returns is carried out (the node steps on
        its input) and its ``answer`` returned.

        For test harnesses and notebooks that drive a node directly, like
        6.5840's ``Start(command)``: the call is recorded (so the run
        replays from its choices), its effects are not separate inputs, and
        the invariants are checked right after it.
        """
        sim = self._sim
        sim._check_node(node_id)
        target = sim.nodes[node_id]
        if target is None:
            raise ConfigError(f"cannot call {method}() on {node_id}: it is crashed")
        if not callable(getattr(target, method, None)):
            raise ConfigError(f"{type(target).__name__} has no method {method!r}")
        self.input("call", [node_id, method, list(args)])
        sim._in_event = True
        try:
            result = sim._call(node_id, target, method, args)
        finally:
            sim._in_event = False
        if sim.tracing:  # the reprs cost more than many a call
            sim._record("note", node_id,
                        detail=f"called {method}({', '.join(map(repr, args))}) -> {result!r}")
        if sim.invariants:
            sim._check_invariants()
        return result

    def take_pending(self, event_id: int, action: str,
                     messages_only: bool = False) -> Entry:
        """Remove pending event ``event_id`` from the heap (recorded as an input).

        With ``messages_only``, a timer or other event is refused and nothing changes.
        """
        sim = self._sim
        i, entry = self.find_pending(event_id, action, messages_only)
        self.input(action, [event_id])
        last = sim._heap.pop()
        if i < len(sim._heap):
            sim._heap[i] = last
            heapq.heapify(sim._heap)
        return entry

    def find_pending(self, event_id: int, action: str,
                     messages_only: bool = False) -> tuple[int, Entry]:
        """Where live pending event ``event_id`` is in the heap, and its entry (raises if
        there is none)."""
        sim = self._sim
        found = [(i, e) for i, e in enumerate(sim._heap)
                 if e[2] == event_id and not sim._is_stale(e)]
        if not found:
            ids = ", ".join(str(e.id) for e in sim.pending()[:20])
            raise ConfigError(f"no pending event #{event_id}; pending ids: {ids or 'none'}")
        i, entry = found[0]
        if messages_only and entry[3] != DELIVER:
            verb = {"drop": "dropped", "duplicate": "duplicated"}.get(action, f"{action}ed")
            raise ConfigError(f"event #{event_id} is a {KIND_NAMES[entry[3]]}, not a message; "
                              f"only message deliveries can be {verb}")
        return i, entry
