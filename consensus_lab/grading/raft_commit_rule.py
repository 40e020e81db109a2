"""Grading checks for the ``raft_commit_rule`` exercise (安全性保證).

Theory of operation: the learner writes the leader's commit rule as one
pure function, ``new_commit_index(commit_index, current_term, my_last_index,
match_indexes, term_at) -> int``. The checks

1. try each part of the rule on small leader states chosen so that each
   classic slip answers differently (forgetting that the leader's own log
   counts, a majority of the followers instead of the cluster, committing an
   old-term entry by counting replicas — the Figure 8 bug — stopping at
   ``commit_index + 1``, moving the commit index backwards);
2. compare it with the rule on hundreds of seeded random leader states;
3. plug it into :class:`~consensus_lab.raft.RaftProtocol` as its commit
   rule (:func:`commit_rule`) and run (a) the paper's Figure 8 as a scripted
   schedule of crashes, restarts and elections, where committing an
   old-term entry lets a later leader overwrite it, and (b) a seed sweep with
   crashes and partitions. A failure reports the seed, the broken property,
   the tail of the trace and the call that replays it (:func:`figure8`,
   :func:`replay`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from types import ModuleType
from typing import Any

from consensus_lab.grading import raft_common as common
from consensus_lab.grading.base import PROPERTY, Check, expect, fail
from consensus_lab.raft import LogEntry, RaftConfig, RaftLog, RaftNode, RaftRules, RaftState
from consensus_lab.raft.log import LogReads
from consensus_lab.sim import InvariantViolation, Simulation

EXERCISE = "raft_commit_rule"
RANDOM_CASES = 500
Rule = Callable[[int, int, int, Sequence[int], Callable[[int], Any]], int]


def commit_rule(rule: Rule) -> Callable[[RaftState], int]:
    """The learner's ``new_commit_index`` as the protocol's commit rule; an answer past the
    log or below the commit index stops the run with :class:`~.raft_common.WrongAnswer`."""
    def commit_index(state: RaftState) -> int:
        matches = tuple(m for _, m in state.match_index)
        old, last, log = state.commit_index, state.log.last_index, state.log
        new = rule(old, state.current_term, last, matches, log.term_at)
        call = (f"leader {state.node_id}'s new_commit_index(commit_index={old}, current_term="
                f"{state.current_term}, my_last_index={last}, match_indexes={matches}, "
                f"term_at: log {_terms(log)})")
        if not isinstance(new, int) or new > last:
            raise common.WrongAnswer(f"{call} returned {new!r}: the commit index is an int no "
                                     f"larger than the leader's last index {last}", hint=_RULE)
        if new < old:
            raise common.WrongAnswer(f"{call} returned {new}: the commit index never moves "
                                     "backwards (a committed entry stays committed)",
                                     hint=_BACKWARDS)
        return new
    return commit_index


def factory(module: ModuleType, config: RaftConfig | None = None) -> common.NodeFactory:
    """Nodes whose leaders commit with ``module.new_commit_index``."""
    config = config or RaftConfig()
    rules = replace(RaftRules.of(config), commit_index=commit_rule(module.new_commit_index))
    return partial(RaftNode, config=config, rules=rules)


def _terms(log: LogReads) -> str:
    return "[" + " ".join(str(e.term) for e in log.entries) + "]"


def _log(terms: Sequence[int]) -> RaftLog:
    return RaftLog(LogEntry(term=t, command=f"i{k + 1}") for k, t in enumerate(terms))


# -- 1. rule examples -----------------------------------------------------------------------

Case = tuple[int, int, Sequence[int], Sequence[int], int, str]


def _describe(commit_index: int, current_term: int, terms: Sequence[int],
              matches: Sequence[int]) -> str:
    return (f"new_commit_index(commit_index={commit_index}, current_term={current_term}, "
            f"my_last_index={len(terms)}, match_indexes={tuple(matches)}, term_at: log "
            f"[{' '.join(map(str, terms))}])")


def _ask(module: ModuleType, commit_index: int, current_term: int, terms: Sequence[int],
         matches: Sequence[int]) -> Any:
    log = _log(terms)
    return module.new_commit_index(commit_index, current_term, log.last_index, tuple(matches),
                                   log.term_at)


def _run_cases(module: ModuleType, cases: list[Case]) -> None:
    for commit_index, current_term, terms, matches, expected, why in cases:
        got = _ask(module, commit_index, current_term, terms, matches)
        servers = len(matches) + 1
        expect(got == expected and isinstance(got, int),
               f"{_describe(commit_index, current_term, terms, matches)} returned {got!r}, "
               f"expected {expected} ({servers} server{'s' * (servers > 1)}): {why}")


def check_leader_counts(module: ModuleType) -> None:
    """The leader's own log counts as one of the majority."""
    _run_cases(module, [
        (0, 2, (2, 2, 2), (3, 0), 3, "the leader and one follower hold entries 1..3: 2 of 3 "
         "servers are a majority — the leader's own copy counts"),
        (0, 1, (1, 1), (2, 2, 0, 0), 2, "the leader and two followers hold entry 2: 3 of 5"),
        (0, 1, (1,), (), 1, "a cluster of one: the leader alone is the majority"),
        (2, 3, (1, 3, 3, 3), (4, 0, 0, 4), 4, "the leader and two of four followers hold "
         "entry 4: 3 of 5"),
    ])


def check_needs_majority(module: ModuleType) -> None:
    """N needs more than half of all servers; otherwise the commit index stays."""
    _run_cases(module, [
        (0, 1, (1, 1, 1), (3, 0, 0, 0), 0, "only the leader and one follower hold any entry: "
         "2 of 5 is not a majority"),
        (0, 1, (1, 1, 1), (3, 0, 0), 0, "the leader and one follower are half of the "
         "servers, not a majority — 3 of 4 are needed"),
        (0, 1, (1, 1, 1), (3, 3, 0), 3, "the leader and two followers hold entry 3: 3 of 4"),
        (1, 2, (2, 2, 2, 2), (1, 1), 1, "no follower holds anything above entry 1: stay at 1"),
    ])


def check_highest_n(module: ModuleType) -> None:
    """The highest N held by a majority, not just commit_index + 1."""
    _run_cases(module, [
        (1, 2, (2,) * 6, (6, 4, 3, 1), 4, "entry 4 is on 3 of 5 servers (the leader, and the "
         "followers at 6 and 4); entry 5 is on only 2. The answer is the highest such N, not "
         "commit_index + 1"),
        (0, 3, (3,) * 5, (5, 2), 5, "entry 5 is on the leader and one follower: 2 of 3"),
    ])


def check_current_term_only(module: ModuleType) -> None:
    """Figure 8: an old-term entry is never committed by counting; a current-term one is."""
    _run_cases(module, [
        (0, 4, (1, 2, 2), (3, 3, 0, 0), 0, "entries 1..3 are on 3 of 5 servers, but they are "
         "of terms 1 and 2 and we lead term 4. Figure 8 shows such an entry can still be "
         "overwritten by a later leader, so counting its replicas never commits it"),
        (0, 4, (1, 2, 2, 4), (4, 4, 3, 0), 4, "entry 4 is of our term 4 and on 3 of 5 "
         "servers: commit it — and with it entries 1..3 (Log Matching)"),
        (1, 3, (1, 2, 2, 3, 3), (5, 3, 3, 1), 1, "entry 3 is on 4 of 5 servers but of term 2; "
         "entries 4 and 5, of our term 3, are on only 2. Nothing commits yet"),
    ])


def check_never_backwards(module: ModuleType) -> None:
    """No N above commit_index qualifies: return commit_index itself, never less."""
    _run_cases(module, [
        (5, 3, (1, 1, 2, 2, 2, 3), (0, 0), 5, "a new leader knows entries 1..5 are committed "
         "but its followers' match indexes start at 0: no N > 5 qualifies, so keep 5 — the "
         "commit index never moves backwards"),
        (4, 2, (2,) * 6, (2, 2, 0, 0), 4, "a majority holds only up to 2, yet entries 1..4 are "
         "already committed: keep 4"),
    ])


# -- 2. seeded random states ------------------------------------------------------------------


def _reference(commit_index: int, current_term: int, terms: Sequence[int],
               matches: Sequence[int]) -> int:
    majority = (len(matches) + 1) // 2 + 1
    for n in range(len(terms), commit_index, -1):
        if terms[n - 1] == current_term and 1 + sum(m >= n for m in matches) >= majority:
            return n
    return commit_index


def _random_state(rng: random.Random) -> tuple[int, int, list[int], list[int]]:
    current_term = rng.randint(2, 6)
    terms: list[int] = []
    for _ in range(rng.randint(1, 9)):
        terms.append(min(current_term, max(terms[-1] if terms else 1,
                                           rng.randint(1, current_term + 1))))
    matches = [rng.randint(0, len(terms)) for _ in range(rng.choice((0, 2, 2, 3, 4, 4, 6)))]
    commit_index = rng.randint(0, len(terms))
    return commit_index, current_term, terms, matches


def check_random_states(module: ModuleType) -> None:
    """On 500 seeded random leader states: the same answer as the rule."""
    for seed in range(RANDOM_CASES):
        commit_index, current_term, terms, matches = _random_state(random.Random(seed))
        got = _ask(module, commit_index, current_term, terms, matches)
        want = _reference(commit_index, current_term, terms, matches)
        expect(got == want, f"{_describe(commit_index, current_term, terms, matches)} returned "
               f"{got!r}, expected {want} ({len(matches) + 1} servers; case seed {seed})",
               kind=PROPERTY, seed=seed, hint=_diagnose(got, want, commit_index))


def _diagnose(got: Any, want: int, commit_index: int) -> str:
    if isinstance(got, int) and got < commit_index:
        return _BACKWARDS
    return _RULE


# -- 3. the simulator -----------------------------------------------------------------------------

_WHAT = "leaders committing by your new_commit_index"
_FIGURE8_STORY = (
    "The Figure 8 schedule, five servers: (a) n1 leads term 1, commits 'a' everywhere, then "
    "appends 'b' at index 2, which reaches only n2; (b) n1 crashes, n5 wins term 2 with votes "
    "from n3 and n4 and appends 'c' at index 2, which reaches nobody, then crashes; (c) n1 "
    "restarts, wins term 3 and copies 'b' (of term 1) to n3 and n4 — now on a majority, but "
    "not of term 3, so it must NOT count as committed; (d) n1 crashes, n5 restarts and wins "
    "term 4 (its last term 2 beats the others' 1) and overwrites index 2 with 'c'. If 'b' had "
    "been committed in (c), it is lost in (d).")
_FIGURE8_REPLAY = "consensus_lab.grading.raft_commit_rule.figure8()"


def _figure8(node_factory: common.NodeFactory) -> Simulation:
    """The scripted schedule of :data:`_FIGURE8_STORY`; returns the simulation."""
    sim = common.build(node_factory, 5, network=common.SCRIPT_NETWORK)
    _step(common.elect(sim, "n1"), "n1 did not win the first election", sim)
    common.commit(sim, "n1", "a", replicas=5)
    sim.partition(["n1", "n2"], ["n3", "n4", "n5"])
    common.raft_submit(sim, "b", "n1")
    common.settle(sim, 50)
    sim.crash("n1")  # (b)
    _step(common.elect(sim, "n5"), "n5 did not win term 2 with n3 and n4", sim)
    sim.heal()
    sim.partition(["n5"])
    common.raft_submit(sim, "c", "n5")
    common.settle(sim, 20)
    sim.crash("n5")
    sim.heal()  # (c)
    sim.restart("n1")
    _step(common.elect(sim, "n1"), "n1 did not win term 3 after its restart", sim)
    common.settle(sim, 100)
    sim.crash("n1")  # (d)
    sim.restart("n5")
    _step(common.elect(sim, "n5", attempts=3), "n5 did not win term 4 after its restart", sim)
    common.commit(sim, "n5", "d", replicas=4)  # (e)
    return sim


def _step(done: bool, what: str, sim: Simulation) -> None:
    if not done:
        raise common.ScriptStuck(f"{what} (t={sim.now})")


def figure8(answers: str = "exercises") -> Simulation:
    """Replay the Figure 8 schedule with your ``new_commit_index`` (raises on a violation)."""
    return _figure8(factory(common.load_learner(EXERCISE, answers), common.SCRIPT_CONFIG))


def check_figure8(module: ModuleType) -> None:
    """Figure 8: an old-term entry copied to a majority is not committed, so it may be lost."""
    try:
        _figure8(factory(module, common.SCRIPT_CONFIG))
    except InvariantViolation as exc:
        raise common.script_failure(exc, _WHAT, _FIGURE8_STORY, _FIGURE8_REPLAY) from exc
    except common.WrongAnswer as exc:
        fail(f"during the Figure 8 schedule, {exc}. {_FIGURE8_STORY}", hint=exc.hint,
             replay=_FIGURE8_REPLAY)
    except common.ScriptStuck as exc:
        fail(f"the Figure 8 schedule got stuck: {exc}. {_FIGURE8_STORY} (e) n5 commits 'd' "
             "at index 3, of its term 4, on four servers.", replay=_FIGURE8_REPLAY)


def replay(seed: int, answers: str = "exercises") -> Simulation:
    """Rerun sweep seed ``seed`` with your ``new_commit_index`` (raises the same violation)."""
    return common.storm(factory(common.load_learner(EXERCISE, answers)), seed)


def check_sweep(module: ModuleType) -> None:
    """Seed sweep with crashes and partitions: safe, and every command eventually commits."""
    common.sweep(factory(module), what=_WHAT,
                 replay="consensus_lab.grading.raft_commit_rule.replay(seed={seed})")


# Hints point at the rule and the usual slip, not at the code.
_MAJORITY = ("count the servers that hold entry N — the leader holds every entry of its "
             "own log — and compare with a majority of all len(match_indexes) + 1 servers")
_HIGHEST = "look for the highest N that qualifies, not only the next one after commit_index"
_TERM = ("Figure 8: counting replicas commits only an entry of the leader's current term; "
         "older entries are committed indirectly, by a later entry of the current term")
_BACKWARDS = ("when no N above commit_index qualifies, the answer is commit_index itself: "
              "a committed entry stays committed")
_RULE = ("three conditions, all needed: N > commit_index, a majority of all servers (the "
         "leader included) hold N, and the entry at N is of the current term")

CHECKS: tuple[Check, ...] = (
    Check(name="leader_counts", prop="the leader's own log counts toward the majority",
          hint=_MAJORITY, fn=check_leader_counts),
    Check(name="needs_majority", prop="N needs a majority of all servers, not half",
          hint=_MAJORITY, fn=check_needs_majority),
    Check(name="highest_n", prop="the highest N held by a majority", hint=_HIGHEST,
          fn=check_highest_n),
    Check(name="current_term_only", prop="Figure 8: only an entry of the current term commits "
          "by counting", hint=_TERM, fn=check_current_term_only),
    Check(name="never_backwards", prop="the commit index never moves backwards",
          hint=_BACKWARDS, fn=check_never_backwards),
    Check(name="random_states", prop="500 random leader states: the same answer as the rule",
          hint=_RULE, fn=check_random_states),
    Check(name="figure8", prop="the Figure 8 schedule: no old-term entry committed by "
          "counting", hint=_TERM, fn=check_figure8),
    Check(name="sweep", prop="30 simulated runs with crashes and partitions: safe, and "
          "commands commit", hint=_RULE, fn=check_sweep),
)
