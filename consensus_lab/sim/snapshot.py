"""Copies and fingerprints of a run's state, for the model checker.

``clone()`` makes an independent simulation that goes on exactly as this
one would (same pending events, same generator states, same recording so
far); ``fingerprint()`` is a hashable value that is equal for two runs
whose futures are the same, whatever the clock shows and however the events
are numbered. :mod:`consensus_lab.explore` searches a protocol's state
space with the two: expand a state by cloning it once per enabled action,
and merge the states whose fingerprints are equal.

Theory of operation
-------------------
``clone`` copies only what can change in place. Values that never do are
shared: the factory, the :class:`~.network.Network` value, clocks, and the
heap's entries (tuples of frozen messages). Node objects and the
invariants are deep-copied *together* (by :func:`.statecopy.copy_state`,
a deep copy that shares immutable values such as messages and log
entries), so an invariant that remembers a node's log
(``RaftInvariants``) still points at the clone's log. Invariant
checks that keep memory must therefore keep it in an object and be its
bound method; a closure over a mutable variable would be shared between
clones. An attribute this module does not know (added to the simulator
later) is deep-copied, which is slow but safe.

``fingerprint`` is, per node id, :meth:`Node.state_key` (or ``None`` when
crashed) and what it persisted; the multiset of in-flight messages as
``(dst, src, msg)``; pending client requests and replies; each node's live
timers by name; held events of paused nodes; the crashed and paused sets
and the cut links; and, for every invariant that is a bound method, its
object's ``state_key()`` (or its frozen attributes), because an invariant
that remembers history (committed entries, leaders per term) judges the
future by it. Left out on purpose: the time, event and message ids, the
recording, the trace and the client history.

Both are functions of a :class:`SnapshotHost`: the whole state of a run,
which the :class:`~.simulation.Simulation` is (and which it hands over to
them from its ``clone`` and ``fingerprint`` methods).
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Collection, Hashable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from .events import DELIVER, TIMER, Entry
from .history import History
from .legacy import Context
from .node import freeze
from .runner import NodeOut, RunnerHost
from .statecopy import copy_state
from .trace import Trace

if TYPE_CHECKING:
    from .choices import ChoicePoint, ChoiceRandom
    from .network import Network
    from .node import Node

# Attributes clone() shares because their values are never changed in place.
_SHARED = frozenset({
    "node_ids", "factory", "seed", "now", "steps", "tracing", "_seq",
    "_in_event", "network", "initial_network", "crashed", "paused",
})
# Attributes clone() copies one level deep (their items are immutable).
_SHALLOW = frozenset({
    "stats", "sent_by_type", "_clocks", "_incarnations",
})
# Attributes clone() rebuilds by hand below.
_REBUILT = frozenset({
    "_cp", "_rngs", "_contexts", "_outs", "nodes", "_invariants", "_heap", "_timers", "_storage",
    "_held", "history", "trace", "_transport", "_clients", "_nemesis", "_control",
})


class SnapshotHost(RunnerHost, Protocol):
    """The state of a run that :func:`clone` copies and :func:`fingerprint` reads."""

    nodes: dict[str, Node | None]
    history: History
    trace: Trace
    network: Network
    crashed: frozenset[str]
    paused: frozenset[str]
    _storage: dict[str, dict[str, Any]]
    _cp: ChoicePoint
    _rngs: dict[str, ChoiceRandom]
    _contexts: dict[str, Context]
    _invariants: list[tuple[str, Any]]
    _heap: list[Entry]
    _timers: dict[str, dict[str, int]]
    _held: dict[str, list[Entry]]

    def _compose(self, source: Self | None = None) -> None: ...


Host = TypeVar("Host", bound=SnapshotHost)


def clone(sim: Host, touch: Iterable[str] | None = None) -> Host:
    """An independent copy of this run as it stands, which continues as it would.

    With ``touch``, only those nodes are copied; the others' objects are
    shared with this run, so neither run may let them handle an event
    again (the model checker's cheap clone before one move at one node).
    """
    twin = object.__new__(type(sim))
    state = twin.__dict__
    for name, value in vars(sim).items():
        if name in _SHARED:
            state[name] = value
        elif name in _SHALLOW:
            state[name] = copy.copy(value)
        elif name not in _REBUILT:
            state[name] = copy.deepcopy(value)  # unknown to this module: be safe
    twin._cp = sim._cp.clone()
    twin._rngs = {}  # made again on first use (each costs a generator's memory)
    for node_id, rng in sim._rngs.items():
        if rng.gauss_next is not None:  # the one state a ChoiceRandom keeps itself
            twin._node_rng(node_id).gauss_next = rng.gauss_next
    memo: dict[int, Any] = {id(sim): twin}
    twin._outs = {node_id: NodeOut(twin, node_id) for node_id in sim._outs}
    twin._contexts = {}
    for node_id, ctx in sim._contexts.items():  # legacy nodes only (temporary)
        fresh = Context(twin, node_id, ctx.peers, twin._outs[node_id])
        fresh._incarnation = ctx._incarnation
        twin._contexts[node_id] = memo[id(ctx)] = fresh
    if touch is None:
        twin.nodes = copy_state(sim.nodes, memo)
    else:
        twin.nodes = _share_nodes(sim, set(touch), memo)
    twin._invariants = copy_state(sim._invariants, memo)
    twin._heap = list(sim._heap)
    twin._timers = {n: dict(t) for n, t in sim._timers.items()}
    # stored values are replaced on persist, never changed in place: one level suffices
    twin._storage = {n: dict(s) for n, s in sim._storage.items()}
    twin._held = {n: list(h) for n, h in sim._held.items()}
    twin.history = History(list(sim.history.ops))
    twin.trace = Trace(list(sim.trace.records))
    twin._compose(sim)  # its own transport, clients...: copies of this run's
    return twin


def _share_nodes(sim: SnapshotHost, touch: set[str],
                 memo: dict[int, Any]) -> dict[str, Node | None]:
    """Copy the ``touch`` nodes, share the rest (and what they hold, for the memo)."""
    nodes: dict[str, Any] = {}
    for node_id, node in sim.nodes.items():
        if node is None or node_id in touch:
            continue
        nodes[node_id] = memo[id(node)] = node
        for value in vars(node).values():  # so the invariants' references stay shared
            memo[id(value)] = value
    for node_id in sim.nodes:
        if node_id not in nodes:
            nodes[node_id] = copy_state(sim.nodes[node_id], memo)
    return {node_id: nodes[node_id] for node_id in sim.nodes}


def fingerprint(sim: SnapshotHost, ignore: Collection[int] = ()) -> Hashable:
    """A hashable value, equal for runs that behave the same from here on.

    It ignores the time and the ids of events and messages (see the
    module docstring for what it covers), and the pending events whose
    ids are in ``ignore`` (a model checker's messages that can no longer
    matter). Nodes appear as ``(id, state_key, stored)`` in a frozenset
    and never by position, so renaming node ids in the value renames
    them in the state (what symmetry reduction needs).
    """
    storage = sim._storage
    nodes = frozenset(
        (i, node.state_key() if node is not None else None, freeze_stored(storage[i]))
        for i, node in sim.nodes.items()
    )
    timers = frozenset((i, frozenset(t)) for i, t in sim._timers.items() if t)
    return (nodes, timers, _in_flight(sim, ignore), sim.crashed, sim.paused,
            sim.network.blocked, _held_key(sim), _invariant_memory(sim))


def _in_flight(sim: SnapshotHost, ignore: Collection[int] = ()) -> Hashable:
    """The multiset of scheduled events but timers, without ids or times."""
    items: list[Hashable] = []
    for _time, _prio, seq, kind, node, data in sim._heap:
        if kind == DELIVER:
            if seq not in ignore:
                items.append((node, data[0], data[1]))
        elif kind != TIMER and seq not in ignore:
            items.append((kind, node, freeze(data)))
    return frozenset(Counter(items).items())


def _held_key(sim: SnapshotHost) -> Hashable:
    """Events waiting for paused nodes, in order, without ids (a message's id,
    a timer's incarnation)."""
    return frozenset(
        (node, tuple((e[3], freeze(e[5][:2] if e[3] == DELIVER else
                                   e[5][0] if e[3] == TIMER else e[5])) for e in held))
        for node, held in sim._held.items()
    )


def _invariant_memory(sim: SnapshotHost) -> Hashable:
    """What invariants with memory remember (their objects' state keys)."""
    keys: list[Hashable] = []
    seen: set[int] = set()
    for _name, check in sim._invariants:
        owner = getattr(check, "__self__", None)
        if owner is None or id(owner) in seen:
            continue
        seen.add(id(owner))
        state_key = getattr(owner, "state_key", None)
        keys.append(state_key() if callable(state_key) else freeze(vars(owner)))
    return tuple(keys)


def freeze_stored(stored: dict[str, Any]) -> Hashable:
    """What a node persisted, hashable (None when nothing).

    Stored values are copies that are replaced, never changed in place, so
    hashable ones are taken as they are (C speed); anything else is frozen.
    """
    if not stored:
        return None
    try:
        return frozenset(stored.items())
    except TypeError:
        return freeze(stored)
