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

Structure: the ``Simulation`` owns the run's state (nodes, heap, timers,
storage, clocks, trace, history) and the scheduling loop, and composes
four parts, each of which reaches the run only through a small protocol of
what it needs: a :class:`~.transport.Transport` (messages and timers;
:class:`~.transport.TransportHost`), a :class:`~.nemesis.Nemesis` (faults),
:class:`~.clients.Clients` (client requests and the history) and a
:class:`~.control.Control` (recording, replay, out-of-turn events).
:mod:`.snapshot` clones and fingerprints the whole state. The public
methods of those parts are the ``Simulation``'s own, delegated.
"""

from __future__ import annotations

import copy
import heapq
import random
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from typing import Any

from . import snapshot
from .choices import ChoicePoint, ChoiceRandom, Recording
from .clients import Clients
from .clock import NodeClock
from .control import Control
from .errors import (
    ConfigError,
    InvariantViolation,
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
from .history import ClientRequest, History
from .nemesis import Nemesis
from .network import Network
from .node import Context, Node
from .trace import Trace, TraceRecord
from .transport import Transport

__all__ = ["Invariant", "NodeFactory", "PendingEvent", "Simulation"]

NodeFactory = Callable[[str, tuple[str, ...]], Node]
Invariant = Callable[["Simulation"], "bool | str | None"]


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


class Simulation:
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
        self._heap: list[Entry] = []
        self._seq = 0
        self._in_event = False
        self._invariants: list[tuple[str, Invariant]] = []
        self._compose()
        self._init_nodes(network or Network())
        self.initial_network = self.network  # what Simulation.replay needs to rebuild the run

    # ----------------------------------------------------------- set-up
    def _compose(self, source: Simulation | None = None) -> None:
        """Make the parts this run is composed of (copies of ``source``'s, for a clone)."""
        if source is None:
            self._transport = Transport(self)
            self._clients = Clients(self)
        else:
            self._transport = source._transport.clone_for(self)
            self._clients = source._clients.clone_for(self)
        self._nemesis = Nemesis(self)
        self._control = Control(self)

    def _init_nodes(self, network: Network) -> None:
        self._check_network_ids(network)
        self.network = network
        self.nodes: dict[str, Node | None] = {}
        self._contexts: dict[str, Context] = {}
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

    def _note(self, node: str, text: str, rule: str = "") -> None:
        self._record("note", node, detail=text, rule=rule)

    # ------------------------------------ transport (what a node's Context calls)
    def _send(self, src: str, dst: str, msg: Any, rule: str = "") -> None:
        self._transport.send(src, dst, msg, rule)

    def _drop(self, node: str, src: str, msg_id: int, msg: Any, why: str) -> None:
        self._transport.drop(node, src, msg_id, msg, why)

    def _set_timer(self, node: str, name: str, after: int) -> None:
        self._transport.set_timer(node, name, after)

    def _cancel_timer(self, node: str, name: str) -> None:
        self._transport.cancel_timer(node, name)

    def _reply(self, node: str, request: ClientRequest, value: Any, ok: bool) -> None:
        self._clients.reply(node, request, value, ok)

    # ------------------------------------------------------------ nemesis
    def partition(self, *groups: Iterable[str]) -> None:
        """Cut every link between ``groups``; unnamed nodes form one more group."""
        self._nemesis.partition(*groups)

    def partition_one_way(self, src: str, dst: str) -> None:
        """Cut only the direction ``src -> dst`` (``dst`` can still reach ``src``)."""
        self._nemesis.partition_one_way(src, dst)

    def heal(self) -> None:
        """Remove every partition."""
        self._nemesis.heal()

    def set_network(self, network: Network | Mapping[str, Any]) -> None:
        """Replace the network model (latency, drops, per-link overrides, cuts)."""
        self._nemesis.set_network(network)

    def crash(self, node: str) -> None:
        """Crash ``node``: it loses everything it did not persist."""
        self._nemesis.crash(node)

    def restart(self, node: str) -> None:
        """Restart a crashed ``node`` from its persisted state only."""
        self._nemesis.restart(node)

    def pause(self, node: str) -> None:
        """Freeze ``node`` (a GC pause): its events wait until ``resume``."""
        self._nemesis.pause(node)

    def resume(self, node: str) -> None:
        """Unfreeze ``node``: everything that waited fires now, in order."""
        self._nemesis.resume(node)

    def set_clock(self, node: str, skew: int = 0, drift_ppm: int = 0) -> None:
        """Give ``node`` a clock ``skew`` ticks off that runs ``drift_ppm`` fast (or slow)."""
        self._nemesis.set_clock(node, skew, drift_ppm)

    def at(self, time: int, action: str, *args: Any) -> None:
        """Schedule the nemesis ``action(*args)`` at ``time`` (e.g. ``at(500, "crash", "n1")``)."""
        self._nemesis.at(time, action, *args)

    # ------------------------------------------------------------ clients
    def submit(self, node: str, f: str, key: Any = None, value: Any = None,
               client: str = "c1", timeout: int | None = None,
               seq: int | None = None) -> ClientRequest:
        """Send operation ``f`` from ``client`` to ``node``; returns the request.

        ``seq`` is the client's own number for the operation: a client that
        retries after a timeout sends the same ``seq`` again, so a server with
        client sessions can apply it once (default: the request's id).
        """
        return self._clients.submit(node, f, key, value, client, timeout, seq)

    # ------------------------------------------------------------ control
    @property
    def choices(self) -> Recording:
        """Every random draw and external input so far (a JSON-able dict)."""
        return self._control.choices

    @property
    def choice_count(self) -> int:
        """How many choices have been recorded (a mark for partial replays)."""
        return self._control.choice_count

    def rng(self, name: str) -> random.Random:
        """A named random stream for a workload script, seeded from the run's seed.

        Its draws are not recorded: they only decide which inputs the script
        makes, and those inputs are recorded themselves, so a replay from the
        choice list does not need to run the script again.
        """
        return self._control.rng(name)

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

    def _input(self, action: str, args: list[Any]) -> None:
        """Record an external input (not one made by a scheduled event)."""
        self._control.input(action, args)

    def fire(self, event_id: int) -> None:
        """Fire the pending event ``event_id`` now, ahead of its turn.

        This is the scheduling choice point: a widget's "deliver this
        message next" and the model checker's exploration both use it.
        """
        self._control.fire(event_id)

    def drop(self, event_id: int) -> None:
        """Lose the pending message ``event_id`` in the network (RaftScope's "drop").

        Only message deliveries can be dropped; a timer is a node's own
        business (crash or pause the node instead).
        """
        self._control.drop(event_id)

    def duplicate(self, event_id: int) -> int:
        """Put a second copy of the pending message ``event_id`` in flight; returns its id.

        The copy is due at the same time and carries the same message id,
        like a duplicate made by the network; recorded for replay. The
        model checker's "deliver but keep a copy" is ``duplicate`` then
        ``fire``.
        """
        return self._control.duplicate(event_id)

    def call(self, node_id: str, method: str, *args: Any) -> Any:
        """Call ``node.method(ctx, *args)`` from outside, as a recorded input.

        For test harnesses and notebooks that drive a node directly, like
        6.5840's ``Start(command)``: the call is recorded (so the run
        replays from its choices), its effects are not separate inputs, and
        the invariants are checked right after it.
        """
        return self._control.call(node_id, method, *args)

    # ----------------------------------------------------------- snapshot
    def clone(self, touch: Iterable[str] | None = None) -> Simulation:
        """An independent copy of this run as it stands, which continues as it would.

        With ``touch``, only those nodes are copied; the others' objects are
        shared with this run, so neither run may let them handle an event
        again (the model checker's cheap clone before one move at one node).
        See :mod:`.snapshot`.
        """
        return snapshot.clone(self, touch)

    def fingerprint(self, ignore: Collection[int] = ()) -> Hashable:
        """A hashable value, equal for runs that behave the same from here on.

        It ignores the time and the ids of events and messages (see
        :mod:`.snapshot` for what it covers), and the pending events whose
        ids are in ``ignore`` (a model checker's messages that can no longer
        matter). Nodes appear as ``(id, state_key, stored)`` in a frozenset
        and never by position, so renaming node ids in the value renames
        them in the state (what symmetry reduction needs).
        """
        return snapshot.fingerprint(self, ignore)
