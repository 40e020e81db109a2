"""Scripted Raft experiments for the notebooks and their tests (§5 of the paper).

Each function builds a cluster, drives it through a fixed script (crash,
partition, client requests, forced election timeouts) and reports what
happened. Scripts only use the simulator's public, recorded inputs, so
``sim.choices["inputs"]`` replays a run in a ``SimulationPlayer``.

* :func:`first_election` — how many rounds, candidacies and messages the
  first election takes (split votes with narrow timeouts).
* :func:`catch_up` — a follower far behind, with and without the
  fast-backup hint: how many AppendEntries round trips until it matches.
* :func:`lose_committed_entry` — the faults that lose a committed entry without
  the election restriction; :func:`search_seeds` runs it over seeds.
* :class:`Figure8` — the paper's Figure 8, stage by stage.
* :class:`ViolationLog` — the five safety properties, recording violations
  instead of raising (a broken run can be watched to the end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..sim import InvariantViolation, Network, Simulation, SimulationError, TraceRecord
from .cluster import DEFAULT_NETWORK, check_one_leader, leaders, raft_cluster
from .config import RaftConfig
from .invariants import RaftInvariants
from .messages import AppendEntries, AppendEntriesReply, RequestVote, RequestVoteReply
from .node import LEADER, RaftNode

PROPERTIES = ("election safety", "leader append-only", "log matching", "leader completeness",
              "state machine safety")


def run_until(sim: Simulation, predicate: Callable[[Simulation], bool],
              max_steps: int = 10_000) -> list[TraceRecord]:
    """Step until ``predicate(sim)``; return the trace records this produced."""
    mark = len(sim.trace)
    sim.run(until=predicate, max_steps=max_steps)
    if not predicate(sim):
        raise SimulationError(f"condition not reached within {max_steps} steps (t={sim.now})")
    return sim.trace.records[mark:]


def raft(sim: Simulation, node_id: str) -> RaftNode:
    """The live RaftNode ``node_id`` (raises if it is crashed)."""
    node = sim.nodes[node_id]
    if not isinstance(node, RaftNode):
        raise SimulationError(f"{node_id} is crashed")
    return node


def leader_id(sim: Simulation) -> str | None:
    """The id of the highest-term live leader, if any."""
    found = leaders(sim)
    return found[0].node_id if found else None


def submit_to_leader(sim: Simulation, f: str = "put", key: Any = None, value: Any = None,
                     client: str = "c1", timeout: int | None = None) -> str:
    """A client request to the node that leads (highest term), else to the first live node;
    returns that node (a follower would answer "not leader": a ``fail``)."""
    target = leader_id(sim) or next(n for n in sim.node_ids if n not in sim.crashed)
    sim.submit(target, f, key=key, value=value, client=client, timeout=timeout)
    return target


def install_invariants(sim: Simulation) -> None:
    """Check the five safety properties on ``sim`` after every event (raising)."""
    RaftInvariants().install(sim)


def settle_leader(sim: Simulation, within: int = 5_000) -> str:
    """Elect a leader and let one heartbeat round finish; returns the leader's id.

    Also a player ``setup`` for experiments that start with a stable leader.
    """
    node = check_one_leader(sim, within=within)
    sim.run(until=sim.now + node.config.heartbeat_interval)
    return node.node_id


def sends(sim: Simulation, *types: type, since: int = 0, src: str | None = None,
          dst: str | None = None) -> list[TraceRecord]:
    """Trace ``send`` records of messages of ``types`` from trace position ``since``."""
    return [r for r in sim.trace.records[since:]
            if r.kind == "send" and isinstance(r.message, types)
            and (src is None or r.node == src) and (dst is None or r.peer == dst)]


# ------------------------------------------------------------------ elections
@dataclass(frozen=True, slots=True)
class Election:
    """How the first election of one run went."""

    seed: int
    leader: str | None  # None: no leader within the time limit
    term: int  # the term it won = election rounds until a leader
    elected_at: int | None  # ms
    candidacies: int  # "election for term N" notes, all nodes together
    vote_messages: int  # RequestVote + RequestVoteReply sent


def first_election(seed: int, *, nodes: int = 5, config: RaftConfig | None = None,
                   network: Network | None = None, within: int = 10_000) -> Election:
    """Start a fresh cluster and run until its first leader (or ``within`` ms)."""
    sim = raft_cluster(nodes, seed=seed, config=config, network=network)
    sim.run(until=lambda s: bool(leaders(s)) or s.now >= within)
    found = leaders(sim)
    elected_at = sim.now if found else None
    sim.run(until=sim.now + 20)  # let the last vote replies land
    candidacies = sum(1 for r in sim.trace.filter(kind="note")
                      if r.detail.startswith("election for term"))
    return Election(seed, found[0].node_id if found else None,
                    found[0].current_term if found else 0, elected_at, candidacies,
                    len(sends(sim, RequestVote, RequestVoteReply)))


# ------------------------------------------------------------------- catch-up
@dataclass(frozen=True, slots=True)
class CatchUp:
    """A follower ``behind`` entries behind, brought up to date by the leader."""

    fast_backup: bool
    behind: int
    append_entries: int  # AppendEntries the leader sent it until it matched
    rejections: int  # AppendEntries it rejected (one per backed-up round trip)
    took_ms: int
    sim: Simulation = field(repr=False, compare=False)


def catch_up(fast_backup: bool, *, behind: int = 50, seed: int = 3, nodes: int = 3) -> CatchUp:
    """Crash a follower, commit ``behind`` commands without it, restart it.

    The leader kept moving its ``next_index`` for the dead follower
    forward (it pipelines), so the restarted follower rejects the first
    AppendEntries; the leader then backs up — a whole term at once with the
    hint, one entry per round trip without — until the logs match.
    """
    sim = raft_cluster(nodes, seed=seed, config=RaftConfig(fast_backup=fast_backup))
    leader = check_one_leader(sim).node_id
    lagger = next(n for n in sim.node_ids if n != leader)
    sim.crash(lagger)
    for k in range(behind):
        sim.submit(leader, "put", key=f"k{k}", value=k)
    sim.run(until=lambda s: raft(s, leader).commit_index >= behind, max_steps=200_000)
    sim.run(until=sim.now + 200)  # heartbeats go out to the dead follower too
    sim.restart(lagger)
    mark, start = len(sim.trace), sim.now
    run_until(sim, lambda s: raft(s, leader).match_index[lagger] >= behind, 200_000)
    rejected = [r for r in sim.trace.records[mark:] if r.kind == "send" and r.node == lagger
                and isinstance(r.message, AppendEntriesReply) and not r.message.success]
    return CatchUp(fast_backup, behind, len(sends(sim, AppendEntries, since=mark, src=leader,
                                                  dst=lagger)),
                   len(rejected), sim.now - start, sim)


# ----------------------------------------------- losing a committed entry (§5.4.1)
def lose_committed_entry(seed: int, *, election_restriction: bool = False,
                         commands: int = 3, cut_for: int = 60) -> Simulation:
    """The fault schedule of the safety notebook, on three nodes.

    1. elect a leader; 2. cut one follower (the *lagger*) off; 3. a client
    writes ``commands`` values, committed by the leader and the other
    follower; 4. crash the leader and heal the partition; 5. run 2 s.
    The lagger, whose term grew while it was cut off, may ask for votes
    first. Without the election restriction the up-to-date follower votes
    for it and a leader without the committed entries is elected: the
    Leader Completeness invariant raises :class:`InvariantViolation`.
    Returns the simulation when nothing was violated.
    """
    config = RaftConfig(election_restriction=election_restriction)
    sim = raft_cluster(3, seed=seed, config=config)
    leader = check_one_leader(sim).node_id
    lagger = [n for n in sim.node_ids if n != leader][-1]
    sim.partition([lagger])
    for k in range(commands):
        sim.submit(leader, "put", key="x", value=k)
    sim.run(until=sim.now + cut_for)
    sim.crash(leader)
    sim.heal()
    sim.run(until=sim.now + 2_000)
    return sim


@dataclass(frozen=True, slots=True)
class SeedOutcome:
    """One seed of a search: the violation it raised, if any."""

    seed: int
    violation: InvariantViolation | None

    @property
    def violated(self) -> bool:
        return self.violation is not None


def search_seeds(run: Callable[[int], object], seeds: Iterable[int]) -> list[SeedOutcome]:
    """Run ``run(seed)`` for each seed; keep each run's InvariantViolation (or None)."""
    outcomes = []
    for seed in seeds:
        try:
            run(seed)
        except InvariantViolation as exc:
            outcomes.append(SeedOutcome(seed, exc))
        else:
            outcomes.append(SeedOutcome(seed, None))
    return outcomes


# --------------------------------------------------------- recording violations
@dataclass(frozen=True, slots=True)
class Violation:
    """The first violation of one property: where and what."""

    name: str
    message: str
    step: int
    time: int


class ViolationLog:
    """The five safety properties, checked after every event, recorded not raised.

    ``install(sim)`` registers them; ``found`` lists the first violation of
    each property in the order they happened. A property that was violated
    is not checked any more (its memory of the run is no longer meaningful).
    """

    def __init__(self) -> None:
        self.invariants = RaftInvariants()
        self.found: list[Violation] = []

    def install(self, sim: Simulation) -> ViolationLog:
        inv = self.invariants
        checks = (inv.election_safety, inv.leader_append_only, inv.log_matching,
                  inv.leader_completeness, inv.state_machine_safety)
        for name, check in zip(PROPERTIES, checks, strict=True):
            sim.add_invariant(name, self._recording(name, check))
        return self

    def _recording(self, name: str,
                   check: Callable[[Simulation], Any]) -> Callable[[Simulation], None]:
        def run(sim: Simulation) -> None:
            if any(v.name == name for v in self.found):
                return None
            result = check(sim)
            if result is False or isinstance(result, str):
                message = result if isinstance(result, str) else "violated"
                self.found.append(Violation(name, message, sim.steps, sim.now))
            return None
        return run

    def names(self) -> list[str]:
        """The names of the violated properties, first violated first."""
        return [v.name for v in self.found]


# ------------------------------------------------------------------- Figure 8
FIGURE8_TIMEOUTS = (1_000, 2_000)  # nothing times out by itself: we force every election


class Figure8:
    """Figure 8 of the Raft paper on five nodes n1..n5 (the paper's S1..S5).

    Call the stages in order: ``a()``, ``b()``, ``c()``, then either ``d()``
    or ``e()`` (the paper's two possible futures of (c)). Election
    timeouts are long, so no node times out by itself; every election is
    forced (RaftScope's "time out"), and partitions decide who hears whom.
    ``commit_current_term_only=False`` is the buggy commit rule: in (c) the
    leader of term 4 commits the term-2 entry at index 2 by counting
    replicas, and (d) overwrites it. ``log`` records the safety violations.
    """

    def __init__(self, *, commit_current_term_only: bool = True, seed: int = 0,
                 network: Network | None = None) -> None:
        self.config = RaftConfig(election_timeout=FIGURE8_TIMEOUTS,
                                 commit_current_term_only=commit_current_term_only)
        self.sim = raft_cluster(5, seed=seed, config=self.config,
                                network=network or DEFAULT_NETWORK, invariants=False)
        self.log = ViolationLog().install(self.sim)
        self.stages: list[str] = []
        self.elect("n1")  # term 1: index 1 everywhere, committed
        self.write("n1", "x", 1)
        run_until(self.sim, lambda s: all(raft(s, n).commit_index >= 1 for n in s.node_ids))

    # ------------------------------------------------------------- helpers
    def elect(self, node_id: str, attempts: int = 3, wait: int = 40) -> bool:
        """Force ``node_id``'s election timeout until it leads (up to ``attempts``)."""
        sim = self.sim
        for _ in range(attempts):
            timer = next((e for e in sim.pending() if e.kind == "timer"
                          and e.node == node_id and e.name == "election"), None)
            if timer is None:
                raise SimulationError(f"{node_id} has no election timer (is it the leader?)")
            sim.fire(timer.id)
            sim.run(until=partial(self._won_or_quiet, node_id, sim.now + wait))
            if raft(sim, node_id).role == LEADER:
                return True
        return False

    @staticmethod
    def _won_or_quiet(node_id: str, deadline: int, sim: Simulation) -> bool:
        """Stop when ``node_id`` leads or nothing happens before ``deadline``."""
        next_time = sim.peek()
        return raft(sim, node_id).role == LEADER or next_time is None or next_time > deadline

    def write(self, node_id: str, key: str, value: Any) -> int:
        """A client writes to the leader ``node_id``; returns the log index it got there.

        Returns once the leader has appended the entry and sent its
        AppendEntries round (the ``replicate`` timer fired), so the entry is
        on the leader's disk even if the round reaches nobody.
        """
        before = raft(self.sim, node_id).log.last_index
        self.sim.submit(node_id, "put", key=key, value=value)
        run_until(self.sim, lambda s: raft(s, node_id).log.last_index > before
                  and not self._replicating(node_id))
        return before + 1

    def _replicating(self, node_id: str) -> bool:
        return any(e.kind == "timer" and e.node == node_id and e.name == "replicate"
                   for e in self.sim.pending())

    def cut(self, *groups: list[str]) -> None:
        """Make ``groups`` the partition (replacing the previous one)."""
        self.sim.heal()
        self.sim.partition(*groups)

    def _has(self, node_id: str, index: int, term: int) -> Callable[[Simulation], bool]:
        return lambda s: raft(s, node_id).log.last_index >= index and \
            raft(s, node_id).log.term_at(index) == term

    # -------------------------------------------------------------- stages
    def a(self) -> None:
        """(a) S1 leads term 2 and replicates index 2 to S2 only."""
        sim = self.sim
        sim.crash("n1")
        sim.restart("n1")  # back as a follower of term 1, so it can stand again
        self.elect("n1")  # term 2, votes from everyone
        self.cut(["n1", "n2"], ["n3", "n4", "n5"])
        self.write("n1", "x", 2)
        run_until(sim, self._has("n2", 2, 2))
        self.stages.append("a")

    def b(self) -> None:
        """(b) S1 crashes; S5 wins term 3 with S3, S4 and takes a different index 2."""
        sim = self.sim
        sim.crash("n1")
        self.elect("n5")  # term 3
        self.cut(["n5"])  # S5 will not get to replicate
        self.write("n5", "x", 3)
        sim.crash("n5")
        self.stages.append("b")

    def c(self) -> None:
        """(c) S1 restarts, wins term 4 with S2, S3, replicates index 2 to S3, takes index 3."""
        sim = self.sim
        sim.restart("n1")
        self.cut(["n1", "n2", "n3"], ["n4", "n5"])
        if not self.elect("n1"):  # term 3 fails (S3 voted for S5), term 4 wins
            raise SimulationError("S1 was not elected in (c)")
        run_until(sim, self._has("n3", 2, 2))
        run_until(sim, lambda s: raft(s, "n1").match_index["n3"] >= 2)
        self.cut(["n1"])  # S1's next entry stays on S1 for now
        self.write("n1", "x", 4)
        self.stages.append("c")

    def d(self) -> None:
        """(d) S1 crashes; S5 wins term 5 with S2, S3, S4 and overwrites index 2."""
        sim = self.sim
        sim.crash("n1")
        sim.restart("n5")
        sim.heal()
        if not self.elect("n5"):  # term 4 fails (S2, S3 voted for S1), term 5 wins
            raise SimulationError("S5 was not elected in (d)")
        run_until(sim, lambda s: all(raft(s, n).log.term_at(2) == 3 for n in ("n2", "n3", "n4")))
        self.write("n5", "x", 5)  # an entry of term 5 lets S5 commit index 2 under either rule
        run_until(sim, lambda s: raft(s, "n5").commit_index >= 3)
        sim.run(until=sim.now + 100)  # followers learn the commit index and apply
        self.stages.append("d")

    def e(self) -> bool:
        """(e) instead: S1 replicates index 3 (term 4) to a majority, then crashes.

        Returns whether S5 could still be elected (it cannot: S2 and S3
        have a last log term of 4, newer than S5's 3, so they refuse).
        """
        sim = self.sim
        sim.heal()
        run_until(sim, lambda s: raft(s, "n1").commit_index >= 3)
        sim.run(until=sim.now + 100)
        sim.crash("n1")
        sim.restart("n5")
        won = self.elect("n5")
        self.stages.append("e")
        return won
