"""Grading checks for the ``raft_request_vote`` exercise (Leader 選舉).

Theory of operation: the learner writes two pure functions,
``log_up_to_date(my_last_term, my_last_index, cand_last_term,
cand_last_index)`` and ``grant_vote(current_term, voted_for, my_last_term,
my_last_index, req)``. The checks

1. try each rule of Figure 2's RequestVote receiver on examples chosen so
   that each classic slip answers differently (comparing lengths before
   terms, voting twice in a term, voting in a stale term, forgetting the
   election restriction);
2. compare both functions with the rules on hundreds of seeded random cases;
3. plug ``grant_vote`` into :class:`~consensus_lab.raft.RaftProtocol` as its
   vote rule (:func:`vote_rule`, a :class:`~consensus_lab.raft.RaftRules`
   field) and run simulated clusters with the five safety
   invariants: two scripted schedules (a split vote; a stale log asking for
   votes after an entry was committed without it) and a seed sweep with
   crashes and partitions. A failure reports the seed, the broken property,
   the tail of the trace and the call that replays it
   (:func:`split_vote`, :func:`lost_commit`, :func:`replay`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from types import ModuleType

from consensus_lab.grading import raft_common as common
from consensus_lab.grading.base import PROPERTY, Check, expect, fail
from consensus_lab.raft import LEADER, RaftConfig, RaftNode, RaftRules, RaftState, RequestVote
from consensus_lab.sim import InvariantViolation, Simulation

EXERCISE = "raft_request_vote"
RANDOM_CASES = 600
GrantVote = Callable[[int, "str | None", int, int, RequestVote], bool]


def vote_rule(grant_vote: GrantVote) -> Callable[[RaftState, RequestVote], bool]:
    """The learner's ``grant_vote`` as the protocol's rule (it reads the node's state)."""
    def rule(state: RaftState, msg: RequestVote) -> bool:
        return grant_vote(state.current_term, state.voted_for, state.log.last_term,
                          state.log.last_index, msg)
    return rule


def factory(module: ModuleType, config: RaftConfig | None = None) -> common.NodeFactory:
    """Nodes that vote with ``module.grant_vote``."""
    config = config or RaftConfig()
    rules = replace(RaftRules.of(config), grant_vote=vote_rule(module.grant_vote))
    return partial(RaftNode, config=config, rules=rules)


# -- 1. rule examples -----------------------------------------------------------------

UpToDateCase = tuple[int, int, int, int, bool, str]


def _up_to_date(module: ModuleType, cases: list[UpToDateCase]) -> None:
    for my_term, my_index, cand_term, cand_index, expected, why in cases:
        got = module.log_up_to_date(my_term, my_index, cand_term, cand_index)
        expect(isinstance(got, bool) and got == expected,
               f"log_up_to_date(my_last_term={my_term}, my_last_index={my_index}, "
               f"cand_last_term={cand_term}, cand_last_index={cand_index}) returned {got!r}, "
               f"expected {expected}: {why}")


def check_up_to_date_last_term(module: ModuleType) -> None:
    """Different last terms: the later last term is more up to date, whatever the lengths."""
    _up_to_date(module, [
        (2, 5, 3, 2, True, "the candidate's last entry has a later term (3 > 2), so its log "
         "is more up to date even though it is shorter"),
        (3, 2, 2, 5, False, "our last entry has a later term (3 > 2): a longer log that ends "
         "in an older term is not more up to date"),
        (1, 10, 2, 1, True, "a later last term (2 > 1) wins against a log of ten entries"),
        (4, 4, 1, 9, False, "the candidate's last term 1 is older than ours (4)"),
        (0, 0, 1, 1, True, "our log is empty; any non-empty log is more up to date"),
        (2, 3, 0, 0, False, "the candidate's log is empty and ours is not"),
    ])


def check_up_to_date_length(module: ModuleType) -> None:
    """Same last term: the longer log is more up to date, and an equal one is enough."""
    _up_to_date(module, [
        (2, 5, 2, 5, True, "same last term, same length: the logs are equally up to date, "
         "and 'at least as up to date' includes equal"),
        (2, 5, 2, 6, True, "same last term, the candidate's log is longer"),
        (2, 5, 2, 4, False, "same last term, the candidate's log is shorter"),
        (0, 0, 0, 0, True, "both logs are empty: equally up to date"),
    ])


def _req(term: int, candidate: str, last_index: int, last_term: int) -> RequestVote:
    return RequestVote(term=term, candidate_id=candidate, last_log_index=last_index,
                       last_log_term=last_term)


GrantCase = tuple[int, "str | None", int, int, RequestVote, bool, str]


def _call(current_term: int, voted_for: str | None, my_term: int, my_index: int,
          req: RequestVote) -> str:
    return (f"grant_vote(current_term={current_term}, voted_for={voted_for!r}, "
            f"my_last_term={my_term}, my_last_index={my_index}, req={req!r})")


def _grant(module: ModuleType, cases: list[GrantCase]) -> None:
    for current_term, voted_for, my_term, my_index, req, expected, why in cases:
        got = module.grant_vote(current_term, voted_for, my_term, my_index, req)
        expect(isinstance(got, bool) and got == expected,
               f"{_call(current_term, voted_for, my_term, my_index, req)} returned {got!r}, "
               f"expected {expected}: {why}")


def check_stale_term(module: ModuleType) -> None:
    """Rule 1: a request from an earlier term is refused; one from the current term may win."""
    _grant(module, [
        (5, None, 1, 1, _req(4, "n2", 7, 3), False, "the request's term 4 is older than ours "
         "(5): it comes from an election that is over, so reply false"),
        (5, "n2", 1, 1, _req(3, "n2", 7, 3), False, "a stale request (term 3 < 5) is refused "
         "even from the candidate we voted for in term 5"),
        (5, None, 1, 1, _req(5, "n2", 7, 3), True, "same term, no vote yet, and the "
         "candidate's log is more up to date: grant"),
    ])


def check_one_vote_per_term(module: ModuleType) -> None:
    """Rule 2: at most one candidate per term; the same candidate may ask again."""
    _grant(module, [
        (3, "n3", 1, 2, _req(3, "n2", 2, 1), False, "we already voted for n3 in term 3; a "
         "second candidate in the same term must be refused, or two leaders could win term 3"),
        (3, "n1", 1, 2, _req(3, "n2", 2, 1), False, "we are candidate n1 and voted for "
         "ourselves in term 3"),
        (3, "n2", 1, 2, _req(3, "n2", 2, 1), True, "we already voted for n2 in term 3: n2 "
         "asking again (its reply was lost) gets the same answer"),
        (3, None, 1, 2, _req(3, "n2", 2, 1), True, "no vote yet in term 3 and the logs are "
         "equal: grant"),
    ])


def check_restriction(module: ModuleType) -> None:
    """Rule 3: grant_vote refuses a candidate whose log is behind ours (election restriction)."""
    _grant(module, [
        (3, None, 2, 5, _req(3, "n2", 9, 1), False, "the candidate's log is longer but ends "
         "in term 1, older than our last term 2: it may lack an entry we hold committed"),
        (3, None, 2, 5, _req(3, "n2", 4, 2), False, "same last term 2, the candidate's log is "
         "shorter (4 < 5)"),
        (3, None, 2, 5, _req(3, "n2", 5, 2), True, "same last term, same length: up to date"),
        (3, None, 2, 5, _req(3, "n2", 1, 3), True, "the candidate's last term 3 is later"),
    ])


# -- 2. seeded random cases ---------------------------------------------------------------


def _ref_up_to_date(my_term: int, my_index: int, cand_term: int, cand_index: int) -> bool:
    if cand_term != my_term:
        return cand_term > my_term
    return cand_index >= my_index


def _ref_grant(current_term: int, voted_for: str | None, my_term: int, my_index: int,
               req: RequestVote) -> bool:
    return (req.term >= current_term and voted_for in (None, req.candidate_id)
            and _ref_up_to_date(my_term, my_index, req.last_log_term, req.last_log_index))


def _random_log_end(rng: random.Random, max_term: int, near: tuple[int, int] | None = None
                    ) -> tuple[int, int]:
    """A (last_term, last_index) with last_term <= max_term, often close to ``near``."""
    if near is not None and rng.random() < 0.7:
        term = min(max_term, max(0, near[0] + rng.choice((-1, 0, 0, 1))))
        index = max(0, near[1] + rng.choice((-2, -1, 0, 0, 1, 2)))
    else:
        term, index = rng.randint(0, max_term), rng.randint(0, 8)
    if term == 0 or index == 0:
        return 0, 0  # an empty log ends with term 0 at index 0
    return term, max(index, 1)


def check_random_requests(module: ModuleType) -> None:
    """On 600 seeded random requests: the same answers as the three rules."""
    for seed in range(RANDOM_CASES):
        rng = random.Random(seed)
        current_term = rng.randint(1, 6)
        voted_for = rng.choice((None, None, "n1", "n2", "n3"))
        my_term, my_index = _random_log_end(rng, current_term)
        req_term = rng.randint(max(1, current_term - 2), current_term)
        cand_term, cand_index = _random_log_end(rng, req_term, near=(my_term, my_index))
        req = _req(req_term, rng.choice(("n2", "n3")), cand_index, cand_term)
        got = module.log_up_to_date(my_term, my_index, cand_term, cand_index)
        want = _ref_up_to_date(my_term, my_index, cand_term, cand_index)
        expect(got == want, f"log_up_to_date(my_last_term={my_term}, my_last_index="
               f"{my_index}, cand_last_term={cand_term}, cand_last_index={cand_index}) returned "
               f"{got!r}, expected {want} (case seed {seed})", kind=PROPERTY, seed=seed,
               hint=_TERM_FIRST if cand_term != my_term else _LENGTH)
        got = module.grant_vote(current_term, voted_for, my_term, my_index, req)
        want = _ref_grant(current_term, voted_for, my_term, my_index, req)
        expect(got == want, f"{_call(current_term, voted_for, my_term, my_index, req)} "
               f"returned {got!r}, expected {want} (case seed {seed})", kind=PROPERTY, seed=seed,
               hint=_rule_hint(current_term, voted_for, req))


def _rule_hint(current_term: int, voted_for: str | None, req: RequestVote) -> str:
    """The hint for the first rule that decides this request."""
    if req.term < current_term:
        return _STALE
    if voted_for not in (None, req.candidate_id):
        return _ONCE
    return _RESTRICTION


# -- 3. simulated clusters -----------------------------------------------------------------

_WHAT = "your grant_vote deciding every vote"


def _split_vote(node_factory: common.NodeFactory) -> Simulation:
    """n1 and n2 stand for election in term 1 at the same moment; n3 hears both."""
    sim = common.build(node_factory, 3, network=common.SCRIPT_NETWORK)
    for node_id in ("n1", "n2"):
        timer = next(e for e in sim.pending() if e.node == node_id and e.name == "election")
        sim.fire(timer.id)
    common.settle(sim, 300)
    return sim


def split_vote(answers: str = "exercises") -> Simulation:
    """Replay the split-vote schedule with your ``grant_vote`` (raises on a violation)."""
    module = common.load_learner(EXERCISE, answers)
    return _split_vote(factory(module, common.SCRIPT_CONFIG))


def check_split_vote(module: ModuleType) -> None:
    """Two candidates in one term: at most one wins, and one does win."""
    try:
        sim = _split_vote(factory(module, common.SCRIPT_CONFIG))
    except InvariantViolation as exc:
        raise common.script_failure(exc, _WHAT, "n1 and n2 both stood for election in term 1 "
                                    "at the same moment, and each voted for itself.",
                                    "consensus_lab.grading.raft_request_vote.split_vote()"
                                    ) from exc
    winners = [n.node_id for n in sim.nodes.values()
               if isinstance(n, RaftNode) and n.role == LEADER]
    expect(len(winners) == 1, "n1 and n2 stood for election in term 1 at the same moment; "
           f"after 300 ms the leaders are {winners or 'none'}. n3 has voted for nobody in term "
           "1 and both logs are empty, so it should grant the first request it receives, "
           "and that candidate wins with 2 votes of 3", replay="consensus_lab.grading."
           "raft_request_vote.split_vote()", trace=sim.trace.tail(common.TRACE_TAIL))


_LOST_COMMIT_STORY = (
    "The schedule: n1 leads term 1 and commits 'a' everywhere; cut off alone, it appends "
    "x1 x2 x3 (term 1) that nobody else gets; n2 wins term 2 with n3's vote and commits "
    "'b' at index 2 on n2 and n3; n2 crashes, the network heals, and n1 — whose longer log "
    "ends in the older term 1 — asks n3 for its vote. n3 must refuse, or 'b' is lost.")


def _lost_commit(node_factory: common.NodeFactory) -> Simulation:
    """The scripted schedule of :data:`_LOST_COMMIT_STORY`; returns the simulation."""
    sim = common.build(node_factory, 3, network=common.SCRIPT_NETWORK)
    _must(common.elect(sim, "n1"), "n1 stood for election in term 1 with every log empty, "
          "but was not elected: n2 and n3 have not voted in term 1 and an empty log is as up "
          "to date as an empty log, so both should grant", sim)
    common.commit(sim, "n1", "a", replicas=3)
    sim.partition(["n1"], ["n2", "n3"])
    for command in ("x1", "x2", "x3"):
        common.raft_submit(sim, command, "n1")
    common.settle(sim, 50)
    _must(common.elect(sim, "n2"), "cut off from n1, n2 stood for election in term 2 with "
          "the log [a] and asked n3, whose log is also [a], but was not elected: n3 should "
          "grant (same last term, same length)", sim)
    common.commit(sim, "n2", "b", replicas=2)
    sim.crash("n2")
    sim.heal()
    common.settle(sim, 100)
    common.elect(sim, "n1")  # must NOT win: n3 holds 'b' of term 2
    return sim


def _must(condition: bool, message: str, sim: Simulation) -> None:
    expect(condition, message, trace=sim.trace.tail(common.TRACE_TAIL),
           replay="consensus_lab.grading.raft_request_vote.lost_commit()")


def lost_commit(answers: str = "exercises") -> Simulation:
    """Replay the lost-commit schedule with your ``grant_vote`` (raises on a violation)."""
    module = common.load_learner(EXERCISE, answers)
    return _lost_commit(factory(module, common.SCRIPT_CONFIG))


def check_lost_commit(module: ModuleType) -> None:
    """A stale log asks for votes after an entry was committed without it: it must lose."""
    try:
        _lost_commit(factory(module, common.SCRIPT_CONFIG))
    except InvariantViolation as exc:
        raise common.script_failure(exc, _WHAT, _LOST_COMMIT_STORY,
                                    "consensus_lab.grading.raft_request_vote.lost_commit()"
                                    ) from exc
    except common.ScriptStuck as exc:
        fail(f"the scripted schedule got stuck: {exc}. {_LOST_COMMIT_STORY}",
             replay="consensus_lab.grading.raft_request_vote.lost_commit()")


def replay(seed: int, answers: str = "exercises") -> Simulation:
    """Rerun sweep seed ``seed`` with your ``grant_vote`` (raises the same violation)."""
    return common.storm(factory(common.load_learner(EXERCISE, answers)), seed)


def check_sweep(module: ModuleType) -> None:
    """Seed sweep with crashes, partitions and a lossy network: safe, and a leader emerges."""
    common.sweep(factory(module), what=_WHAT,
                 replay="consensus_lab.grading.raft_request_vote.replay(seed={seed})")


# Hints point at the rule and the usual slip, not at the code.
_TERM_FIRST = ("§5.4.1 compares the *last terms* first; the lengths matter only when the "
               "last terms are equal — a long log of old entries is not up to date")
_LENGTH = ("with equal last terms the longer log wins, and 'at least as up to date' means "
           "an equal log is enough — check >= versus >")
_STALE = ("Figure 2, RequestVote receiver, step 1: a request whose term is below your "
          "current term is answered false before anything else is looked at")
_ONCE = ("one vote per term: grant only when you have not voted yet in this term or voted "
         "for this very candidate (its reply may have been lost)")
_RESTRICTION = ("the vote needs all three: a current term, a free (or same) vote, and a "
                "candidate log at least as up to date as yours — does grant_vote use "
                "log_up_to_date?")

CHECKS: tuple[Check, ...] = (
    Check(name="up_to_date_last_term", prop="different last terms: the later last term is "
          "more up to date", hint=_TERM_FIRST, fn=check_up_to_date_last_term),
    Check(name="up_to_date_length", prop="same last term: the longer (or an equal) log is up "
          "to date", hint=_LENGTH, fn=check_up_to_date_length),
    Check(name="stale_term", prop="rule 1: a request from an earlier term is refused",
          hint=_STALE, fn=check_stale_term),
    Check(name="one_vote_per_term", prop="rule 2: one candidate per term; the same one may "
          "ask again", hint=_ONCE, fn=check_one_vote_per_term),
    Check(name="restriction", prop="rule 3: no vote for a candidate whose log is behind",
          hint=_RESTRICTION, fn=check_restriction),
    Check(name="random_requests", prop="600 random requests: the same answers as the rules",
          hint=_RESTRICTION, fn=check_random_requests),
    Check(name="split_vote", prop="split vote: two candidates in one term, one leader",
          hint=_ONCE, fn=check_split_vote),
    Check(name="lost_commit", prop="a stale log cannot win after an entry was committed "
          "without it", hint=_TERM_FIRST, fn=check_lost_commit),
    Check(name="sweep", prop="30 simulated runs with crashes and partitions: safe, and a "
          "leader is elected", hint=_RESTRICTION, fn=check_sweep),
)
