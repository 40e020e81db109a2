"""Three applications, five consistency strengths: the runs behind exercise ``consistency_choice``.

Theory of operation (DDIA ch. 9; the chapter's 練習 1, syllabus rows 2 and 16).
Each *scenario* is an application with a requirement:

* **A** — social posts: the author must see their own post after a refresh
  (read-your-writes), and posting must keep working for them.
* **B** — a bank balance: once a debit is acknowledged, nobody may read the
  old balance (linearizable); refusing to answer is acceptable.
* **C** — a DNS record: an update may take effect later (TTL), but every
  resolver must see it eventually and lookups must always be answered.

Each *strength* is a store from :mod:`consensus_lab.stores` plus the way
clients reach it (:data:`STRENGTHS`). Client ``c1`` … ``c5`` lives next to
node ``n1`` … ``n5`` (its *home*). **Sticky** clients send every request to
their home node — that is what turns a Dynamo-style store into a
read-your-writes one, and what the sequential and causal stores assume.
**Balanced** clients go through a load balancer that picks any live node they
can reach, so they fail over when a node is down.

Every run has the same faults, on a "geo" network (1–4 ticks between a client
and a node, 5–25 between nodes): from t=300 to t=900 the minority {n4, n5} is
cut off from {n1, n2, n3} (a balanced client reaches only its own side), and
at t=1000 node n5 crashes for good. Clients stop at t=1400. A run reports
what the scenario's requirement says about its history (the violations, from
the library's checkers) and what it cost: the share of requests answered and
their latency. The same seed gives the same run; ``run_scenario`` replays it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..consistency import History, Op, check, read_your_writes
from ..sim import Network, Node, Simulation
from ..stores.analysis import find_anomalies
from ..stores.causal import CausalNode, CausalWrite
from ..stores.dynamo import DynamoConfig, DynamoNode, Put
from ..stores.quorum import QuorumNode, Store
from ..stores.sequential import ApplyWrite, SequentialNode

#: From strongest to weakest (一致性光譜: 線性一致性 → 順序一致性 → 因果一致性 → 最終一致性).
STRENGTHS = ("linearizable", "sequential", "causal", "read-your-writes", "eventual")
NODES = ("n1", "n2", "n3", "n4", "n5")
MINORITY, MAJORITY = ("n4", "n5"), ("n1", "n2", "n3")
PARTITION_AT, HEAL_AT, CRASH_AT, CRASHED, END = 300, 900, 1000, "n5", 1400
SETTLE = 400  # after END: answers still on their way arrive
CLIENT_TIMEOUT, OP_TIMEOUT = 150, 120
CONNECT_TIMEOUT = 20  # a request to a crashed node: the connection attempt fails this fast
DEFAULT_SEED = 1
NodeFactory = Callable[[str, tuple[str, ...]], Node]


@dataclass(frozen=True, slots=True)
class Strength:
    """A consistency strength as something that runs: a store and a client routing."""

    name: str
    zh: str  # the chapter's term
    store: str  # what runs, in one line
    routing: str  # "sticky" (home node) or "balanced" (any live reachable node)
    factory: Callable[[], NodeFactory]


def _dynamo() -> NodeFactory:
    config = DynamoConfig(mode="lww", r=1, w=1, anti_entropy_every=50, op_timeout=OP_TIMEOUT)
    return partial(DynamoNode, config=config)


STRENGTH_SETUPS: dict[str, Strength] = {s.name: s for s in (
    Strength("linearizable", "線性一致性", "majority quorums (ABD), any node coordinates",
             "balanced", lambda: partial(QuorumNode, op_timeout=OP_TIMEOUT)),
    Strength("sequential", "順序一致性", "one sequencer (n1) orders writes; reads from the "
             "home replica", "sticky", lambda: SequentialNode),
    Strength("causal", "因果一致性", "causal broadcast with vector clocks; reads and writes at "
             "the home replica", "sticky", lambda: CausalNode),
    Strength("read-your-writes", "讀己之寫", "Dynamo-style, R = W = 1, with a sticky session: "
             "each client always uses its home node", "sticky", _dynamo),
    Strength("eventual", "最終一致性", "Dynamo-style, R = W = 1, anti-entropy; a load balancer "
             "sends each request to any live node", "balanced", _dynamo),
)}


def strength(name: str) -> Strength:
    """The setup of strength ``name``; ValueError listing the allowed names otherwise."""
    try:
        return STRENGTH_SETUPS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown strength {name!r}; choose one of {', '.join(STRENGTHS)}"
                         ) from None


# -- workloads: what each client does next ------------------------------------------------


@dataclass(slots=True)
class ClientState:
    """What a client has done so far (its program decides the next request from it)."""

    client: str
    home: str
    ops: int = 0  # requests issued
    writes: int = 0  # writes issued
    next_at: int = 0  # when it sends its next request
    waiting: int | None = None  # the open request's id


#: (f, value, think ticks after the answer) — a client's next request, given its state and now
Program = Callable[[ClientState, int, random.Random], tuple[str, Any, int]]


def _reader(low: int, high: int) -> Program:
    return lambda state, now, rng: ("read", None, rng.randint(low, high))


def _author(state: ClientState, now: int, rng: random.Random) -> tuple[str, Any, int]:
    """Post, refresh at once, pause; repeat (posts p1, p2, …)."""
    if state.ops % 2 == 0:
        return "write", f"p{state.writes + 1}", rng.randint(0, 2)
    return "read", None, rng.randint(20, 40)


def _teller(state: ClientState, now: int, rng: random.Random) -> tuple[str, Any, int]:
    """Open the account with 1000, then debit 30 every 60–100 ticks (970, 940, …)."""
    return "write", 1000 - 30 * state.writes, rng.randint(60, 100)


#: (time, record): the DNS administrator's updates, both before the partition
DNS_UPDATES = ((100, "192.0.2.1"), (200, "192.0.2.2"))
DNS_TTL = 100


def _admin(state: ClientState, now: int, rng: random.Random) -> tuple[str, Any, int]:
    """Look the record up like every resolver; at t=100 and t=200, update it."""
    if state.writes < len(DNS_UPDATES) and now >= DNS_UPDATES[state.writes][0]:
        return "write", DNS_UPDATES[state.writes][1], rng.randint(10, 30)
    return "read", None, rng.randint(10, 30)


@dataclass(frozen=True)
class Scenario:
    """An application: its clients' programs, the key, and who the requirement is about."""

    name: str
    title: str
    key: str
    requirement: str
    programs: dict[str, Program]
    measured: str  # whose requests the cost is measured on, in words
    budget: float | None  # the share of measured requests that must be answered (None: any)
    first_at: dict[str, int] = field(default_factory=dict)  # a client's first request time


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("A", "social post (社群貼文)", "posts:c4",
             "the author c4 sees their own latest post after a refresh, and posting keeps "
             "working for them",
             {"c1": _reader(20, 60), "c2": _reader(20, 60), "c3": _reader(20, 60),
              "c4": _author, "c5": _reader(20, 60)},
             "the author's posts and refreshes", 0.95),
    Scenario("B", "bank balance (銀行轉帳)", "balance:alice",
             "once a debit is acknowledged, no one anywhere reads the older balance; "
             "refusing to answer is acceptable",
             {"c1": _teller, "c2": _reader(10, 30), "c3": _reader(10, 30),
              "c4": _reader(10, 30), "c5": _reader(10, 30)},
             "the balance reads", None,
             first_at={"c2": 60, "c3": 60, "c4": 60, "c5": 60}),  # after the account opened
    Scenario("C", "DNS update (DNS 更新)", "dns:example.com",
             f"every resolver sees the update within the TTL ({DNS_TTL} ticks), and at least "
             "99% of lookups are answered",
             {"c1": _admin, "c2": _reader(10, 30), "c3": _reader(10, 30),
              "c4": _reader(10, 30), "c5": _reader(10, 30)},
             "the DNS lookups", 0.99),
)}


# -- one run ----------------------------------------------------------------------------------


def geo_network() -> Network:
    """Clients sit next to their node (1–4 ticks); nodes are far apart (5–25 ticks)."""
    network = Network(latency=(1, 4))
    for src in NODES:
        for dst in NODES:
            if src != dst:
                network = network.with_link(src, dst, latency=(5, 25))
    return network


@dataclass(frozen=True, slots=True)
class Cost:
    """What the measured requests of a run got: answers and latency."""

    requests: int
    answered: int
    latency: float  # mean ticks from call to answer, answered requests only
    # unanswered requests by cause: "partition" (a minority client during the cut),
    # "crash" (sent to the crashed node), "other"
    unanswered: dict[str, int] = field(default_factory=dict)

    @property
    def availability(self) -> float:
        """The share of requests answered ok (1.0 when there were none)."""
        return self.answered / self.requests if self.requests else 1.0


@dataclass
class ScenarioRun:
    """One scenario against one strength: the simulation, its history, what it cost."""

    scenario: Scenario
    strength: Strength
    seed: int
    sim: Simulation
    history: History  # one Op per request; op.id indexes ``served_by``
    served_by: list[str]  # the node each request was sent to
    violations: list[str]  # what broke the requirement, one sentence each, earliest first
    cost: Cost

    @property
    def meets_requirement(self) -> bool:
        """No violation of the scenario's requirement."""
        return not self.violations

    @property
    def within_budget(self) -> bool:
        """Enough of the measured requests were answered (always, without a budget)."""
        budget = self.scenario.budget
        return budget is None or self.cost.availability >= budget

    @property
    def replay(self) -> str:
        """The call that reruns this run."""
        return (f"consensus_lab.grading.choice_scenarios.run_scenario("
                f"{self.scenario.name!r}, {self.strength.name!r}, seed={self.seed})")


def run_scenario(scenario: str, strength_name: str, seed: int = DEFAULT_SEED) -> ScenarioRun:
    """Run ``scenario`` ("A", "B", "C") on the store of ``strength_name`` (same seed, same run)."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    if not isinstance(seed, int):
        raise ValueError(f"seed must be an int, got {seed!r}")
    spec, setup = SCENARIOS[scenario], strength(strength_name)
    sim = Simulation(setup.factory(), list(NODES), seed=seed, network=geo_network())
    routed = _drive(sim, spec, setup, random.Random(seed * 7919 + ord(scenario)))
    sim.run(until=END + SETTLE)
    history = History.from_sim(sim.history)
    served_by = [routed[inv.request_id] for inv, _ in sim.history.pairs()]
    run = ScenarioRun(spec, setup, seed, sim, history, served_by, [], Cost(0, 0, 0.0))
    run.violations = _VIOLATIONS[scenario](run)
    run.cost = _cost(run)
    return run


def _drive(sim: Simulation, spec: Scenario, setup: Strength,
           rng: random.Random) -> dict[int, str]:
    """Clients issue requests until END; the partition, heal and crash happen on time.

    Returns the node each request (by id) was sent to.
    """
    clients = {c: ClientState(c, "n" + c.removeprefix("c"), next_at=spec.first_at.get(c, 0))
               for c in sorted(spec.programs)}
    routed: dict[int, str] = {}
    think: dict[str, int] = {}
    seen = 0
    for now in range(END + 1):
        sim.run(until=now)
        for op in sim.history.ops[seen:]:
            for state in clients.values():
                if op.type != "invoke" and op.request_id == state.waiting:
                    state.waiting, state.next_at = None, now + think[state.client]
        seen = len(sim.history.ops)
        _nemesis(sim, now)
        for state in clients.values():
            if now < END and state.waiting is None and state.next_at <= now:
                f, value, think[state.client] = spec.programs[state.client](state, now, rng)
                node = _route(sim, state, setup.routing, now, rng)
                timeout = CONNECT_TIMEOUT if node in sim.crashed else CLIENT_TIMEOUT
                request = sim.submit(node, f, spec.key, value, client=state.client,
                                     timeout=timeout)
                routed[request.id] = node
                state.waiting, state.ops = request.id, state.ops + 1
                state.writes += f == "write"
    return routed


def _nemesis(sim: Simulation, now: int) -> None:
    if now == PARTITION_AT:
        sim.partition(MINORITY, MAJORITY)
    elif now == HEAL_AT:
        sim.heal()
    elif now == CRASH_AT:
        sim.crash(CRASHED)


def side_of(node: str) -> tuple[str, ...]:
    """The nodes on ``node``'s side of the partition."""
    return MINORITY if node in MINORITY else MAJORITY


def _route(sim: Simulation, state: ClientState, routing: str, now: int,
           rng: random.Random) -> str:
    """Sticky: the home node, up or down. Balanced: any live node the client can reach."""
    if routing == "sticky":
        return state.home
    reachable = side_of(state.home) if PARTITION_AT <= now < HEAL_AT else NODES
    live = [n for n in reachable if n not in sim.crashed]
    return rng.choice(live)


# -- the requirement of each scenario -------------------------------------------------------------


def _author_misses(run: ScenarioRun) -> list[str]:
    """A: the author's refreshes that missed the author's own latest post (Terry's RYW)."""
    found = []
    for v in read_your_writes(run.history):
        if v.process != "c4":
            continue
        read, write = v.second, v.first
        shown = "nothing" if read.output is None else repr(read.output)
        found.append(f"the author c4 posted {write.value!r} (acknowledged at t={write.ret:g}) "
                     f"and refreshed at t={read.call:g} without it: {run.served_by[read.id]} "
                     f"answered {shown}")
    return found


def _stale_balances(run: ScenarioRun) -> list[str]:
    """B: reads that returned a balance older than a debit acknowledged before they began."""
    debits = [(op.ret, op.value) for op in run.history if op.f == "write" and op.status == "ok"]
    index = {inv.request_id: i for i, (inv, _) in enumerate(run.sim.history.pairs())}
    found = []
    for inv, comp in find_anomalies(run.sim.history, {}).stale_reads:
        ack_at, balance = max((d for d in debits if d[0] < inv.time), key=lambda d: d[0])
        node = run.served_by[index[inv.request_id]]
        found.append(f"{inv.process} read the balance {comp.value!r} at t={inv.time} (from "
                     f"{node}) although the debit to {balance} was acknowledged to c1 at "
                     f"t={ack_at:g}")
    if not found and check(run.history, "register").verdict == "illegal":
        found.append("the balance history is not linearizable: "
                     + check(run.history, "register").explanation)
    return found


def _late_lookups(run: ScenarioRun) -> list[str]:
    """C: lookups that began a TTL after the last update was acknowledged and missed it."""
    updates = [op for op in run.history if op.f == "write"]
    last = max(updates, key=lambda op: op.call)
    if last.status != "ok":
        return [f"the DNS update to {last.value!r} (sent at t={last.call:g}) was never "
                "acknowledged"]
    return [f"{op.process} looked the record up at t={op.call:g} ({op.call - last.ret:g} ticks "
            f"after the update to {last.value!r} was acknowledged, TTL {DNS_TTL}) and "
            f"{run.served_by[op.id]} answered {op.output!r}"
            for op in sorted(run.history, key=lambda o: o.call)
            if op.f == "read" and op.status == "ok" and op.call >= last.ret + DNS_TTL
            and op.output != last.value]


_VIOLATIONS: dict[str, Callable[[ScenarioRun], list[str]]] = {
    "A": _author_misses, "B": _stale_balances, "C": _late_lookups}


# -- what a run cost ------------------------------------------------------------------------------


def measured_ops(run: ScenarioRun) -> list[Op]:
    """The requests whose cost the scenario cares about (see ``Scenario.measured``)."""
    if run.scenario.name == "A":
        return [op for op in run.history if op.process == "c4"]
    return [op for op in run.history if op.f == "read"]


def _cause(run: ScenarioRun, op: Op) -> str:
    node = run.served_by[op.id]
    if node == CRASHED and op.call >= CRASH_AT:
        return "crash"
    if PARTITION_AT <= op.call < HEAL_AT and "n" + op.process.removeprefix("c") in MINORITY:
        return "partition"
    return "other"


def _cost(run: ScenarioRun) -> Cost:
    ops = measured_ops(run)
    answered = [op for op in ops if op.status == "ok"]
    unanswered: dict[str, int] = {}
    for op in ops:
        if op.status != "ok":
            cause = _cause(run, op)
            unanswered[cause] = unanswered.get(cause, 0) + 1
    latency = sum(op.ret - op.call for op in answered) / len(answered) if answered else 0.0
    return Cost(len(ops), len(answered), latency, unanswered)


def _clock_entries(msg: Any) -> int | None:
    """The ordering metadata a replicated write carries, in clock entries (None: not a write)."""
    if isinstance(msg, CausalWrite):
        return len(msg.vc) + 1  # a vector clock, plus the stamp that orders concurrent writes
    if isinstance(msg, Put):
        return len(msg.versions)  # one (time, node) stamp per version
    if isinstance(msg, Store | ApplyWrite):
        return 1  # a (counter, writer) timestamp or a sequence number
    return None


def ordering_metadata(run: ScenarioRun) -> float:
    """Clock entries per replicated write, on average over the run's messages."""
    entries = [n for rec in run.sim.trace if rec.kind == "send"
               if (n := _clock_entries(rec.message)) is not None]
    return sum(entries) / len(entries) if entries else 0.0


def held_back(run: ScenarioRun) -> int:
    """How many times a replica held a write back until the writes before it arrived."""
    return sum(1 for rec in run.sim.trace if rec.kind == "note"
               and rec.detail.startswith(("hold back", "hold #")))


def crashed_availability(run: ScenarioRun) -> tuple[int, int]:
    """(answered, requests) of c5's measured requests after its home node n5 crashed."""
    ops = [op for op in measured_ops(run)
           if op.process == "c" + CRASHED.removeprefix("n") and op.call >= CRASH_AT]
    return sum(op.status == "ok" for op in ops), len(ops)


def partition_availability(run: ScenarioRun) -> tuple[int, int]:
    """(answered, requests) of the measured requests of minority clients during the cut."""
    ops = [op for op in measured_ops(run) if PARTITION_AT <= op.call < HEAL_AT
           and "n" + op.process.removeprefix("c") in MINORITY]
    return sum(op.status == "ok" for op in ops), len(ops)
