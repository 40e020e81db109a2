"""How fast the simulator runs, against a bare loop (``consensus-lab bench sim``).

The workload is message-heavy gossip: ``nodes`` nodes, each with a timer
every ``period`` ticks (at a random phase) that sends its newest rumour
version to the next ``fanout`` peers in turn, over a network that drops
``drop`` of the messages. We time ``events`` simulator steps with tracing
off and then on, and in the same process a bare ``heapq`` loop (push and
pop with a trivial handler) of the same length: the ratios say what the
simulator's bookkeeping costs, on whatever machine runs it. Benchmarks report
figures; tests never assert times.
The command line is :mod:`consensus_lab.cli.sim`.
"""

from __future__ import annotations

import heapq
import platform
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# the public API, as a learner sees it
from . import (
    Deliver,
    Effects,
    Fire,
    Input,
    Network,
    Send,
    SetTimer,
    Simulation,
    StepProtocol,
    Value,
    frozen,
)

GOSSIP = ("gossip (Demers et al. 1987, rumour mongering): every period, push the newest "
          "version to a few peers")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rumour:
    """gossiper → a peer, every period: the newest version it knows."""

    version: int

    def __str__(self) -> str:
        return f"Rumour(v={self.version})"


@frozen
class GossipState(Value):
    """What one gossiper knows: the newest ``version`` and whose ``turn`` it is to hear next."""

    peers: tuple[str, ...]
    version: int = 0
    turn: int = 0  # index into ``peers`` of the next peer to push to


class Gossiper(StepProtocol[GossipState]):
    """Spreads the highest rumour version it has heard of, to ``fanout`` peers per period."""

    def __init__(self, period: int = 10, fanout: int = 2) -> None:
        self.period = period
        self.fanout = fanout

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[GossipState, Effects]:
        """Arm the gossip timer at a random phase in ``[0, period)``."""
        return GossipState(peers), (SetTimer("gossip", 0, self.period - 1, GOSSIP),)

    def step(self, state: GossipState, event: Input) -> tuple[GossipState, Effects]:
        """A timer: bump the version, push it to the next peers. A rumour: keep the newest."""
        if isinstance(event, Fire):
            version = state.version + 1
            peers, turn = state.peers, state.turn
            sends = tuple(Send(peers[(turn + k) % len(peers)], Rumour(version=version), GOSSIP)
                          for k in range(self.fanout))
            state = GossipState(peers, version, (turn + self.fanout) % len(peers))
            return state, (*sends, SetTimer("gossip", self.period, self.period, GOSSIP))
        if isinstance(event, Deliver) and event.msg.version > state.version:
            return GossipState(state.peers, event.msg.version, state.turn), ()
        return state, ()

    def view(self, state: GossipState) -> dict[str, Any]:
        """The version this node knows."""
        return {"version": state.version}


def gossip_sim(nodes: int = 50, drop: float = 0.05, seed: int = 1,
               trace: bool = False) -> Simulation:
    """The benchmark's simulation, ready to run."""
    network = Network(latency=(1, 20), drop=drop)
    return Simulation(Gossiper(), nodes, seed=seed, network=network, trace=trace)


def time_sim(events: int, nodes: int, drop: float, trace: bool) -> tuple[float, str]:
    """Events per second of ``events`` steps; also the run's trace digest."""
    sim = gossip_sim(nodes, drop, trace=trace)
    start = time.perf_counter()
    sim.run(max_steps=events)
    elapsed = max(time.perf_counter() - start, 1e-9)  # a tiny run may take no measurable time
    return events / elapsed, sim.trace.digest()


def time_bare_loop(events: int, width: int) -> float:
    """Events per second of a bare heapq loop with a trivial handler."""
    heap = [(i, i, None) for i in range(width)]
    heapq.heapify(heap)
    seq = width

    def handler(t: int, s: int) -> int:
        return t + 1 + s % 20

    start = time.perf_counter()
    for _ in range(events):
        t, s, _payload = heapq.heappop(heap)
        seq += 1
        heapq.heappush(heap, (handler(t, s), seq, None))
    return events / max(time.perf_counter() - start, 1e-9)


def bench_sim(events: int = 200_000, nodes: int = 50, drop: float = 0.05,
              repeat: int = 3) -> dict[str, Any]:
    """Best-of-``repeat`` figures for the simulator and the bare loop."""
    untraced = max(time_sim(events, nodes, drop, False)[0] for _ in range(repeat))
    traced = max(time_sim(events, nodes, drop, True)[0] for _ in range(repeat))
    bare = max(time_bare_loop(events, nodes) for _ in range(repeat))
    return {
        "workload": f"{nodes} gossiping nodes, fanout 2, drop {drop}, {events} events",
        "events": events,
        "sim_events_per_s": round(untraced),
        "sim_traced_events_per_s": round(traced),
        "bare_loop_events_per_s": round(bare),
        "ratio_untraced": round(untraced / bare, 4),
        "ratio_traced": round(traced / bare, 4),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
