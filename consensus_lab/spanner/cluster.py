"""Build a Spanner-like cluster in the simulator, set its clocks, drive closed-loop clients.

Clocks: every node gets a constant skew drawn (seeded) from
``[-clock_error, clock_error]`` and, if asked, a drift of ``±drift_ppm``
(shard leaders alternate fast and slow). TrueTime assumes ``|error| <= ε``;
``clock_error <= epsilon`` and no drift keep that promise, anything else may
break it — on purpose. :func:`clock_error_at` tells how wrong a node's clock
really is (something no node can know).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from ..sim import ConfigError, Network, Simulation, SimulationError
from .store import SpannerConfig, SpannerNode

#: One message: 1 to 10 ms, the lab's usual datacenter-ish network.
DEFAULT_NETWORK = Network(latency=(1, 10))


def _check_int(name: str, value: object, low: int = 0) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ConfigError(f"{name} must be an int >= {low}, got {value!r}")


def spanner_sim(config: SpannerConfig | None = None, *, seed: int = 0,
                clock_error: int | None = None, drift_ppm: int = 0,
                skews: Mapping[str, int] | None = None, network: Network | None = None,
                trace: bool = True) -> Simulation:
    """A cluster of :class:`SpannerNode` with seeded clock errors.

    ``clock_error`` (ms, default ε) bounds each node's constant skew; above
    ε TrueTime's promise no longer holds. ``skews`` sets chosen nodes' skews
    exactly (a scripted scenario); ``drift_ppm`` makes clocks run fast or
    slow, so their error grows with time past any bound.
    """
    config = config or SpannerConfig()
    clock_error = config.epsilon if clock_error is None else clock_error
    _check_int("clock_error", clock_error)
    _check_int("drift_ppm", drift_ppm)
    sim = Simulation(partial(SpannerNode, config=config), config.node_ids, seed=seed,
                     network=network or DEFAULT_NETWORK, trace=trace)
    rng = random.Random(f"truetime/{seed}")  # the clocks' own stream: seeded, local
    for node_id in config.node_ids:
        skew = rng.randint(-clock_error, clock_error)
        sim.set_clock(node_id, skew=skew, drift_ppm=sign_of(config, node_id) * drift_ppm)
    for node_id, skew in sorted((skews or {}).items()):
        if node_id not in config.node_ids:
            raise ConfigError(f"skews names unknown node {node_id!r}; nodes: "
                              f"{', '.join(config.node_ids)}")
        if not isinstance(skew, int) or isinstance(skew, bool):
            raise ConfigError(f"the skew of {node_id} must be an int (ms), got {skew!r}")
        sim.set_clock(node_id, skew=skew, drift_ppm=sign_of(config, node_id) * drift_ppm)
    return sim


def sign_of(config: SpannerConfig, node_id: str) -> int:
    """+1 for nodes of even shards (their clocks drift fast), -1 for odd ones."""
    return 1 if config.shard_of_node(node_id) % 2 == 0 else -1


def clock_error_at(sim: Simulation, node_id: str) -> int:
    """How far ``node_id``'s clock is from true time now (the simulator knows, nodes do not)."""
    return sim._clocks[node_id].local(sim.now) - sim.now


def keys_by_shard(config: SpannerConfig, per_shard: int = 2) -> list[list[str]]:
    """``per_shard`` keys (``k0``, ``k1``, …) that land on each shard."""
    _check_int("per_shard", per_shard, 1)
    found: list[list[str]] = [[] for _ in range(config.shards)]
    i = 0
    while min(len(keys) for keys in found) < per_shard:
        key = f"k{i}"
        shard = config.shard_of(key)
        if len(found[shard]) < per_shard:
            found[shard].append(key)
        i += 1
    return found


def run_clients(sim: Simulation, config: SpannerConfig, *, clients: int = 2, txns: int = 20,
                think: int = 1, seed: int = 0, within: int = 1_000_000) -> None:
    """Closed-loop clients ``c1…``: each writes one key on a random shard, waits for
    the answer, thinks ``think`` ms, and goes on, ``txns`` transactions in all."""
    _check_int("clients", clients, 1)
    _check_int("txns", txns, 0)
    _check_int("think", think, 1)
    rng = random.Random(f"spanner-workload/{seed}")
    keys = keys_by_shard(config)
    left = txns
    ready = {f"c{i}": sim.now for i in range(1, clients + 1)}  # client -> when it may send
    open_ids: dict[int, str] = {}
    deadline = sim.now + within
    while left or open_ids:
        for client, at in sorted(ready.items()):
            if left and at <= sim.now:
                shard = rng.randrange(config.shards)
                key = rng.choice(keys[shard])
                request = sim.submit(config.leader(shard), "txn", value=((key, txns - left),),
                                     client=client)
                open_ids[request.id] = client
                del ready[client]
                left -= 1
        seen = len(sim.history)
        _run_until_answer_or(sim, seen, min(ready.values()) if left and ready else None)
        if sim.now >= deadline:
            raise SimulationError(f"clients still waiting at t={sim.now} (seed {sim.seed})")
        for op in sim.history.ops[seen:]:
            answered = open_ids.pop(op.request_id, None)
            if answered is not None:
                ready[answered] = sim.now + think


def _run_until_answer_or(sim: Simulation, seen: int, wake: int | None) -> None:
    """Run until a client gets an answer, or until ``wake`` (a client's next send)."""
    def stop(s: Simulation) -> bool:
        upcoming = s.peek()
        return len(s.history) > seen or upcoming is None or (wake is not None
                                                             and upcoming > wake)
    sim.run(until=stop, max_steps=10_000_000)
    if len(sim.history) > seen:
        return
    if wake is not None:
        if sim.now < wake:
            sim.advance(wake)
    elif sim.peek() is None:
        raise SimulationError(f"nothing left to run at t={sim.now} but clients still wait "
                              f"(seed {sim.seed})")


def with_config(config: SpannerConfig, **changes: Any) -> SpannerConfig:
    """A copy of ``config`` with ``changes`` (validated again)."""
    return replace(config, **changes)
