"""The consistency spectrum (一致性光譜) in one experiment: same workload, four stores.

Theory of operation (DDIA ch. 9; syllabus row 2: linearizable → sequential →
causal → eventual, "stronger = higher latency"):

* **Stores**, strongest first (:data:`STORES`):

  - ``"linearizable"`` — :class:`~.quorum.QuorumNode` (ABD majority quorums):
    two round trips to a majority for every read and write.
  - ``"sequential"`` — :class:`~.sequential.SequentialNode`: writes through
    one sequencer, reads from the local replica.
  - ``"causal"`` — :class:`~.causal.CausalNode`: local reads and writes,
    causal broadcast between replicas, LWW on concurrent writes.
  - ``"eventual"`` — :class:`~.dynamo.DynamoNode` with ``R = W = 1`` and
    last-write-wins: local reads and writes, writes sent to every replica in
    no particular order.

* **Workload** (:func:`spectrum_workload`): ``clients`` clients, one per
  node (``c1`` → ``n1``, …). From the seed alone, each client gets a fixed
  script of reads and writes of a few keys, with distinct written values
  (``"c1:3"``) and a think time before each operation. Every store runs the
  *same* scripts; a client sends its next operation when the previous one
  answered and its think time passed.
* **Network and clocks**: clients sit next to their node (``client_latency``,
  default 1–3 ticks); replicas are far apart (``replica_latency`` on every
  link between nodes, default 10–50 ticks, like data centres). By default
  n1's clock runs 100 ticks ahead (:data:`DEFAULT_SKEW`): only the stores
  that stamp writes with their clock notice — the eventual store's
  last-write-wins then lets an older write beat a newer one (DDIA ch. 8).
  After the scripts finish the stores get ``settle`` ticks to replicate.

:func:`spectrum_table` then measures, per store: read and write latency
(simulated ticks from invoke to answer: mean and 95th percentile), whether
the history is **linearizable** (:func:`~consensus_lab.consistency.check`),
**sequentially consistent** (:func:`~consensus_lab.consistency.check_sequential`,
a search over interleavings: above ``sequential_limit`` operations it is
skipped and reported ``n/a (too big)``), **causally consistent**
(:func:`~consensus_lab.consistency.causal.check_causal`), the four **session
guarantees** (Terry et al. 1994), the **stale reads** and **lost writes** of
:mod:`.analysis`, and whether the replicas **converged** to the same values.

Which anomalies show up depends on timing, so on the seed: on
:data:`DEFAULT_SEED` each store breaks the next stronger model; the seed
sweep in ``tests/stores/test_spectrum.py`` shows how often over seeds 0–19.

Session guarantees are defined against the order in which the store applies
writes. The sequential store reports its sequencer's order, the LWW stores
their stamp order (the order in which a replica lets one value replace
another); for the linearizable store the order is inferred from the
linearization. Inferring it from acknowledgement times instead would blame
the sequential and causal stores for orders they never used.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any

from ..consistency import History, check, check_sequential, check_sessions
from ..consistency.causal import check_causal
from ..sim import ConfigError, Network, Simulation, SimulationError
from .analysis import find_anomalies
from .causal import CausalNode
from .dynamo import DynamoConfig, DynamoNode, Put
from .quorum import QuorumNode
from .sequential import SequentialNode

STORES = ("linearizable", "sequential", "causal", "eventual")
MODELS = ("linearizable", "sequential", "causal", "read_your_writes", "monotonic_reads",
          "monotonic_writes", "writes_follow_reads")
TOO_BIG = "n/a (too big)"
#: n1's clock runs 100 ticks ahead: real clocks are never quite in sync (DDIA ch. 8).
DEFAULT_SKEW: Mapping[str, int] = MappingProxyType({"n1": 100})
#: A seed on which every store shows its characteristic anomaly (see the seed sweep).
DEFAULT_SEED = 46
OP_TIMEOUT = 1000  # ticks; no faults are injected here, so only a bug would hit it


@dataclass(frozen=True, slots=True)
class Step:
    """One scripted client operation: wait ``think`` ticks, then ``f`` on ``key`` (``value``)."""

    think: int
    f: str
    key: str
    value: Any = None


def spectrum_workload(seed: int, *, clients: int = 3, ops_per_client: int = 8,
                      keys: Sequence[str] = ("x", "y"), write_ratio: float = 0.5,
                      think: int = 20) -> dict[str, list[Step]]:
    """Each client's script, drawn from ``seed`` alone: ``{"c1": [Step, ...], ...}``."""
    _check_workload(clients, ops_per_client, keys, write_ratio, think)
    rng = random.Random(seed)
    scripts: dict[str, list[Step]] = {}
    for c in range(1, clients + 1):
        client, steps, writes = f"c{c}", [], 0
        for _ in range(ops_per_client):
            pause, key = rng.randrange(think + 1), rng.choice(list(keys))
            if rng.random() < write_ratio:
                writes += 1
                steps.append(Step(pause, "write", key, f"{client}:{writes}"))
            else:
                steps.append(Step(pause, "read", key))
        scripts[client] = steps
    return scripts


def _check_workload(clients: int, ops_per_client: int, keys: Sequence[str],
                    write_ratio: float, think: int) -> None:
    if not isinstance(clients, int) or not 2 <= clients <= 9:
        raise ConfigError(f"clients must be an int in [2, 9] (one node each), got {clients!r}")
    if not isinstance(ops_per_client, int) or ops_per_client < 1:
        raise ConfigError(f"ops_per_client must be a positive int, got {ops_per_client!r}")
    if isinstance(keys, str) or not keys or len(set(keys)) != len(keys):
        raise ConfigError(f"keys must be a non-empty sequence of distinct keys, got {keys!r}")
    if not isinstance(write_ratio, int | float) or not 0 <= write_ratio <= 1:
        raise ConfigError(f"write_ratio must be in [0, 1], got {write_ratio!r}")
    if not isinstance(think, int) or think < 0:
        raise ConfigError(f"think must be an int >= 0 (most ticks before an op), got {think!r}")


def _factory(store: str) -> Any:
    if store == "linearizable":
        return partial(QuorumNode, op_timeout=OP_TIMEOUT)
    if store == "sequential":
        return SequentialNode
    if store == "causal":
        return CausalNode
    if store == "eventual":
        config = DynamoConfig(mode="lww", r=1, w=1, anti_entropy_every=None,
                              op_timeout=OP_TIMEOUT)
        return partial(DynamoNode, config=config)
    raise ConfigError(f"unknown store {store!r}; allowed: {', '.join(STORES)}")


def spectrum_network(nodes: int, client_latency: tuple[int, int] = (1, 3),
                     replica_latency: tuple[int, int] = (10, 50),
                     reorder: float = 0.0) -> Network:
    """Clients next to their node; ``replica_latency`` and ``reorder`` on links between nodes.

    ``reorder``: the chance that a message between two nodes is held up to
    50 extra ticks, so a later one on the same link may overtake it.
    """
    network = Network(latency=client_latency)
    ids = [f"n{i}" for i in range(1, nodes + 1)]
    for src in ids:
        for dst in ids:
            if src != dst:
                network = network.with_link(src, dst, latency=replica_latency,
                                            reorder=reorder)
    return network


@dataclass
class SpectrumResult:
    """One store's run of the workload: the simulation, its history and what the replicas hold."""

    store: str
    seed: int
    params: dict[str, Any]
    sim: Simulation
    history: History  # the client history, one Op per operation (for the checkers)
    replicas: dict[str, dict[str, tuple[Any, ...]]]  # node -> key -> values held at the end
    versions: dict[str, list[Any]] | None  # key -> values in the store's write order
    _verdicts: dict[int, dict[str, bool | None]] = field(default_factory=dict, repr=False)

    def digest(self) -> str:
        """SHA-256 of the trace: the same seed and options give the same digest."""
        return self.sim.trace.digest()

    def latencies(self, f: str) -> list[int]:
        """Ticks from invoke to ``ok`` of every completed ``f`` ("read" or "write")."""
        return [int(op.ret - op.call) for op in self.history
                if op.f == f and op.status == "ok"]

    def final(self) -> dict[str, tuple[Any, ...]]:
        """Per key, every distinct value some replica holds at the end (one if converged)."""
        keys = sorted({k for held in self.replicas.values() for k in held})
        return {k: tuple(sorted({v for held in self.replicas.values() for v in held.get(k, ())},
                                key=repr)) for k in keys}

    @property
    def converged(self) -> bool:
        """True when every replica holds the same values of every key."""
        return len({repr(sorted(held.items())) for held in self.replicas.values()}) == 1

    def anomalies(self) -> Any:
        """Stale reads and lost writes (:func:`~.analysis.find_anomalies`)."""
        return find_anomalies(self.sim.history, self.final())

    def verdicts(self, sequential_limit: int = 24) -> dict[str, bool | None]:
        """Per model in :data:`MODELS`: True / False, or None when too big to check."""
        if sequential_limit not in self._verdicts:
            self._verdicts[sequential_limit] = _judge(self, sequential_limit)
        return self._verdicts[sequential_limit]

    def __str__(self) -> str:
        held = [m for m, ok in self.verdicts().items() if ok]
        return f"{self.store} (seed {self.seed}): satisfies {', '.join(held) or 'nothing'}"


def _judge(result: SpectrumResult, sequential_limit: int) -> dict[str, bool | None]:
    history = result.history
    verdicts: dict[str, bool | None] = {"linearizable": bool(check(history, "register"))}
    if len(history.checkable()) > sequential_limit:
        verdicts["sequential"] = None
    else:
        verdicts["sequential"] = bool(check_sequential(history, "register",
                                                       max_ops=sequential_limit))
    verdicts["causal"] = bool(check_causal(history))
    sessions = check_sessions(history, result.versions)
    for name, found in sessions.items():
        verdicts[name.replace("-", "_")] = not found
    return verdicts


def spectrum_run(store: str, *, seed: int, clients: int = 3, ops_per_client: int = 8,
                 keys: Sequence[str] = ("x", "y"), write_ratio: float = 0.5, think: int = 20,
                 client_latency: tuple[int, int] = (1, 3),
                 replica_latency: tuple[int, int] = (10, 50), reorder: float = 0.0,
                 clock_skew: Mapping[str, int] | None = DEFAULT_SKEW,
                 settle: int = 500) -> SpectrumResult:
    """Run the seeded workload against one store (see the module docstring).

    ``store``: one of :data:`STORES`. ``clock_skew``: ``{node: ticks}`` added to
    that node's local clock (only the stores that stamp writes with it care).
    """
    factory = _factory(store)
    scripts = spectrum_workload(seed, clients=clients, ops_per_client=ops_per_client,
                                keys=keys, write_ratio=write_ratio, think=think)
    if not isinstance(settle, int) or settle < 0:
        raise ConfigError(f"settle must be an int >= 0, got {settle!r}")
    sim = Simulation(factory, clients, seed=seed,
                     network=spectrum_network(clients, client_latency, replica_latency, reorder))
    for node, skew in sorted((clock_skew or {}).items()):
        sim.set_clock(node, skew=skew)
    _Driver(sim, scripts).run()
    sim.run(until=sim.now + settle)
    params = {"clients": clients, "ops_per_client": ops_per_client, "keys": tuple(keys),
              "write_ratio": write_ratio, "think": think, "client_latency": client_latency,
              "replica_latency": replica_latency, "reorder": reorder,
              "clock_skew": dict(clock_skew or {}), "settle": settle}
    return SpectrumResult(store, seed, params, sim, History.from_sim(sim.history),
                          _replica_values(sim, keys), _versions(sim, store))


class _Driver:
    """Feeds each client's script to its node, one operation at a time."""

    def __init__(self, sim: Simulation, scripts: dict[str, list[Step]]) -> None:
        self.sim = sim
        self.todo = {client: deque(steps) for client, steps in scripts.items()}
        self.next_at = {c: steps[0].think for c, steps in self.todo.items() if steps}
        self.open: dict[int, str] = {}  # request id -> client waiting for it
        self.seen = 0

    def run(self, limit: int = 1_000_000) -> None:
        """Step the simulation until every script is done and answered."""
        while True:
            self._collect()
            self._issue()
            if not self.open and not self.next_at:
                return
            due = [t for t in (min(self.next_at.values(), default=None), self.sim.peek())
                   if t is not None]
            if not due or self.sim.now > limit:
                raise SimulationError(f"the workload is stuck at t={self.sim.now}: "
                                      f"{len(self.open)} requests never answered")
            self.sim.run(until=max(min(due), self.sim.now))

    def _collect(self) -> None:
        for op in self.sim.history.ops[self.seen:]:
            client = self.open.pop(op.request_id, None) if op.type != "invoke" else None
            if client is not None and self.todo[client]:
                self.next_at[client] = self.sim.now + self.todo[client][0].think
        self.seen = len(self.sim.history.ops)

    def _issue(self) -> None:
        for client in sorted(self.next_at):
            if self.next_at[client] > self.sim.now:
                continue
            del self.next_at[client]
            step = self.todo[client].popleft()
            node = "n" + client.removeprefix("c")
            request = self.sim.submit(node, step.f, step.key, step.value, client=client,
                                      timeout=2 * OP_TIMEOUT)
            self.open[request.id] = client


def _replica_values(sim: Simulation,
                    keys: Sequence[str]) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Per live node and key, the values it holds (() for never written)."""
    held: dict[str, dict[str, tuple[Any, ...]]] = {}
    node: Any  # a node of any of the stores
    for node_id, node in sorted(sim.nodes.items()):
        if node is None:
            continue
        if isinstance(node, DynamoNode):
            held[node_id] = {k: node.values_of(k) for k in keys}
        else:
            values = {k: node.value_of(k) for k in keys}
            if isinstance(node, QuorumNode):
                values = {k: v[1] for k, v in values.items()}
            held[node_id] = {k: () if v is None else (v,) for k, v in values.items()}
    return held


def _versions(sim: Simulation, store: str) -> dict[str, list[Any]] | None:
    """Per key, the values in the order the store applies them (None: infer it)."""
    nodes: list[Any] = [n for n in sim.nodes.values() if n is not None]  # the store's nodes
    if store == "sequential":
        return max((n.versions() for n in nodes), key=lambda v: sum(map(len, v.values())))
    if store == "causal":
        return _by_stamp((m.stamp, m.key, m.value) for n in nodes for m in n.writes())
    if store == "eventual":  # the LWW stamps the coordinators sent with each write
        return _by_stamp((stamp, r.message.key, value) for r in sim.trace
                         if isinstance(r.message, Put) and r.message.op_id
                         for stamp, value in r.message.versions)
    return None


def _by_stamp(writes: Iterable[tuple[tuple[int, str], Any, Any]]) -> dict[str, list[Any]]:
    """Per key, the written values sorted by their LWW stamp (duplicates once)."""
    order: dict[str, list[Any]] = {}
    for _, key, value in sorted(set(writes), key=lambda w: w[0]):
        order.setdefault(key, []).append(value)
    return order


# -- the table and the chart ------------------------------------------------------------------

def spectrum_runs(seeds: int | Iterable[int] = DEFAULT_SEED, stores: Sequence[str] = STORES,
                  **options: Any) -> list[SpectrumResult]:
    """:func:`spectrum_run` for every store and every seed (stores first, then seeds)."""
    seeds = [seeds] if isinstance(seeds, int) else list(seeds)
    if not seeds:
        raise ConfigError("seeds must name at least one seed")
    return [spectrum_run(store, seed=seed, **options) for store in stores for seed in seeds]


def _p95(values: list[int]) -> float:
    """The 95th percentile, nearest-rank (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return float(ordered[math.ceil(0.95 * len(ordered)) - 1])


def _mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else math.nan


def _holds(flags: list[bool | None]) -> str:
    """"yes" / "no" for one run; "k/n" (runs where it holds) for several."""
    checked = [f for f in flags if f is not None]
    if not checked:
        return TOO_BIG
    if len(flags) == 1:
        return "yes" if checked[0] else "no"
    return f"{sum(checked)}/{len(checked)}" + (f" ({len(flags) - len(checked)} too big)"
                                              if len(checked) < len(flags) else "")


Runs = int | Iterable[int] | Iterable[SpectrumResult] | SpectrumResult


def spectrum_rows(runs: Runs = DEFAULT_SEED, *, sequential_limit: int = 24,
                  **options: Any) -> list[dict[str, Any]]:
    """One row per store, strongest first (:func:`consensus_lab.viz.spectrum_table`
    makes it a DataFrame indexed by store).

    ``runs``: results of :func:`spectrum_run`, or a seed / seeds to run every
    store with (``options`` go to :func:`spectrum_run`). Latencies pool every
    operation of a store's runs; model columns say "yes"/"no" for one run and
    "k/n" (runs that satisfy the model) for several; anomaly counts are totals.
    """
    if isinstance(runs, SpectrumResult):
        runs = [runs]
    given: list[Any] = list(runs) if not isinstance(runs, int) else [runs]
    results: list[SpectrumResult]
    if given and all(isinstance(r, int) for r in given):
        results = spectrum_runs(given, **options)
    elif options:
        raise ConfigError(f"options {sorted(options)} apply only when runs are seeds")
    else:
        results = given
    if not results or not all(isinstance(r, SpectrumResult) for r in results):
        raise ConfigError("runs must be seeds (ints) or SpectrumResults, got "
                          f"{[type(r).__name__ for r in results]}")
    rows = []
    for store in [s for s in STORES if any(r.store == s for r in results)]:
        mine = [r for r in results if r.store == store]
        reads = [t for r in mine for t in r.latencies("read")]
        writes = [t for r in mine for t in r.latencies("write")]
        row: dict[str, Any] = {"store": store, "runs": len(mine),
                               "read_mean": round(_mean(reads), 1), "read_p95": _p95(reads),
                               "write_mean": round(_mean(writes), 1), "write_p95": _p95(writes)}
        verdicts = [r.verdicts(sequential_limit) for r in mine]
        for model in MODELS:
            row[model] = _holds([v[model] for v in verdicts])
        anomalies = [r.anomalies() for r in mine]
        row["stale_reads"] = sum(len(a.stale_reads) for a in anomalies)
        row["lost_writes"] = sum(len(a.lost_writes) for a in anomalies)
        row["converged"] = _holds([r.converged for r in mine])
        rows.append(row)
    return rows
