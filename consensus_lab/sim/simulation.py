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
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .choices import ChoicePoint, ChoiceRandom, Recording, stream_seed
from .clients import ClientsMixin
from .clock import NodeClock
from .errors import (
    ConfigError,
    InvariantViolation,
    ReplayDivergence,
    SimulationError,
    UnknownNodeError,
)
from .history import ClientRequest, History
from .nemesis import NemesisMixin
from .network import Network
from .node import Context, Node
from .trace import Trace, TraceRecord

NodeFactory = Callable[[str, tuple[str, ...]], Node]
Invariant = Callable[["Simulation"], "bool | str | None"]

# Event kinds (ints keep the hot path cheap) and their names for people.
DELIVER, TIMER, REQUEST, REPLY, TIMEOUT, NEMESIS = range(6)
KIND_NAMES = ("deliver", "timer", "request", "reply", "timeout", "nemesis")
_URGENT, _NORMAL = 0, 1
# Builds a TraceRecord without NamedTuple's Python-level __new__ (hot path).
_new_record = tuple.__new__


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


class Simulation(NemesisMixin, ClientsMixin):
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
            self._rngs[node_id] = ChoiceRandom(self._cp, f"node/{node_id}")
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
        ctx = Context(self, node_id, peers, self._rngs[node_id])
        self._contexts[node_id] = ctx
        self._record("start", node_id)
        node.on_start(ctx)

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

    # ------------------------------------------------------- randomness
    @property
    def choices(self) -> Recording:
        """Every random draw and external input so far (a JSON-able dict)."""
        return self._cp.recording

    @property
    def choice_count(self) -> int:
        """How many choices have been recorded (a mark for partial replays)."""
        return self._cp.count

    def rng(self, name: str) -> random.Random:
        """A named random stream for a workload script, seeded from the run's seed.

        Its draws are not recorded: they only decide which inputs the script
        makes, and those inputs are recorded themselves, so a replay from the
        choice list does not need to run the script again.
        """
        return random.Random(stream_seed(self.seed, f"user/{name}"))

    @classmethod
    def replay(
        cls,
        factory: NodeFactory,
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
        sim.run(max_steps=steps)
        sim._apply_recorded_inputs()
        unused = sim._cp.unused()
        if unused:
            raise ReplayDivergence(
                f"replay stopped at step {sim.steps} (asked for {steps}) with {unused} "
                "recorded choices unused: the code or the inputs differ from the recording"
            )
        return sim

    def _apply_recorded_inputs(self) -> None:
        while (item := self._cp.next_input(self.steps)) is not None:
            action, args = item
            if action == "call":
                node_id, method, call_args = args
                self.call(node_id, method, *call_args)
            else:
                getattr(self, action)(*args)

    def _input(self, action: str, args: list[Any]) -> None:
        """Record an external input (not one made by a scheduled event)."""
        if not self._in_event:
            self._cp.record_input(self.steps, action, args)

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
        time, _prio, seq, kind, node, data = entry
        base = {"id": seq, "time": time, "kind": KIND_NAMES[kind], "node": node}
        if kind == DELIVER:
            return PendingEvent(**base, src=data[0], msg=data[1])
        if kind == TIMER:
            return PendingEvent(**base, name=data[0])
        if kind == NEMESIS:
            return PendingEvent(**base, name=f"{data[0]} {data[1]}")
        return PendingEvent(**base, msg=data if kind != REPLY else data[0])

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

    def fire(self, event_id: int) -> None:
        """Fire the pending event ``event_id`` now, ahead of its turn.

        This is the scheduling choice point: a widget's "deliver this
        message next" and the model checker's exploration both use it.
        """
        entry = self._take_pending(event_id, "fire")
        self._fire_entry((self.now, *entry[1:]))

    def drop(self, event_id: int) -> None:
        """Lose the pending message ``event_id`` in the network (RaftScope's "drop").

        Only message deliveries can be dropped; a timer is a node's own
        business (crash or pause the node instead).
        """
        kinds = {e.id: e.kind for e in self.pending()}
        if kinds.get(event_id, "deliver") != "deliver":
            raise ConfigError(f"event #{event_id} is a {kinds[event_id]}, not a message; "
                              "only message deliveries can be dropped")
        entry = self._take_pending(event_id, "drop")
        src, msg, msg_id = entry[5]
        self._drop(entry[4], src, msg_id, msg, "dropped by hand")

    def call(self, node_id: str, method: str, *args: Any) -> Any:
        """Call ``node.method(ctx, *args)`` from outside, as a recorded input.

        For test harnesses and notebooks that drive a node directly, like
        6.5840's ``Start(command)``: the call is recorded (so the run
        replays from its choices), its effects are not separate inputs, and
        the invariants are checked right after it.
        """
        self._check_node(node_id)
        target = self.nodes[node_id]
        if target is None:
            raise ConfigError(f"cannot call {method}() on {node_id}: it is crashed")
        handler = getattr(target, method, None)
        if not callable(handler):
            raise ConfigError(f"{type(target).__name__} has no method {method!r}")
        self._input("call", [node_id, method, list(args)])
        self._in_event = True
        try:
            result = handler(self._contexts[node_id], *args)
        finally:
            self._in_event = False
        if self._invariants:
            self._check_invariants()
        return result

    def _take_pending(self, event_id: int, action: str) -> tuple[Any, ...]:
        """Remove pending event ``event_id`` from the heap (recorded as an input)."""
        found = [i for i, e in enumerate(self._heap) if e[2] == event_id and not self._is_stale(e)]
        if not found:
            ids = ", ".join(str(e.id) for e in self.pending()[:20])
            raise ConfigError(f"no pending event #{event_id}; pending ids: {ids or 'none'}")
        i = found[0]
        entry = self._heap[i]
        self._input(action, [event_id])
        last = self._heap.pop()
        if i < len(self._heap):
            self._heap[i] = last
            heapq.heapify(self._heap)
        return entry

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

    # ------------------------------------------------------ the network
    def _send(self, src: str, dst: str, msg: Any) -> None:
        if dst not in self._clocks:
            raise UnknownNodeError(
                f"{src} sent {msg} to unknown node {dst!r}; nodes: {', '.join(self.node_ids)}"
            )
        self._msg_ids += 1
        msg_id = self._msg_ids
        self.stats["sent"] += 1
        name = type(msg).__name__
        self.sent_by_type[name] = self.sent_by_type.get(name, 0) + 1
        if self.tracing:
            self.trace.records.append(
                _new_record(TraceRecord, (self.steps, self.now, "send", src, dst, msg_id, msg,
                                          "", ""))
            )
        net = self.network
        faults = net.links.get((src, dst), net.default) if net.links else net.default
        if (src, dst) in net.blocked:
            self._drop(dst, src, msg_id, msg, "partitioned")
            return
        cp = self._cp
        if faults.drop and cp.random("net") < faults.drop:
            self._drop(dst, src, msg_id, msg, "lost")
            return
        self._schedule_delivery(src, dst, msg, msg_id, faults)
        if faults.duplicate and cp.random("net") < faults.duplicate:
            self.stats["duplicated"] += 1
            self._record("duplicate", src, dst, msg_id, msg)
            self._schedule_delivery(src, dst, msg, msg_id, faults)

    def _schedule_delivery(self, src: str, dst: str, msg: Any, msg_id: int, faults: Any) -> None:
        low, high = faults.latency
        at = self.now + (low if low == high else low + self._cp.below("net", high - low + 1))
        if faults.reorder and self._cp.random("net") < faults.reorder:
            at += self._cp.below("net", faults.reorder_delay + 1)
        else:
            link = (src, dst)
            last = self._fifo.get(link, 0)
            if at < last:
                at = last
            self._fifo[link] = at
        self._seq += 1
        heapq.heappush(self._heap, (at, _NORMAL, self._seq, DELIVER, dst, (src, msg, msg_id)))

    def _drop(self, node: str, src: str, msg_id: int, msg: Any, why: str) -> None:
        self.stats["dropped"] += 1
        if self.tracing:
            self._record("drop", node, src, msg_id, msg, why)

    def _deliver(self, node: str, data: tuple[str, Any, int]) -> None:
        src, msg, msg_id = data
        target = self.nodes[node]
        if target is None:
            self._drop(node, src, msg_id, msg, "node down")
        elif (src, node) in self.network.blocked:
            self._drop(node, src, msg_id, msg, "partitioned")
        else:
            self.stats["delivered"] += 1
            if self.tracing:
                records = self.trace.records
                at, step, now = len(records), self.steps, self.now
                target.on_message(self._contexts[node], src, msg)
                records.insert(at, _new_record(
                    TraceRecord, (step, now, "deliver", node, src, msg_id, msg, "",
                                  target.describe())))
            else:
                target.on_message(self._contexts[node], src, msg)

    # ---------------------------------------------------------- timers
    def _set_timer(self, node: str, name: str, after: int) -> None:
        if not isinstance(after, int) or after < 0:
            raise ConfigError(f"timer {name!r} at {node}: delay must be an int >= 0, got {after!r}")
        at = self.now + self._clocks[node].true_delay(after)
        seq = self._push(at, TIMER, node, (name, self._incarnations[node]))
        self._timers[node][name] = seq

    def _cancel_timer(self, node: str, name: str) -> None:
        self._timers[node].pop(name, None)

    def _fire_timer(self, node: str, name: str) -> None:
        del self._timers[node][name]
        self.stats["timers"] += 1
        target = self.nodes[node]
        assert target is not None  # stale timers of crashed nodes never get here
        if self.tracing:
            records = self.trace.records
            at, step, now = len(records), self.steps, self.now
            target.on_timer(self._contexts[node], name)
            records.insert(at, _new_record(
                TraceRecord, (step, now, "timer", node, "", -1, None, name, target.describe())))
        else:
            target.on_timer(self._contexts[node], name)

    # ------------------------------------------------------------ helpers
    def _record(self, kind: str, node: str, peer: str = "", msg_id: int = -1,
                message: Any = None, detail: str = "", state: str | None = None) -> None:
        if not self.tracing:
            return
        if state is None and kind in ("start", "note") and node in self.nodes:
            target = self.nodes[node]
            state = target.describe() if target is not None else ""
        self.trace.append(TraceRecord(self.steps, self.now, kind, node, peer, msg_id,
                                      message, detail, state or ""))

    def _note(self, node: str, text: str) -> None:
        self._record("note", node, detail=text)

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
