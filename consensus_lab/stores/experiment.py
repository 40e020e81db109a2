"""CAP in one experiment: partition a CP store and an AP store and count the cost.

Theory of operation (DDIA ch. 9, "the cost of linearizability"; syllabus
rows 2 and 4): ``n`` nodes, one client per node (``c1`` talks to ``n1``,
…). Every client runs the same seeded workload: think a few ticks, then a
read or a write (distinct values ``"c1:7"``) of one of a few keys, wait for
the answer or its own timeout, repeat. At ``partition_at`` the cluster is
cut into a minority side A (``n1, n2`` of five) and a majority side B; at
``heal_at`` the cut heals; after ``duration`` the clients stop and the
stores get ``settle`` ticks to converge (anti-entropy, read repair).

The result counts, per side: **availability** (the share of requests
answered ``ok``, overall and for requests issued during the partition),
**stale reads** and **lost writes** (see :mod:`.analysis`), and keeps the
simulation and its client history for the linearizability checker.

``store="raft"`` runs the Raft KV as an etcd-like CP store (followers
forward to the leader, see :mod:`.raftstore`). ``partition=False`` is the
control run: the same workload and the same window, but no cut.

Expect: the CP store (majority quorums) refuses the minority side during
the partition and never reads stale or loses a write; the AP store (Dynamo,
``R = W = 1``) answers everyone, reads stale on both sides, and with clock
skew (``clock_skew={"n1": 1000}``) loses acknowledged writes to LWW.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..sim import ConfigError, Network, Simulation
from .analysis import Anomalies, find_anomalies
from .dynamo import DynamoConfig, DynamoNode
from .quorum import QuorumNode
from .raftstore import RaftStoreNode
from .versions import Versioned, Write, sibling_merge

STORES = ("cp", "raft", "ap", "ap-siblings")
DEFAULT_NETWORK = Network(latency=(2, 10))


@dataclass(frozen=True, slots=True)
class SideStats:
    """What the clients of one side saw."""

    side: str
    nodes: tuple[str, ...]
    requests: int
    ok: int
    fail: int
    info: int
    availability: float  # ok / requests, whole run
    partition_requests: int  # requests invoked while the partition was up
    availability_in_partition: float
    stale_reads: int
    lost_writes: int


@dataclass
class ExperimentResult:
    """One run: the store, its settings, per-side numbers, anomalies and the simulation."""

    store: str
    params: dict[str, Any]
    sim: Simulation
    sides: dict[str, SideStats]
    anomalies: Anomalies
    final: dict[Any, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def history(self) -> Any:
        """The client history (invoke / ok / fail / info) for a consistency checker."""
        return self.sim.history

    def digest(self) -> str:
        """SHA-256 of the trace: the same seed gives the same digest."""
        return self.sim.trace.digest()

    def __str__(self) -> str:
        parts = [f"{s.side}: avail {s.availability_in_partition:.0%} in partition, "
                 f"{s.stale_reads} stale, {s.lost_writes} lost" for s in self.sides.values()]
        return f"{self.store}: " + "; ".join(parts)


def _factory(store: str, n: int, r: int | None, w: int | None, **options: Any) -> Any:
    if store not in STORES:
        raise ConfigError(f"unknown store {store!r}; allowed: {', '.join(STORES)}")
    if store in ("cp", "raft"):
        if r is not None or w is not None:
            raise ConfigError(f"r and w apply to the AP stores only (got r={r!r}, w={w!r}); "
                              "the CP store always uses majorities")
        node = QuorumNode if store == "cp" else RaftStoreNode
        return partial(node, op_timeout=options["op_timeout"])
    config = DynamoConfig(mode="lww" if store == "ap" else "siblings",
                          n_replicas=options["n_replicas"], r=1 if r is None else r,
                          w=1 if w is None else w, read_repair=options["read_repair"],
                          anti_entropy_every=options["anti_entropy_every"],
                          op_timeout=options["op_timeout"])
    config.check(n)
    return partial(DynamoNode, config=config)


def partition_experiment(store: str = "cp", n: int = 5, *, r: int | None = None,
                         w: int | None = None, seed: int = 0,
                         keys: Sequence[str] = ("x", "y"),
                         side_a: Sequence[str] | None = None,
                         partition_at: int = 500, heal_at: int = 1500,
                         duration: int = 2000, settle: int = 1000,
                         think: int = 30, client_timeout: int = 300, op_timeout: int = 200,
                         clock_skew: Mapping[str, int] | None = None,
                         n_replicas: int | None = None, read_repair: bool = True,
                         anti_entropy_every: int | None = 50,
                         network: Network | None = None,
                         partition: bool = True) -> ExperimentResult:
    """Run the partition experiment on one store (see the module docstring).

    ``store``: "cp" (majority quorums), "raft" (Raft KV), "ap" (Dynamo LWW) or
    "ap-siblings".
    ``r`` / ``w``: the AP stores' read and write quorums (default 1 each).
    ``side_a``: the nodes cut off (default the first ``n // 2``).
    ``partition=False``: never cut (the control run); the sides are still measured.
    """
    if not isinstance(n, int) or n < 2:
        raise ConfigError(f"n must be an int >= 2 (two sides need two nodes), got {n!r}")
    if not 0 <= partition_at <= heal_at <= duration:
        raise ConfigError("need 0 <= partition_at <= heal_at <= duration, got "
                          f"{partition_at}, {heal_at}, {duration}")
    factory = _factory(store, n, r, w, op_timeout=op_timeout, n_replicas=n_replicas,
                       read_repair=read_repair, anti_entropy_every=anti_entropy_every)
    sim = Simulation(factory, n, seed=seed, network=network or DEFAULT_NETWORK)
    side_a = tuple(side_a) if side_a is not None else sim.node_ids[: n // 2]
    side_b = tuple(i for i in sim.node_ids if i not in side_a)
    if not side_a or not side_b or any(i not in sim.node_ids for i in side_a):
        raise ConfigError(f"side_a must be a non-empty proper subset of {sim.node_ids}, "
                          f"got {side_a}")
    for node, skew in sorted((clock_skew or {}).items()):
        sim.set_clock(node, skew=skew)
    clients = _Clients(sim, store, keys, seed, think, client_timeout)
    _drive(sim, clients, partition_at, heal_at, duration, side_a, side_b, cut=partition)
    sim.run(until=duration + settle)
    final = _final_values(sim, store, keys)
    anomalies = find_anomalies(sim.history, final)
    sides = {"A": _side_stats("A", side_a, sim, anomalies, partition_at, heal_at),
             "B": _side_stats("B", side_b, sim, anomalies, partition_at, heal_at)}
    params = {"n": n, "r": r, "w": w, "seed": seed, "keys": tuple(keys),
              "partition_at": partition_at, "heal_at": heal_at, "duration": duration,
              "clock_skew": dict(clock_skew or {}), "anti_entropy_every": anti_entropy_every,
              "partition": partition}
    return ExperimentResult(store, params, sim, sides, anomalies, final)


def _client(node: str) -> str:
    return "c" + node.removeprefix("n")


class _Clients:
    """One client per node (``c1`` → ``n1``), each with at most one request open.

    The workload draws from its own seeded stream; the simulator records every
    submit in ``sim.choices``, so a run replays from its seed alone.
    """

    def __init__(self, sim: Simulation, store: str, keys: Sequence[str], seed: int,
                 think: int, client_timeout: int) -> None:
        self.sim, self.store, self.keys = sim, store, list(keys)
        self.think, self.client_timeout = think, client_timeout
        self.rng = random.Random(seed)
        self.node_of = {_client(i): i for i in sim.node_ids}
        self.next_at = {c: self.rng.randrange(think) for c in self.node_of}
        self.waiting: dict[int, str] = {}  # open request id -> client
        self.contexts: dict[tuple[str, Any], Any] = {}  # siblings: (client, key) -> context
        self.writes = dict.fromkeys(self.node_of, 0)
        self.seen = 0  # history operations already looked at

    def collect(self, now: int) -> None:
        """Note the answers that arrived; a client thinks a little before its next request."""
        for op in self.sim.history.ops[self.seen:]:
            if op.type != "invoke" and op.request_id in self.waiting:
                client = self.waiting.pop(op.request_id)
                self.next_at[client] = now + 1 + self.rng.randrange(self.think)
                if isinstance(op.value, Versioned):
                    self.contexts[(client, op.key)] = op.value.context
        self.seen = len(self.sim.history.ops)

    def issue(self, now: int) -> None:
        """Every idle client whose think time is over sends a read or a write."""
        for client, node in self.node_of.items():
            if self.next_at[client] > now:
                continue
            key = self.rng.choice(self.keys)
            if self.rng.random() < 0.5:
                self.writes[client] += 1
                value: Any = f"{client}:{self.writes[client]}"  # distinct: a value names its write
                if self.store == "ap-siblings":
                    value = Write(value=value, context=self.contexts.get((client, key), ()))
                req = self.sim.submit(node, "write", key, value, client=client,
                                      timeout=self.client_timeout)
            else:
                req = self.sim.submit(node, "read", key, client=client,
                                      timeout=self.client_timeout)
            self.waiting[req.id] = client
            self.next_at[client] = now + self.client_timeout + 1  # until the answer arrives


def _drive(sim: Simulation, clients: _Clients, partition_at: int, heal_at: int,
           duration: int, side_a: tuple[str, ...], side_b: tuple[str, ...],
           cut: bool = True) -> None:
    """Run the clients until ``duration``, partitioning and healing on time (if ``cut``)."""
    for now in sorted({*range(0, duration, 5), partition_at, heal_at}):
        sim.run(until=now)
        clients.collect(now)
        if cut and partition_at < heal_at and now == partition_at:
            sim.partition(side_a, side_b)
        if cut and partition_at < heal_at and now == heal_at:
            sim.heal()
        if now < duration:
            clients.issue(now)


def _final_values(sim: Simulation, store: str,
                  keys: Sequence[str]) -> dict[Any, tuple[Any, ...]]:
    """Per key, the values the replicas hold together after settling."""
    live: list[Any] = [node for node in sim.nodes.values() if node is not None]  # any store
    final: dict[Any, tuple[Any, ...]] = {}
    for key in keys:
        if store == "cp":
            ts, value = max(node.value_of(key) for node in live)
            final[key] = () if value is None else (value,)
        elif store == "raft":
            value = max(live, key=lambda node: node.last_applied).value_of(key)
            final[key] = () if value is None else (value,)
        elif store == "ap":
            versions = max((v for node in live for v in node.data.get(key, ())), default=None)
            final[key] = () if versions is None else (versions[1],)
        else:
            merged: tuple[Any, ...] = ()
            for node in live:
                merged = sibling_merge(merged, node.data.get(key, ()))
            final[key] = tuple(s.value for s in merged)
    return final


def _side_stats(side: str, nodes: tuple[str, ...], sim: Simulation, anomalies: Anomalies,
                partition_at: int, heal_at: int) -> SideStats:
    clients = {_client(i) for i in nodes}
    pairs = [(inv, comp) for inv, comp in sim.history.pairs() if inv.process in clients]
    kinds = [comp.type if comp else "info" for _, comp in pairs]
    during = [comp for inv, comp in pairs if partition_at <= inv.time < heal_at]
    ok_during = sum(1 for comp in during if comp is not None and comp.type == "ok")
    return SideStats(
        side=side, nodes=nodes, requests=len(pairs), ok=kinds.count("ok"),
        fail=kinds.count("fail"), info=kinds.count("info"),
        availability=kinds.count("ok") / len(pairs) if pairs else 1.0,
        partition_requests=len(during),
        availability_in_partition=ok_during / len(during) if during else 1.0,
        stale_reads=sum(1 for inv, _ in anomalies.stale_reads if inv.process in clients),
        lost_writes=sum(1 for inv, _ in anomalies.lost_writes if inv.process in clients),
    )


def cap_rows(results: Sequence[ExperimentResult]) -> list[dict[str, Any]]:
    """One row per store and side (:func:`consensus_lab.viz.cap_table` makes it a DataFrame)."""
    return [{"store": res.store, "side": s.side, "nodes": ",".join(s.nodes),
             "requests": s.requests, "ok": s.ok, "fail": s.fail, "info": s.info,
             "availability": round(s.availability, 3),
             "availability_in_partition": round(s.availability_in_partition, 3),
             "stale_reads": s.stale_reads, "lost_writes": s.lost_writes}
            for res in results for s in res.sides.values()]
