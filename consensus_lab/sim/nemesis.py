"""Nemesis actions: the faults a learner (or a test) inflicts on a run.

Each public method validates its arguments (an unknown node or an action
that makes no sense raises :class:`ConfigError` naming it, and changes
nothing), is recorded as an external input so the run replays, and writes a
``nemesis`` trace record. ``at(time, action, *args)`` schedules any of them
as an event instead.

* ``partition(*groups)`` cuts every link between the groups (nodes left out
  form one more group); ``partition_one_way(src, dst)`` cuts one direction.
  Messages already in flight on a cut link are dropped on arrival.
* ``crash(node)`` throws the node object away: only what it persisted
  survives. Its timers die; messages to it are dropped while it is down.
* ``restart(node)`` builds a fresh node from the factory and starts its
  protocol from what it persisted (``protocol.start(..., stored)``).
* ``pause(node)`` is a GC pause: the node handles nothing; its timers and
  inbound messages wait and all fire, in order, on ``resume(node)``.
* ``set_clock(node, skew, drift_ppm)`` changes a node's local clock.

:class:`Nemesis` is the part of the :class:`~.simulation.Simulation` that
does this; it keeps no state of its own and changes the run's through
:class:`NemesisHost`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .clock import NodeClock
from .errors import ConfigError
from .events import _URGENT, DELIVER, NEMESIS, REQUEST, TIMER, Entry
from .network import Network, partition_links

if TYPE_CHECKING:
    from .node import Node

NEMESIS_ACTIONS = (
    "partition", "partition_one_way", "heal", "crash", "restart",
    "pause", "resume", "set_clock", "set_network",
)


class NemesisHost(Protocol):
    """What :class:`Nemesis` needs from the simulation it serves."""

    node_ids: tuple[str, ...]
    now: int
    tracing: bool
    network: Network
    nodes: dict[str, Node | None]
    crashed: frozenset[str]
    paused: frozenset[str]
    _incarnations: dict[str, int]
    _timers: dict[str, dict[str, int]]
    _held: dict[str, list[Entry]]
    _clocks: dict[str, NodeClock]

    def _check_node(self, node_id: str) -> None: ...

    def _check_network_ids(self, network: Network) -> None: ...

    def _boot(self, node_id: str) -> None: ...

    def _input(self, action: str, args: list[Any]) -> None: ...

    def _push(self, time: int, kind: int, node: str, data: Any, prio: int = ...) -> int: ...

    def _record(self, kind: str, node: str, peer: str = "", msg_id: int = -1,
                message: Any = None, detail: str = "", state: str | None = None) -> None: ...


class Nemesis:
    """Fault injection for :class:`~.simulation.Simulation` (see the module docstring)."""

    __slots__ = ("_sim",)

    def __init__(self, sim: NemesisHost) -> None:
        self._sim = sim

    def partition(self, *groups: Iterable[str]) -> None:
        """Cut every link between ``groups``; unnamed nodes form one more group."""
        sim = self._sim
        sets = [sorted(set(g)) for g in groups]
        named = [n for g in sets for n in g]
        for node_id in named:
            sim._check_node(node_id)
        if len(named) != len(set(named)):
            raise ConfigError(f"a node may be in only one partition group, got {sets}")
        rest = [n for n in sim.node_ids if n not in set(named)]
        all_groups = [g for g in sets + [rest] if g]
        if len(all_groups) < 2:
            raise ConfigError(f"a partition needs at least two non-empty groups, got {sets}")
        sim._input("partition", sets)
        cut = partition_links(all_groups) | sim.network.blocked
        sim.network = sim.network.with_blocked(cut)
        sim._record("nemesis", "", detail=f"partition {' | '.join(map(' '.join, all_groups))}")

    def partition_one_way(self, src: str, dst: str) -> None:
        """Cut only the direction ``src -> dst`` (``dst`` can still reach ``src``)."""
        sim = self._sim
        sim._check_node(src)
        sim._check_node(dst)
        if src == dst:
            raise ConfigError(f"a one-way partition needs two different nodes, got {src!r} twice")
        sim._input("partition_one_way", [src, dst])
        sim.network = sim.network.with_blocked(sim.network.blocked | {(src, dst)})
        sim._record("nemesis", "", detail=f"cut {src}->{dst}")

    def heal(self) -> None:
        """Remove every partition."""
        sim = self._sim
        sim._input("heal", [])
        sim.network = sim.network.with_blocked(())
        sim._record("nemesis", "", detail="heal")

    def set_network(self, network: Network | Mapping[str, Any]) -> None:
        """Replace the network model (latency, drops, per-link overrides, cuts)."""
        sim = self._sim
        if isinstance(network, Mapping):  # the recorded form, when replaying
            network = Network.from_dict(network)
        sim._check_network_ids(network)
        sim._input("set_network", [network.to_dict()])
        sim.network = network
        sim._record("nemesis", "", detail="network changed")

    def crash(self, node: str) -> None:
        """Crash ``node``: it loses everything it did not persist."""
        sim = self._sim
        sim._check_node(node)
        if node in sim.crashed:
            raise ConfigError(f"{node} is already crashed; restart it first")
        sim._input("crash", [node])
        sim._incarnations[node] += 1  # its pending timers go stale
        sim.nodes[node] = None
        sim._timers[node] = {}
        sim._held.pop(node, None)
        sim.crashed = sim.crashed | {node}
        sim.paused = sim.paused - {node}
        sim._record("nemesis", node, detail=f"crash {node}")

    def restart(self, node: str) -> None:
        """Restart a crashed ``node`` from its persisted state only."""
        sim = self._sim
        sim._check_node(node)
        if node not in sim.crashed:
            raise ConfigError(f"{node} is not crashed; only a crashed node can restart")
        sim._input("restart", [node])
        sim.crashed = sim.crashed - {node}
        sim._record("nemesis", node, detail=f"restart {node}")
        sim._boot(node)

    def pause(self, node: str) -> None:
        """Freeze ``node`` (a GC pause): its events wait until ``resume``."""
        sim = self._sim
        sim._check_node(node)
        if node in sim.crashed or node in sim.paused:
            state = "crashed" if node in sim.crashed else "already paused"
            raise ConfigError(f"cannot pause {node}: it is {state}")
        sim._input("pause", [node])
        sim.paused = sim.paused | {node}
        sim._held[node] = []
        sim._record("nemesis", node, detail=f"pause {node}")

    def resume(self, node: str) -> None:
        """Unfreeze ``node``: everything that waited fires now, in order."""
        sim = self._sim
        sim._check_node(node)
        if node not in sim.paused:
            raise ConfigError(f"{node} is not paused; only a paused node can resume")
        sim._input("resume", [node])
        sim.paused = sim.paused - {node}
        sim._record("nemesis", node, detail=f"resume {node}")
        for entry in sim._held.pop(node, []):
            time, prio, seq, kind, target, data = entry
            new_seq = sim._push(sim.now, kind, target, data, prio)
            if kind == TIMER and sim._timers[target].get(data[0]) == seq:  # TIMER
                sim._timers[target][data[0]] = new_seq

    def set_clock(self, node: str, skew: int = 0, drift_ppm: int = 0) -> None:
        """Give ``node`` a clock ``skew`` ticks off that runs ``drift_ppm`` fast (or slow)."""
        sim = self._sim
        sim._check_node(node)
        clock = NodeClock(skew, drift_ppm)
        sim._input("set_clock", [node, skew, drift_ppm])
        sim._clocks[node] = clock
        sim._record("nemesis", node, detail=f"clock {node} skew={skew} drift={drift_ppm}ppm")

    def at(self, time: int, action: str, *args: Any) -> None:
        """Schedule the nemesis ``action(*args)`` at ``time`` (e.g. ``at(500, "crash", "n1")``)."""
        sim = self._sim
        if action not in NEMESIS_ACTIONS:
            allowed = ", ".join(NEMESIS_ACTIONS)
            raise ConfigError(f"unknown nemesis action {action!r}; allowed: {allowed}")
        if not isinstance(time, int) or time < sim.now:
            raise ConfigError(f"nemesis time must be an int >= now ({sim.now}), got {time!r}")
        sim._input("at", [time, action, *args])
        sim._push(time, NEMESIS, "", (action, list(args)), prio=_URGENT)

    def run(self, data: tuple[str, list[Any]]) -> None:
        """Carry out a scheduled action (through the simulation's public method)."""
        action, args = data
        getattr(self._sim, action)(*args)

    def hold(self, entry: Entry) -> None:
        """Keep an event for a paused node until it resumes."""
        sim = self._sim
        sim._held[entry[4]].append(entry)
        if sim.tracing:
            label = {DELIVER: "message", TIMER: "timer", REQUEST: "request"}.get(entry[3], "event")
            sim._record("hold", entry[4], detail=f"{label} waits: node paused")
