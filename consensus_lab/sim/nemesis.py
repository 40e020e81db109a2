"""Nemesis actions: the faults a learner (or a test) inflicts on a run.

Each action validates its arguments (an unknown node or an action that
makes no sense raises :class:`ConfigError` naming it, and changes
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

:class:`Faults` holds the actions: it is a base class of the
:class:`~.simulation.Simulation`, so they are the simulation's own methods.
:class:`Nemesis` is what the event loop calls: a scheduled action coming
due, an event that must wait for a paused node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .clock import NodeClock
from .errors import ConfigError
from .events import _URGENT, DELIVER, NEMESIS, REQUEST, TIMER, Entry
from .host import Host
from .network import Network, partition_links

NEMESIS_ACTIONS = (
    "partition", "partition_one_way", "heal", "crash", "restart",
    "pause", "resume", "set_clock", "set_network",
)


class Faults(Host):
    """The nemesis actions of a :class:`~.simulation.Simulation` (see the module docstring)."""

    # ------------------------------------------------------------ the network
    def partition(self, *groups: Iterable[str]) -> None:
        """Cut every link between ``groups``; unnamed nodes form one more group."""
        sets = [sorted(set(g)) for g in groups]
        named = [n for g in sets for n in g]
        for node_id in named:
            self._check_node(node_id)
        if len(named) != len(set(named)):
            raise ConfigError(f"a node may be in only one partition group, got {sets}")
        rest = [n for n in self.node_ids if n not in set(named)]
        all_groups = [g for g in sets + [rest] if g]
        if len(all_groups) < 2:
            raise ConfigError(f"a partition needs at least two non-empty groups, got {sets}")
        self._input("partition", sets)
        cut = partition_links(all_groups) | self.network.blocked
        self.network = self.network.with_blocked(cut)
        self._record("nemesis", "", detail=f"partition {' | '.join(map(' '.join, all_groups))}")

    def partition_one_way(self, src: str, dst: str) -> None:
        """Cut only the direction ``src -> dst`` (``dst`` can still reach ``src``)."""
        self._check_node(src)
        self._check_node(dst)
        if src == dst:
            raise ConfigError(f"a one-way partition needs two different nodes, got {src!r} twice")
        self._input("partition_one_way", [src, dst])
        self.network = self.network.with_blocked(self.network.blocked | {(src, dst)})
        self._record("nemesis", "", detail=f"cut {src}->{dst}")

    def heal(self) -> None:
        """Remove every partition."""
        self._input("heal", [])
        self.network = self.network.with_blocked(())
        self._record("nemesis", "", detail="heal")

    def set_network(self, network: Network | Mapping[str, Any]) -> None:
        """Replace the network model (latency, drops, per-link overrides, cuts)."""
        if isinstance(network, Mapping):  # the recorded form, when replaying
            network = Network.from_dict(network)
        self._check_network_ids(network)
        self._input("set_network", [network.to_dict()])
        self.network = network
        self._record("nemesis", "", detail="network changed")

    # ------------------------------------------------------------ the nodes
    def crash(self, node: str) -> None:
        """Crash ``node``: it loses everything it did not persist."""
        self._check_node(node)
        if node in self.crashed:
            raise ConfigError(f"{node} is already crashed; restart it first")
        self._input("crash", [node])
        self._incarnations[node] += 1  # its pending timers go stale
        self.nodes[node] = None
        self._timers[node] = {}
        self._held.pop(node, None)
        self.crashed = self.crashed | {node}
        self.paused = self.paused - {node}
        self._record("nemesis", node, detail=f"crash {node}")

    def restart(self, node: str) -> None:
        """Restart a crashed ``node`` from its persisted state only."""
        self._check_node(node)
        if node not in self.crashed:
            raise ConfigError(f"{node} is not crashed; only a crashed node can restart")
        self._input("restart", [node])
        self.crashed = self.crashed - {node}
        self._record("nemesis", node, detail=f"restart {node}")
        self._boot(node)

    def pause(self, node: str) -> None:
        """Freeze ``node`` (a GC pause): its events wait until ``resume``."""
        self._check_node(node)
        if node in self.crashed or node in self.paused:
            state = "crashed" if node in self.crashed else "already paused"
            raise ConfigError(f"cannot pause {node}: it is {state}")
        self._input("pause", [node])
        self.paused = self.paused | {node}
        self._held[node] = []
        self._record("nemesis", node, detail=f"pause {node}")

    def resume(self, node: str) -> None:
        """Unfreeze ``node``: everything that waited fires now, in order."""
        self._check_node(node)
        if node not in self.paused:
            raise ConfigError(f"{node} is not paused; only a paused node can resume")
        self._input("resume", [node])
        self.paused = self.paused - {node}
        self._record("nemesis", node, detail=f"resume {node}")
        for entry in self._held.pop(node, []):
            time, prio, seq, kind, target, data = entry
            new_seq = self._push(self.now, kind, target, data, prio)
            if kind == TIMER and self._timers[target].get(data[0]) == seq:
                self._timers[target][data[0]] = new_seq

    def set_clock(self, node: str, skew: int = 0, drift_ppm: int = 0) -> None:
        """Give ``node`` a clock ``skew`` ticks off that runs ``drift_ppm`` fast (or slow)."""
        self._check_node(node)
        clock = NodeClock(skew, drift_ppm)
        self._input("set_clock", [node, skew, drift_ppm])
        self._clocks[node] = clock
        self._record("nemesis", node, detail=f"clock {node} skew={skew} drift={drift_ppm}ppm")

    # ------------------------------------------------------------ later
    def at(self, time: int, action: str, *args: Any) -> None:
        """Schedule the nemesis ``action(*args)`` at ``time`` (e.g. ``at(500, "crash", "n1")``)."""
        if action not in NEMESIS_ACTIONS:
            allowed = ", ".join(NEMESIS_ACTIONS)
            raise ConfigError(f"unknown nemesis action {action!r}; allowed: {allowed}")
        if not isinstance(time, int) or time < self.now:
            raise ConfigError(f"nemesis time must be an int >= now ({self.now}), got {time!r}")
        self._input("at", [time, action, *args])
        self._push(time, NEMESIS, "", (action, list(args)), prio=_URGENT)


class Nemesis:
    """The event loop's side of the nemesis: scheduled actions, and paused nodes' events."""

    __slots__ = ("_sim",)

    def __init__(self, sim: Faults) -> None:
        self._sim = sim

    def run(self, data: tuple[str, list[Any]]) -> None:
        """Carry out an action scheduled with ``at`` (through the simulation's method)."""
        action, args = data
        getattr(self._sim, action)(*args)

    def hold(self, entry: Entry) -> None:
        """Keep an event for a paused node until it resumes."""
        sim = self._sim
        sim._held[entry[4]].append(entry)
        if sim.tracing:
            label = {DELIVER: "message", TIMER: "timer", REQUEST: "request"}.get(entry[3], "event")
            sim._record("hold", entry[4], detail=f"{label} waits: node paused")
