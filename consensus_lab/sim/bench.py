"""How fast the simulator runs, against a bare loop (``consensus-lab bench sim``).

The workload is message-heavy gossip: ``nodes`` nodes, each with a timer
every ``period`` ticks that sends its newest rumour version to ``fanout``
random peers, over a network that drops ``drop`` of the messages. We time
``events`` simulator steps with tracing off and then on, and in the same
process a bare ``heapq`` loop (push and pop with a trivial handler) of the
same length: the ratios say what the simulator's bookkeeping costs, on
whatever machine runs it. Benchmarks report figures; tests never assert times.
The command line is :mod:`consensus_lab.cli.sim`.
"""

from __future__ import annotations

import heapq
import platform
import time
from dataclasses import dataclass
from typing import Any

from . import Context, Network, Node, Simulation  # the public API, as a learner sees it


@dataclass(frozen=True, slots=True, kw_only=True)
class Rumour:
    """gossiper → random peer, every period: the newest version it knows."""

    version: int

    def __str__(self) -> str:
        return f"Rumour(v={self.version})"


class Gossiper(Node):
    """Spreads the highest rumour version it has heard of."""

    def __init__(self, node_id: str, peers: tuple[str, ...], period: int = 10,
                 fanout: int = 2) -> None:
        super().__init__(node_id, peers)
        self.period = period
        self.fanout = fanout
        self.version = 0

    def on_start(self, ctx: Context) -> None:
        """Start the gossip timer at a random phase."""
        ctx.set_timer("gossip", ctx.rng.randrange(self.period))

    def on_timer(self, ctx: Context, name: str) -> None:
        """Bump our version and send it to ``fanout`` random peers."""
        self.version += 1
        for _ in range(self.fanout):
            ctx.send(ctx.rng.choice(self.peers), Rumour(version=self.version))
        ctx.set_timer("gossip", self.period)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Keep the highest version heard."""
        if msg.version > self.version:
            self.version = msg.version

    def view(self) -> dict[str, Any]:
        """The version this node knows."""
        return {"version": self.version}


def gossip_sim(nodes: int = 50, drop: float = 0.05, seed: int = 1,
               trace: bool = False) -> Simulation:
    """The benchmark's simulation, ready to run."""
    network = Network(latency=(1, 20), drop=drop)
    return Simulation(Gossiper, nodes, seed=seed, network=network, trace=trace)


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
