"""What the three Raft exercises' simulator checks share: storms, scripts, replays.

Theory of operation: each Raft exercise plugs the learner's pure functions
into :class:`~consensus_lab.raft.RaftProtocol` as fields of its
:class:`~consensus_lab.raft.RaftRules` (no subclass: the exercise's grading
module wraps each function), and hands a factory of such nodes to the
helpers here:

* :func:`storm` — one seeded run of a five-node cluster on a network that
  drops, duplicates and reorders, with a nemesis that partitions, crashes and
  restarts nodes while clients submit commands; at the end every fault is
  healed and one last command must reach every node. The five safety
  properties of Figure 3 (:class:`~consensus_lab.raft.RaftInvariants`) are
  checked after every event.
* :func:`sweep` — :func:`storm` over a range of seeds; the first violation
  becomes a :class:`~consensus_lab.grading.base.GradingFailure` carrying the
  seed, the invariant's message, the tail of the trace and the call that
  replays it.
* :func:`elect` / :func:`commit` — the moves of a scripted schedule (the
  Figure 8 case, a lost commit): with :data:`SCRIPT_CONFIG` no election
  timer fires by itself, so a script starts each election by firing that
  node's timer, as a model checker would.
* :func:`load_learner` — the learner's answers file, for the replay helpers
  each grading module offers (``replay(seed)``, ``figure8()`` ...).

Everything is seeded: the same answers and the same seed give the same run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from consensus_lab.grading.base import INVARIANT, LIVENESS, GradingFailure, fail
from consensus_lab.raft import LEADER, RaftConfig, RaftInvariants, RaftNode, check_one_leader, one
from consensus_lab.raft import submit as raft_submit
from consensus_lab.sim import InvariantViolation, Network, Simulation, SimulationError

NodeFactory = Callable[[str, tuple[str, ...]], RaftNode]

TRACE_TAIL = 15
SWEEP_SEEDS = range(30)
STORM_NETWORK = Network(latency=(1, 15), drop=0.05, duplicate=0.03, reorder=0.08,
                        reorder_delay=100)
CALM_NETWORK = Network(latency=(1, 15))
#: No election timer fires by itself within a script (heartbeats keep flowing).
SCRIPT_CONFIG = RaftConfig(election_timeout=(100_000, 100_000))
SCRIPT_NETWORK = Network(latency=(2, 6))


def build(factory: NodeFactory, nodes: int | Iterable[str], *, seed: int = 0,
          network: Network = STORM_NETWORK,
          extra: Iterable[tuple[str, Callable[[Simulation], str | None]]] = ()) -> Simulation:
    """A simulation of ``factory`` nodes with the five Raft invariants (and ``extra`` ones)."""
    sim = Simulation(factory, nodes, seed=seed, network=network)
    RaftInvariants().install(sim)
    for name, check in extra:
        sim.add_invariant(name, check)
    return sim


def _nemesis(sim: Simulation, action: str, pick: Any) -> None:
    """Apply one fault; ``pick`` is the nemesis's own random stream."""
    ids = list(sim.node_ids)
    up = [n for n in ids if n not in sim.crashed]
    if action == "partition":
        sim.heal()
        sim.partition(pick.sample(ids, pick.randint(1, len(ids) // 2)))
    elif action == "heal":
        sim.heal()
    elif action == "crash" and len(up) > len(ids) // 2 + 1:
        sim.crash(pick.choice(up))
    elif action == "restart" and sim.crashed:
        sim.restart(pick.choice(sorted(sim.crashed)))


def storm(factory: NodeFactory, seed: int, *, nodes: int = 5, rounds: int = 12,
          round_ms: int = 150, sim: Simulation | None = None) -> Simulation:
    """One randomized run (see the module docstring); raises on a violation or no progress."""
    sim = sim or build(factory, nodes, seed=seed)
    pick = sim.rng("nemesis")
    for round_no in range(rounds):
        _nemesis(sim, pick.choice(("partition", "heal", "crash", "restart", "calm")), pick)
        for k in range(2):
            target = pick.choice(sim.node_ids)
            sim.submit(target, "put", key=f"k{k}", value=f"{round_no}.{k}", client=f"c{k}",
                       timeout=400)
        sim.run(until=sim.now + round_ms)
    sim.heal()
    for node in sorted(sim.crashed):
        sim.restart(node)
    sim.set_network(CALM_NETWORK)
    check_one_leader(sim, within=10_000)
    one(sim, ("final", seed), expected=len(sim.node_ids), within=10_000)
    return sim


def sweep(factory: NodeFactory, *, what: str, replay: str, seeds: Iterable[int] = SWEEP_SEEDS,
          extra: Iterable[tuple[str, Callable[[Simulation], str | None]]] = ()) -> None:
    """Run :func:`storm` for every seed; GradingFailure on the first that breaks.

    ``replay`` is a format string with ``{seed}``: the call that reruns the failing seed.
    """
    extra = tuple(extra)
    for seed in seeds:
        sim = build(factory, 5, seed=seed, extra=extra)
        try:
            storm(factory, seed, sim=sim)
        except InvariantViolation as exc:
            fail(f"with {what}, seed {seed}, t={exc.time}: {exc.name} broke — {exc.message}",
                 prop=exc.name, kind=INVARIANT, seed=seed, trace=exc.trace.tail(TRACE_TAIL),
                 replay=replay.format(seed=seed))
        except WrongAnswer as exc:
            fail(f"with {what}, seed {seed}, t={sim.now}: {exc}", seed=seed, hint=exc.hint,
                 trace=sim.trace.tail(TRACE_TAIL), replay=replay.format(seed=seed))
        except SimulationError as exc:
            fail(f"with {what}, seed {seed}: after every fault was healed the cluster made no "
                 f"progress — {exc}", kind=LIVENESS, seed=seed,
                 trace=sim.trace.tail(TRACE_TAIL), replay=replay.format(seed=seed))


# -- scripted schedules ----------------------------------------------------------------


class WrongAnswer(Exception):
    """Raised by a grading node when the learner's function answered something the node
    cannot go on with (accepting a log without the entry, a commit index past the log);
    :func:`sweep` and the scripts report it with the seed and the trace."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class ScriptStuck(Exception):
    """A scripted step did not happen (an election not won, a commit not reached)."""


def elect(sim: Simulation, node_id: str, *, attempts: int = 2, within: int = 200) -> bool:
    """Fire ``node_id``'s election timer now and run until it leads or ``within`` ms pass;
    try again, in the next term, up to ``attempts`` times. True if it leads."""
    for _ in range(attempts):
        timers = [e for e in sim.pending() if e.kind == "timer" and e.node == node_id
                  and e.name == "election"]
        if not timers:
            raise ScriptStuck(f"{node_id} has no election timer to fire (is it the leader?)")
        sim.fire(timers[0].id)
        if run_until(sim, lambda s: _leads(s, node_id), within):
            return True
    return False


def run_until(sim: Simulation, done: Callable[[Simulation], bool], within: int) -> bool:
    """Run in 5 ms slices until ``done(sim)`` or ``within`` ms have passed; ``done(sim)``.

    Time never jumps past the deadline to a far-off timer (in a script, the next
    event may be an election timeout 100 s away)."""
    deadline = sim.now + within
    while not done(sim) and sim.now < deadline:
        sim.run(until=min(deadline, sim.now + 5))
    return done(sim)


def _leads(sim: Simulation, node_id: str) -> bool:
    node = sim.nodes[node_id]
    return isinstance(node, RaftNode) and node.role == LEADER


def commit(sim: Simulation, node_id: str, command: Any, replicas: int,
           within: int = 500) -> int:
    """Submit ``command`` to leader ``node_id``; run until ``replicas`` nodes hold it applied."""
    index, _, ok = raft_submit(sim, command, node_id)
    if not ok:
        raise ScriptStuck(f"{node_id} is not the leader, so it cannot take {command!r}")
    def applied(s: Simulation) -> bool:
        return sum(1 for n in s.nodes.values()
                   if isinstance(n, RaftNode) and n.last_applied >= index) >= replicas

    if not run_until(sim, applied, within):
        raise ScriptStuck(f"{command!r} (index {index}) was not applied on {replicas} nodes")
    return index


def settle(sim: Simulation, ms: int = 100) -> None:
    """Let heartbeats and replies flow for ``ms`` of virtual time."""
    sim.run(until=sim.now + ms)


def script_failure(exc: InvariantViolation, what: str, story: str,
                   replay: str) -> GradingFailure:
    """The GradingFailure (to raise) for an invariant broken during a scripted schedule."""
    return GradingFailure(f"{story} With {what}, t={exc.time}: {exc.name} broke — "
                          f"{exc.message}", prop=exc.name, kind=INVARIANT, seed=exc.seed,
                          trace=exc.trace.tail(TRACE_TAIL), replay=replay)


def load_learner(exercise: str, answers: str = "exercises") -> ModuleType:
    """The learner's answers file for ``exercise`` (for the replay helpers)."""
    from consensus_lab.grading.answers import load_answers

    return load_answers(exercise, answers)
