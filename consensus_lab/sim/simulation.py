"""The one deterministic discrete-event simulator.

Theory of operation
-------------------
Pending events live in a heap of ``(time, priority, seq, kind, node, data)``
tuples; ``seq`` is a per-simulation counter, so two events at the same time
always fire in the order they were scheduled and the tuple never compares
its payload. Time is an integer. ``step()`` pops the next event, advances
``now`` to its time and hands it to the node as an input (``Deliver``,
``Fire``, ``Request``, carrying the node's local clock): the node's
protocol steps to a new state value and returns effects, which
:mod:`.runner` carries out in order (:mod:`.stepping`, shared with the
model checker's world), scheduling new events (deliveries, timers,
replies). After every event the registered invariants are checked.

Every nondeterministic decision goes through one :class:`ChoicePoint`:
random draws (latency, drop, duplicate, reorder, timer durations) and external
inputs (nemesis actions, client requests and out-of-order ``fire`` calls
made from outside a handler). So a run is reproduced by its seed, or by its
recorded ``choices`` alone (:meth:`Simulation.replay`).

Faults: the :class:`Network` value (latency, drops, duplicates, reordering,
cut links) and nemesis actions (:mod:`.nemesis`: crash, restart, pause, skew).

Structure: the ``Simulation`` owns the run's state (nodes, heap, timers,
storage, clocks, trace, history) and the scheduling loop, and composes
four parts, each of which reaches the run only through a small protocol of
what it needs: a :class:`~.transport.Transport` (messages and timers;
:class:`~.transport.TransportHost`), a :class:`~.nemesis.Nemesis` (faults),
:class:`~.clients.Clients` (client requests and the history) and a
:class:`~.control.Control` (recording, replay, out-of-turn events).
The public
methods of those parts are the ``Simulation``'s own, delegated
(:mod:`.controls`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from . import runner
from .choices import ChoicePoint, ChoiceRandom, Recording
from .clients import Clients
from .clock import NodeClock
from .control import Control
from .controls import Controls, Invariant
from .errors import (
    ConfigError,
    ReplayDivergence,
    SimulationError,
    UnknownNodeError,
)
from .events import (
    _NORMAL,
    DELIVER,
    KIND_NAMES,
    NEMESIS,
    REPLY,
    REQUEST,
    TIMEOUT,
    TIMER,
    Entry,
    PendingEvent,
)
from .history import History
from .nemesis import Nemesis
from .network import Network
from .node import Node
from .step import StepNode, StepProtocol
from .trace import Trace, TraceRecord
from .transport import Transport

__all__ = ["Invariant", "NodeFactory", "PendingEvent", "Simulation"]

NodeFactory = Callable[[str, tuple[str, ...]], Node]  # or a StepProtocol every node runs


class Simulation(Controls):
    """A cluster of sans-I/O nodes on a simulated network with faults."""

    def __init__(
        self,
        factory: NodeFactory | StepProtocol[Any],
        node_ids: int | Iterable[str] = 3,
        *,
        seed: int = 0,
        network: Network | None = None,
        trace: bool = True,
        replay: Recording | None = None,
    ) -> None:
        if isinstance(factory, StepProtocol):  # every node runs this protocol
            factory = partial(StepNode, protocol=factory)
        if not callable(factory):
            raise ConfigError(f"factory must be a StepProtocol or callable (node_id, peers) "
                              f"-> Node, got {factory!r}")
        if not isinstance(seed, int):
            raise ConfigError(f"seed must be an int, got {seed!r}")
        self.node_ids = runner.node_ids(node_ids)
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
        self._heap: list[Entry] = []
        self._seq = 0
        self._in_event = False
        self._invariants: list[tuple[str, Invariant]] = []
        self._compose()
        self._init_nodes(network or Network())
        self.initial_network = self.network  # what Simulation.replay needs to rebuild the run

    # ----------------------------------------------------------- set-up
    def _compose(self) -> None:
        """Make the parts this run is composed of."""
        self._transport = Transport(self)
        self._clients = Clients(self)
        self._nemesis = Nemesis(self)
        self._control = Control(self)

    def _init_nodes(self, network: Network) -> None:
        self._check_network_ids(network)
        self.network = network
        self.nodes: dict[str, Node | None] = {}
        self._outs: dict[str, runner.NodeOut] = {}
        self._incarnations: dict[str, int] = {}
        self._timers: dict[str, dict[str, int]] = {}
        self._storage: dict[str, dict[str, Any]] = {}
        self._clocks: dict[str, NodeClock] = {}
        self._held: dict[str, list[Entry]] = {}
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
        """Create a fresh node object from the factory and start it from its storage."""
        peers = tuple(sorted(i for i in self.node_ids if i != node_id))
        node = self.factory(node_id, peers)
        if not isinstance(node, Node):
            raise ConfigError(f"factory must return a Node, got {type(node).__name__}")
        self._incarnations[node_id] += 1
        self._timers[node_id] = {}
        self.nodes[node_id] = node
        runner.boot(self, node_id, node)

    _take = runner.take  # (node_id, node, input): one step, its effects carried out
    _call = runner.call  # (node_id, node, method, args): a method called from outside

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

    # --------------------------------------------------------- scheduling
    def _push(self, time: int, kind: int, node: str, data: Any, prio: int = _NORMAL) -> int:
        self._seq += 1
        heapq.heappush(self._heap, (time, prio, self._seq, kind, node, data))
        return self._seq

    def peek(self) -> int | None:
        """The time of the next live event, or None when nothing is pending."""
        self._drop_stale_head()
        return self._heap[0][0] if self._heap else None

    def _is_stale(self, entry: Entry) -> bool:
        if entry[3] != TIMER:
            return False
        name: str
        incarnation: int
        name, incarnation = entry[5]
        node: str = entry[4]
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

    def _describe_event(self, entry: Entry) -> PendingEvent:
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
            self._control.apply_recorded_inputs()
            if self.steps != before:
                return True
        heap = self._heap
        while heap:
            entry = heapq.heappop(heap)
            if entry[3] != TIMER or not self._is_stale(entry):
                self._fire_entry(entry)
                return True
        return False

    def _fire_entry(self, entry: Entry) -> None:
        time, _prio, _seq, kind, node, data = entry
        self.now = time
        self.steps += 1
        self._in_event = True
        try:
            if kind <= REQUEST and node in self.paused:
                self._nemesis.hold(entry)
            elif kind == DELIVER:
                self._transport.deliver(node, data)
            elif kind == TIMER:
                self._transport.fire_timer(node, data[0])
            elif kind == REQUEST:
                self._clients.arrive(node, data)
            elif kind == REPLY:
                self._clients.complete(node, data)
            elif kind == TIMEOUT:
                self._clients.time_out(data)
            else:
                self._nemesis.run(data)
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

    # ------------------------------------------------- trace (every part writes)
    def _record(self, kind: str, node: str, peer: str = "", msg_id: int = -1,
                message: Any = None, detail: str = "", state: str | None = None,
                rule: str = "") -> None:
        if not self.tracing:
            return
        if state is None and kind in ("start", "note") and node in self.nodes:
            target = self.nodes[node]
            state = target.describe() if target is not None else ""
        self.trace.append(TraceRecord(self.steps, self.now, kind, node, peer, msg_id,
                                      message, detail, state or "", rule))

    def _send(self, src: str, dst: str, msg: Any, rule: str = "") -> None:
        """Every message a node sends passes here (a seam tests use to watch them)."""
        self._transport.send(src, dst, msg, rule)

    def _drop(self, node: str, src: str, msg_id: int, msg: Any, why: str) -> None:
        self._transport.drop(node, src, msg_id, msg, why)

    @classmethod
    def replay(
        cls,
        factory: NodeFactory | StepProtocol[Any],
        node_ids: int | Iterable[str],
        choices: Recording,
        steps: int,
        *,
        seed: int = 0,
        network: Network | None = None,
        trace: bool = True,
    ) -> Simulation:
        """Rebuild a run from its recorded ``choices``, ``steps`` steps long.

        With the original ``seed`` too, the rebuilt run can go on past the
        recording exactly as the original would have.
        """
        sim = cls(factory, node_ids, seed=seed, network=network, trace=trace, replay=choices)
        # Count steps, not calls: one step() may apply several recorded
        # inputs, and each out-of-turn ``fire`` among them is a step.
        while sim.steps < steps and sim.step():
            pass
        sim._control.apply_recorded_inputs()
        unused = sim._cp.unused()
        if unused:
            raise ReplayDivergence(
                f"replay stopped at step {sim.steps} (asked for {steps}) with {unused} "
                "recorded choices unused: the code or the inputs differ from the recording"
            )
        return sim
