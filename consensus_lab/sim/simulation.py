"""The one deterministic discrete-event simulator.

Theory of operation
-------------------
Pending events live in a heap of ``(time, priority, seq, kind, node, data)``
tuples; ``seq`` is a per-simulation counter, so two events at the same time
always fire in the order they were scheduled and the tuple never compares
its payload. Time is an integer. ``step()`` pops the next event, advances
``now`` to its time and hands it to the node's handler; the handler acts
through its :class:`Context`, which schedules new events (deliveries,
timers, replies). After every event the registered invariants are checked.

Every nondeterministic decision goes through one :class:`ChoicePoint`:
random draws (latency, drop, duplicate, reorder, ``ctx.rng``) and external
inputs (nemesis actions, client requests and out-of-order ``fire`` calls
made from outside a handler). So a run is reproduced by its seed, or by its
recorded ``choices`` alone (:meth:`Simulation.replay`).

Faults: the :class:`Network` value decides latency, drops, duplicates and
reordering per link and which links a partition cuts; nemesis actions
(:mod:`.nemesis`) crash, restart, pause, resume and skew nodes.
"""

from __future__ import annotations

import copy
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .choices import ChoicePoint, ChoiceRandom, Recording
from .clients import ClientsMixin
from .clock import NodeClock
from .control import ControlMixin
from .errors import (
    ConfigError,
    InvariantViolation,
    SimulationError,
    UnknownNodeError,
)
from .events import _NORMAL, DELIVER, KIND_NAMES, NEMESIS, REPLY, REQUEST, TIMEOUT, TIMER
from .history import ClientRequest, History
from .nemesis import NemesisMixin
from .network import Network
from .node import Context, Node
from .snapshot import SnapshotMixin
from .trace import Trace
from .transport import TransportMixin

NodeFactory = Callable[[str, tuple[str, ...]], Node]
Invariant = Callable[["Simulation"], "bool | str | None"]



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


def _node_ids(node_ids: int | Iterable[str]) -> tuple[str, ...]:
    if isinstance(node_ids, int):
        if node_ids < 1:
            raise ConfigError(f"a simulation needs at least one node, got {node_ids}")
        return tuple(f"n{i}" for i in range(1, node_ids + 1))
    ids = tuple(node_ids)
    if not ids:
        raise ConfigError("a simulation needs at least one node, got an empty list")
    bad = [i for i in ids if not isinstance(i, str) or not i]
    if bad:
        raise ConfigError(f"node ids must be non-empty strings, got {bad[0]!r}")
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"duplicate node id {dupes[0]!r}: every node needs its own id")
    return ids


class Simulation(TransportMixin, ControlMixin, NemesisMixin, ClientsMixin, SnapshotMixin):
    """A cluster of sans-I/O nodes on a simulated network with faults."""

    def __init__(
        self,
        factory: NodeFactory,
        node_ids: int | Iterable[str] = 3,
        *,
        seed: int = 0,
        network: Network | None = None,
        trace: bool = True,
        replay: Recording | None = None,
    ) -> None:
        if not callable(factory):
            raise ConfigError(f"factory must be callable (node_id, peers) -> Node, got {factory!r}")
        if not isinstance(seed, int):
            raise ConfigError(f"seed must be an int, got {seed!r}")
        self.node_ids = _node_ids(node_ids)
        self.factory = factory
        self.seed = seed
        self.now = 0
        self.steps = 0
        self.tracing = trace
        self.trace = Trace()
        self.history = History()
        self.stats: dict[str, int] = dict.fromkeys(
            ("sent", "delivered", "dropped", "duplicated", "timers", "requests"), 0
        )
        self.sent_by_type: dict[str, int] = {}
        self._cp = ChoicePoint(seed, replay)
        self._heap: list[tuple[Any, ...]] = []
        self._seq = 0
        self._msg_ids = 0
        self._request_ids = 0
        self._in_event = False
        self._invariants: list[tuple[str, Invariant]] = []
        self._fifo: dict[tuple[str, str], int] = {}
        self._open_requests: dict[int, ClientRequest] = {}
        self._init_nodes(network or Network())
        self.initial_network = self.network  # what Simulation.replay needs to rebuild the run

    # ----------------------------------------------------------- set-up
    def _init_nodes(self, network: Network) -> None:
        self._check_network_ids(network)
        self.network = network
        self.nodes: dict[str, Node | None] = {}
        self._contexts: dict[str, Context] = {}
        self._incarnations: dict[str, int] = {}
        self._timers: dict[str, dict[str, int]] = {}
        self._storage: dict[str, dict[str, Any]] = {}
        self._clocks: dict[str, NodeClock] = {}
        self._held: dict[str, list[tuple[Any, ...]]] = {}
        self._rngs: dict[str, ChoiceRandom] = {}
        for node_id in self.node_ids:
            self._storage[node_id] = {}
            self._clocks[node_id] = NodeClock()
            self._incarnations[node_id] = 0
        self.crashed: frozenset[str] = frozenset()
        self.paused: frozenset[str] = frozenset()
        for node_id in self.node_ids:
            self._boot(node_id)

    def _boot(self, node_id: str) -> None:
        """Create a fresh node object from the factory and call ``on_start``."""
        peers = tuple(sorted(i for i in self.node_ids if i != node_id))
        node = self.factory(node_id, peers)
        if not isinstance(node, Node):
            raise ConfigError(f"factory must return a Node, got {type(node).__name__}")
        self._incarnations[node_id] += 1
        self._timers[node_id] = {}
        self.nodes[node_id] = node
        ctx = Context(self, node_id, peers)
        self._contexts[node_id] = ctx
        self._record("start", node_id)
        node.on_start(ctx)

    def _node_rng(self, node_id: str) -> ChoiceRandom:
        """The random stream of ``node_id`` (one per node for the whole run)."""
        rng = self._rngs.get(node_id)
        if rng is None:
            rng = self._rngs[node_id] = ChoiceRandom(self._cp, f"node/{node_id}")
        return rng

    def _check_network_ids(self, network: Network) -> None:
        if not isinstance(network, Network):
            raise ConfigError(f"network must be a Network, got {type(network).__name__}")
        for node_id in sorted(network.node_ids_mentioned()):
            self._check_node(node_id)

    def _check_node(self, node_id: str) -> None:
        if node_id not in self.node_ids:
            raise UnknownNodeError(
                f"unknown node {node_id!r}; this simulation has {', '.join(self.node_ids)}"
            )

    def stored(self, node_id: str) -> dict[str, Any]:
        """A copy of what ``node_id`` persisted: what it would recover on restart."""
        self._check_node(node_id)
        return copy.deepcopy(self._storage[node_id])

    def incarnation(self, node_id: str) -> int:
        """How many times ``node_id`` has been started or crashed (changes on both)."""
        self._check_node(node_id)
        return self._incarnations[node_id]

    # --------------------------------------------------------- scheduling
    def _push(self, time: int, kind: int, node: str, data: Any, prio: int = _NORMAL) -> int:
        self._seq += 1
        heapq.heappush(self._heap, (time, prio, self._seq, kind, node, data))
        return self._seq

    def peek(self) -> int | None:
        """The time of the next live event, or None when nothing is pending."""
        self._drop_stale_head()
        return self._heap[0][0] if self._heap else None

    def _is_stale(self, entry: tuple[Any, ...]) -> bool:
        if entry[3] != TIMER:
            return False
        name, incarnation = entry[5]
        node = entry[4]
        return (
            self._incarnations[node] != incarnation
            or self._timers[node].get(name) != entry[2]
        )

    def _drop_stale_head(self) -> None:
        heap = self._heap
        while heap and heap[0][3] == TIMER and self._is_stale(heap[0]):
            heapq.heappop(heap)

    def pending(self) -> list[PendingEvent]:
        """Every live scheduled event, in the order it would fire."""
        live = sorted(e for e in self._heap if not self._is_stale(e))
        return [self._describe_event(e) for e in live]

    def _describe_event(self, entry: tuple[Any, ...]) -> PendingEvent:
        time, _prio, seq, kind, node, data = entry  # positional: a model checker's hot path
        name = KIND_NAMES[kind]
        if kind == DELIVER:
            return PendingEvent(seq, time, name, node, data[0], data[1])
        if kind == TIMER:
            return PendingEvent(seq, time, name, node, "", None, data[0])
        if kind == NEMESIS:
            return PendingEvent(seq, time, name, node, "", None, f"{data[0]} {data[1]}")
        return PendingEvent(seq, time, name, node, "", data if kind != REPLY else data[0])

    # --------------------------------------------------------- stepping
    def step(self) -> bool:
        """Fire the next event. Returns False when nothing is pending."""
        if self._cp._pending_inputs is not None:
            before = self.steps
            self._apply_recorded_inputs()
            if self.steps != before:
                return True
        heap = self._heap
        while heap:
            entry = heapq.heappop(heap)
            if entry[3] != TIMER or not self._is_stale(entry):
                self._fire_entry(entry)
                return True
        return False

    def _fire_entry(self, entry: tuple[Any, ...]) -> None:
        time, _prio, _seq, kind, node, data = entry
        self.now = time
        self.steps += 1
        self._in_event = True
        try:
            if kind <= REQUEST and node in self.paused:
                self._hold(entry)
            elif kind == DELIVER:
                self._deliver(node, data)
            elif kind == TIMER:
                self._fire_timer(node, data[0])
            elif kind == REQUEST:
                self._arrive_request(node, data)
            elif kind == REPLY:
                self._complete(node, data)
            elif kind == TIMEOUT:
                self._time_out(data)
            else:
                self._run_nemesis(data)
        finally:
            self._in_event = False
        if self._invariants:
            self._check_invariants()

    def run(
        self,
        until: int | Callable[[Simulation], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Step until time ``until``, until ``until(sim)`` is true, or ``max_steps``.

        With an int, events at exactly ``until`` fire and ``now`` ends at
        ``until`` even if nothing happened. Returns the steps taken.
        """
        if isinstance(until, int) and until < self.now:
            raise ConfigError(f"run(until={until}) is in the past: now is {self.now}")
        if until is None and max_steps is None:
            raise ConfigError("run() needs until=, max_steps=, or both (protocols with "
                              "heartbeats never run out of events); use stabilize() to drain")
        taken = 0
        limit = max_steps if max_steps is not None else -1
        if until is None:
            while taken != limit and self.step():
                taken += 1
            return taken
        while taken != limit:
            if callable(until):
                if until(self) or not self.step():
                    break
            else:
                next_time = self.peek()
                if next_time is None or next_time > until:
                    break
                self.step()
            taken += 1
        if isinstance(until, int) and taken != limit and until > self.now:
            self.advance(until)
        return taken

    def advance(self, time: int) -> None:
        """Let time pass to ``time`` without firing anything (recorded for replay)."""
        if not isinstance(time, int) or time < self.now:
            raise ConfigError(f"advance(time) needs an int >= now ({self.now}), got {time!r}")
        next_time = self.peek()
        if next_time is not None and next_time < time:
            raise ConfigError(f"cannot advance to {time}: an event is pending at {next_time}")
        self._input("advance", [time])
        self.now = time

    def stabilize(self, max_steps: int = 100_000) -> int:
        """Run until no event is pending; raise if that takes over ``max_steps``."""
        taken = 0
        while self.step():
            taken += 1
            if taken >= max_steps:
                raise SimulationError(
                    f"still busy after {max_steps} steps (t={self.now}): timers that re-arm "
                    "forever never stabilize; use run(until=...) instead"
                )
        return taken

    # ----------------------------------------------------- invariants
    def add_invariant(self, name: str, check: Invariant) -> None:
        """Check ``check(sim)`` after every event; False or a string = violated."""
        if not callable(check):
            raise ConfigError(f"invariant {name!r} must be callable (sim) -> bool/str/None")
        self._invariants.append((name, check))

    @property
    def invariants(self) -> tuple[tuple[str, Invariant], ...]:
        """The registered invariants, as ``(name, check)`` pairs in the order added."""
        return tuple(self._invariants)

    def check_invariants(self) -> None:
        """Check every invariant now (raises :class:`InvariantViolation`)."""
        self._check_invariants()

    def _check_invariants(self) -> None:
        for name, check in self._invariants:
            result = check(self)
            if result is False or isinstance(result, str):
                message = result if isinstance(result, str) else "returned False"
                self._record("note", "", detail=f"INVARIANT {name} VIOLATED: {message}")
                raise InvariantViolation(
                    name, message, step=self.steps, time=self.now, trace=self.trace,
                    seed=self.seed, choices=self.choices,
                )

    def view(self) -> dict[str, dict[str, Any]]:
        """Every node's ``view()`` plus its status (up / paused / crashed)."""
        table: dict[str, dict[str, Any]] = {}
        for node_id in self.node_ids:
            node = self.nodes[node_id]
            status = "crashed" if node is None else "paused" if node_id in self.paused else "up"
            table[node_id] = {"status": status, **(node.view() if node is not None else {})}
        return table

    def __repr__(self) -> str:
        return (f"<Simulation seed={self.seed} t={self.now} steps={self.steps} "
                f"nodes={len(self.node_ids)} pending={len(self._heap)}>")
