"""Grading checks for the ``two_phase_commit`` exercise (兩階段提交).

Theory of operation: the learner writes four pure rules —
``coordinator_decision``, ``coordinator_recovery``, ``participant_timeout``
and ``participant_recovery``. The checks

1. try each rule on examples chosen so that each classic slip answers
   differently (a majority is not unanimity; presumed abort; an in-doubt
   participant may not guess; a prepared record survives a crash);
2. compare ``coordinator_decision`` with the rule on every combination of
   votes of three participants, with and without the timeout;
3. plug all four into every node of simulated 2PC clusters
   (:class:`RuleCoordinatorProtocol`, :class:`RuleParticipantProtocol` —
   the library's :mod:`consensus_lab.commit.twopc` step protocols with the
   learner's rules in place of its own, run by :class:`RuleCoordinator`
   and :class:`RuleParticipant`): a seeded sweep with a crash, a restart and message loss,
   then the model checker over every schedule of two small scenes. A
   failure shows the counterexample's moves and its trace;
   :func:`model_check` and :func:`replay` rerun them with your code.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from itertools import product
from types import ModuleType
from typing import Any

from consensus_lab.commit import (
    ABORT,
    COMMIT,
    COORDINATOR_TABLE,
    PARTICIPANT_TABLE,
    CommitConfig,
    CommitMonitor,
    Coordinator,
    CoordinatorProtocol,
    CoordinatorState,
    Participant,
    ParticipantProtocol,
    ParticipantState,
    Vote,
    all_decided,
)
from consensus_lab.commit.invariants import participant
from consensus_lab.commit.twopc import participant_ids
from consensus_lab.explore import ExploreResult, Scene, explore_scene
from consensus_lab.explore.commit_checks import atomicity, dead, useful_asks
from consensus_lab.explore.commit_scenes import PARTICIPANTS, CommitModel
from consensus_lab.explore.replay import NETWORK
from consensus_lab.grading.base import INVARIANT, LIVENESS, Check, expect, fail
from consensus_lab.sim import InvariantViolation, Network, Node, Simulation
from consensus_lab.sim.step import Deliver, Effects, Fire, Input

EXERCISE = "two_phase_commit"
SWEEP_SEEDS = range(60)
_WHAT = "your four rules in every coordinator and participant"


@dataclass(frozen=True)
class Rules:
    """The learner's four functions."""

    decide: Callable[..., Any]
    recover_coordinator: Callable[..., Any]
    timeout: Callable[..., Any]
    recover_participant: Callable[..., Any]


def rules_of(module: ModuleType) -> Rules:
    """The four rules of an answers module."""
    return Rules(module.coordinator_decision, module.coordinator_recovery,
                 module.participant_timeout, module.participant_recovery)


class WrongAnswer(Exception):
    """A rule returned something that is not one of the allowed answers."""


def _one_of(value: Any, allowed: tuple[Any, ...], call: str) -> Any:
    if value not in allowed:
        raise WrongAnswer(f"{call} returned {value!r}; allowed: "
                          f"{', '.join(repr(a) for a in allowed)}")
    return value


# -- the nodes with the learner's rules ------------------------------------------------------
_COORDINATOR_TABLE = {
    **COORDINATOR_TABLE,
    ("preparing", "decide commit"): ("committed", ("log_decision", "send_decision")),
    ("preparing", "decide abort"): ("aborted", ("send_decision",)),
    ("init", "recover: commit"): ("committed", ("send_decision",)),
    ("init", "recover: abort"): ("aborted", ("send_decision",)),
}
_PARTICIPANT_TABLE = {
    **PARTICIPANT_TABLE,
    ("prepared", "give up: abort"): ("aborted", ("log_abort", "release_locks")),
    ("working", "give up: abort"): ("aborted", ("log_abort", "release_locks")),
    ("working", "give up: commit"): ("committed", ("log_commit", "release_locks")),
    ("working", "ask timeout"): ("working", ("ask", "ask_later")),
}


@dataclass(frozen=True, slots=True)
class RuleCoordinatorState(CoordinatorState):
    """The coordinator's state plus every vote so far (participant, Yes?)."""

    votes: frozenset[tuple[str, bool]] = frozenset()


class RuleCoordinatorProtocol(CoordinatorProtocol):
    """The 2PC coordinator deciding and recovering with the learner's rules."""

    def __init__(self, rules: Rules) -> None:
        super().__init__(CommitConfig(), _COORDINATOR_TABLE)
        self.rules = rules

    def initial(self, node_id: str, peers: tuple[str, ...]) -> CoordinatorState:
        """The base state, with no votes."""
        return RuleCoordinatorState(frozenset(participant_ids(peers)))

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[CoordinatorState, Effects]:
        """Begin, or recover with ``coordinator_recovery(log)``."""
        state = self.initial(node_id, peers)
        if "tx" not in stored:
            return self.fire(state, "begin")
        call = f"coordinator_recovery({dict(stored)!r})"
        outcome = _one_of(self.rules.recover_coordinator(dict(stored)), (COMMIT, ABORT), call)
        return self.fire(state, f"recover: {outcome}")

    def step(self, state: CoordinatorState, event: Input) -> tuple[CoordinatorState, Effects]:
        """Votes go through ``coordinator_decision``, and so does the vote timeout
        (with ``timed_out=True``); questions are answered."""
        assert isinstance(state, RuleCoordinatorState)
        match event:
            case Deliver(src, Vote() as msg) if state.phase == "preparing":
                votes = {**dict(state.votes), src: msg.yes}
                return self._decide(replace(state, votes=frozenset(votes.items())), False)
            case Deliver(_, Vote()):
                return state, ()
            case Fire("votes") if state.phase == "preparing":
                return self._decide(state, True)
            case Fire():
                return state, ()
        return super().step(state, event)

    def _decide(self, state: RuleCoordinatorState,
                timed_out: bool) -> tuple[CoordinatorState, Effects]:
        votes = dict(sorted(state.votes))
        participants = tuple(sorted(state.participants))
        call = f"coordinator_decision({votes!r}, {participants!r}, timed_out={timed_out})"
        decision = _one_of(self.rules.decide(dict(votes), participants, timed_out),
                           (COMMIT, ABORT, None), call)
        if decision is None:
            return state, ()
        return self.fire(state, f"decide {decision}")


class RuleCoordinator(Coordinator):
    """The 2PC coordinator node running :class:`RuleCoordinatorProtocol`."""

    def __init__(self, node_id: str, peers: tuple[str, ...], rules: Rules) -> None:
        super().__init__(node_id, peers, protocol=RuleCoordinatorProtocol(rules))

    @property
    def votes(self) -> dict[str, bool]:
        """The votes so far."""
        state = self.state
        return dict(sorted(state.votes)) if isinstance(state, RuleCoordinatorState) else {}


class RuleParticipantProtocol(ParticipantProtocol):
    """A 2PC participant timing out and recovering with the learner's rules."""

    def __init__(self, rules: Rules, vote_yes: bool = True) -> None:
        super().__init__(CommitConfig(), vote_yes=vote_yes, table=_PARTICIPANT_TABLE)
        self.rules = rules

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[ParticipantState, Effects]:
        """Join, or recover with ``participant_recovery(log)``."""
        state = self.initial(node_id, peers)
        if "tx" not in stored:
            return self.fire(state, "join")
        log = dict(stored)
        found = _one_of(self.rules.recover_participant(log),
                        ("prepared", "committed", "aborted"), f"participant_recovery({log!r})")
        return self.fire(state, "recover: nothing logged" if found == "aborted"
                         and "log" not in log else f"recover: {found}")

    def step(self, state: ParticipantState, event: Input) -> tuple[ParticipantState, Effects]:
        """The ask timer goes through ``participant_timeout(voted_yes)``."""
        match event:
            case Fire("ask") if state.phase in ("working", "prepared"):
                voted = state.phase == "prepared"
                action = _one_of(self.rules.timeout(voted), ("abort", "commit", "ask"),
                                 f"participant_timeout({voted})")
                return self.fire(state, "ask timeout" if action == "ask"
                                 else f"give up: {action}")
            case Fire():
                return state, ()
        return super().step(state, event)


class RuleParticipant(Participant):
    """The 2PC participant node running :class:`RuleParticipantProtocol`."""

    def __init__(self, node_id: str, peers: tuple[str, ...], rules: Rules,
                 vote_yes: bool = True) -> None:
        super().__init__(node_id, peers, protocol=RuleParticipantProtocol(rules, vote_yes))


class RuleFactory:
    """Builds the rule-driven coordinator and participants (``no_voters`` vote No)."""

    def __init__(self, rules: Rules, no_voters: tuple[str, ...] = ()) -> None:
        self.rules, self.no_voters = rules, no_voters

    def __call__(self, node_id: str, peers: tuple[str, ...]) -> Node:
        if node_id.startswith("c"):
            return RuleCoordinator(node_id, peers, self.rules)
        return RuleParticipant(node_id, peers, self.rules, node_id not in self.no_voters)


def rule_sim(rules: Rules, *, seed: int = 0, network: Network = NETWORK,
             no_voters: tuple[str, ...] = (), blocking: bool = False) -> Simulation:
    """c1 and p1..p3 running the learner's rules, atomicity checked after every event."""
    sim = Simulation(RuleFactory(rules, no_voters), ("c1", *PARTICIPANTS), seed=seed,
                     network=network)
    CommitMonitor().install(sim, blocking=blocking)
    return sim


# -- 1. rule examples ------------------------------------------------------------------------
P3 = ("p1", "p2", "p3")


def _decision(module: ModuleType, votes: dict[str, bool], timed_out: bool, want: Any,
              why: str) -> None:
    call = f"coordinator_decision({votes!r}, {P3!r}, timed_out={timed_out})"
    got = module.coordinator_decision(dict(votes), P3, timed_out)
    expect(got == want, f"{call} returned {got!r}, expected {want!r}: {why}")


def check_decision(module: ModuleType) -> None:
    """One No aborts; commit needs every Yes; missing votes at the timeout abort."""
    _decision(module, {"p1": True, "p2": True, "p3": True}, False, COMMIT,
              "every participant voted Yes")
    _decision(module, {"p1": True, "p2": False}, False, ABORT, "p2 voted No: one No aborts")
    _decision(module, {"p1": True, "p2": True}, False, None, "p3 has not voted yet, and "
              "unanimity is needed: a majority is not enough, p3 may still vote No")
    _decision(module, {"p1": True, "p2": True}, True, ABORT, "the timeout fired with p3's "
              "vote missing: abort (never commit without every Yes)")
    _decision(module, {}, False, None, "no vote yet: wait")


def check_decision_every_case(module: ModuleType) -> None:
    """Every combination of three participants' votes, with and without the timeout."""
    for combo in product((None, True, False), repeat=3):
        votes = {p: v for p, v in zip(P3, combo, strict=True) if v is not None}
        want: str | None
        for timed_out in (False, True):
            if False in votes.values():
                want = ABORT
            elif len(votes) == 3:
                want = COMMIT
            else:
                want = ABORT if timed_out else None
            _decision(module, votes, timed_out, want, "the rule: any No aborts, all Yes "
                      "commits, missing votes wait (or abort at the timeout)")


def check_coordinator_recovery(module: ModuleType) -> None:
    """Presumed abort: a logged commit is commit; no decision logged is abort."""
    for log, want, why in (
        ({"tx": ("T1", P3), "decision": COMMIT}, COMMIT, "the commit was logged, and some "
         "participants may have committed already: send Commit again"),
        ({"tx": ("T1", P3)}, ABORT, "no decision in the log: the coordinator never told anyone "
         "to commit (it logs commit before sending it), so abort is safe — presumed abort"),
    ):
        got = module.coordinator_recovery(dict(log))
        expect(got == want, f"coordinator_recovery({log!r}) returned {got!r}, expected "
               f"{want!r}: {why}")


def check_in_doubt(module: ModuleType) -> None:
    """After a Yes a participant is in doubt: it asks and waits; before, it may abort."""
    got = module.participant_timeout(True)
    expect(got == "ask", f"participant_timeout(True) returned {got!r}, expected 'ask': it "
           "voted Yes, so the coordinator may have committed (then it must not abort) or "
           "aborted (then it must not commit) — it can only ask and wait, holding its locks")
    got = module.participant_timeout(False)
    expect(got in ("abort", "ask"), f"participant_timeout(False) returned {got!r}: before "
           "voting Yes a participant may abort on its own (or keep waiting), never commit")


def check_participant_recovery(module: ModuleType) -> None:
    """A prepared record survives the crash: the participant is in doubt again."""
    for log, want, why in (
        ({"tx": "T1", "log": "prepared"}, "prepared", "it voted Yes before the crash: it is "
         "in doubt again, takes its locks back and asks"),
        ({"tx": "T1", "log": COMMIT}, "committed", "the outcome was logged"),
        ({"tx": "T1", "log": ABORT}, "aborted", "the outcome was logged"),
        ({"tx": "T1"}, "aborted", "nothing logged: it had not voted Yes, and its work was "
         "lost with the crash"),
    ):
        got = module.participant_recovery(dict(log))
        expect(got == want, f"participant_recovery({log!r}) returned {got!r}, expected "
               f"{want!r}: {why}")


# -- 2. simulated clusters -------------------------------------------------------------------
def storm(rules: Rules, seed: int) -> Simulation:
    """One seeded run: loss, one crash and restart of a random node; raises on a violation."""
    rng = random.Random(seed)
    sim = rule_sim(rules, seed=seed, network=Network(latency=(1, 10), drop=0.05),
                   no_voters=("p2",) if rng.random() < 0.2 else ())
    victim = rng.choice(sim.node_ids)
    crash_at = rng.randint(0, 40)
    sim.at(crash_at, "crash", victim)
    sim.at(crash_at + rng.randint(1, 400), "restart", victim)
    sim.run(until=lambda s: s.now > 600 and all_decided(s), max_steps=50_000)
    return sim


def replay(seed: int, answers: str = "exercises") -> Simulation:
    """Rerun sweep seed ``seed`` with your rules (raises the same violation)."""
    from consensus_lab.grading.answers import load_answers

    return storm(rules_of(load_answers(EXERCISE, answers)), seed)


def check_sweep(module: ModuleType) -> None:
    """60 seeded runs with loss and a crash: atomic, and every participant decides."""
    rules = rules_of(module)
    for seed in SWEEP_SEEDS:
        try:
            sim = storm(rules, seed)
        except InvariantViolation as err:
            fail(f"seed {seed}: {err.message} — with {_WHAT}.", kind=INVARIANT, seed=seed,
                 trace=err.trace, replay=f"consensus_lab.grading.two_phase_commit.replay({seed})")
        except WrongAnswer as err:
            fail(f"seed {seed}: {err}", seed=seed)
        expect(all_decided(sim), f"seed {seed}: after the crashed node came back and every "
               f"message was delivered, some participant never decided: "
               f"{ {p: n.phase for p in PARTICIPANTS if (n := participant(sim, p))} }",
               kind=LIVENESS, seed=seed,
               replay=f"consensus_lab.grading.two_phase_commit.replay({seed})")


SCENES = {"all Yes, one reboot of any node": ((), ("c1", *PARTICIPANTS)),
          "p3 votes No": (("p3",), ())}


def model_check(answers: str = "exercises") -> list[ExploreResult]:
    """Run the grading's model checker on your rules (one result per scene);
    ``.violation`` is the counterexample (``.violation.trace_text()``)."""
    from consensus_lab.grading.answers import load_answers

    return [_search(rules_of(load_answers(EXERCISE, answers)), *scene)
            for scene in SCENES.values()]


def rule_protocols(rules: Rules, no_voters: tuple[str, ...] = ()) -> dict[str, Any]:
    """c1 and p1..p3 as step protocols with the learner's rules (``no_voters`` vote No)."""
    return {"c1": RuleCoordinatorProtocol(rules),
            **{p: RuleParticipantProtocol(rules, p not in no_voters) for p in PARTICIPANTS}}


def rule_scene(rules: Rules, no_voters: tuple[str, ...], crash: tuple[str, ...]) -> Scene:
    """The grading's search: every schedule from the start, atomicity on every world,
    at most one reboot of a node in ``crash``; an ``ask`` only when it can help."""
    return Scene(CommitModel(rule_protocols(rules, no_voters)),
                 invariants={"atomicity": atomicity}, allow=useful_asks, dead=dead,
                 reboot=True, crashes=1 if crash else 0, crash_nodes=crash or None,
                 symmetry=PARTICIPANTS if not no_voters else PARTICIPANTS[:2])


def _search(rules: Rules, no_voters: tuple[str, ...], crash: tuple[str, ...]) -> ExploreResult:
    return explore_scene(rule_scene(rules, no_voters, crash), max_states=50_000)


def check_model(module: ModuleType) -> None:
    """Every schedule of c1 and p1..p3 (all Yes with a reboot; p3 votes No): atomic."""
    rules = rules_of(module)
    for scene, (no_voters, crash) in SCENES.items():
        try:
            found = _search(rules, no_voters, crash).violation
        except WrongAnswer as error:
            fail(f"scene '{scene}': during the search, {error}")
        if found is None:
            continue
        moves = "; ".join(f"({i}) {a}" for i, a in enumerate(found.path, 1))
        fail(f"scene '{scene}': the model checker tried every schedule with {_WHAT}, and this "
             f"one, {len(found)} moves long, breaks {found.invariant} — {found.message}. "
             f"The moves: {moves}.", kind=INVARIANT, trace=found.trace_text(),
             replay="consensus_lab.grading.two_phase_commit.model_check()")


_DECIDE = ("commit needs a Yes from every participant; one No — or a vote still missing when "
           "the timeout fires — means abort; otherwise return None and wait")
_RECOVER = ("presumed abort: the coordinator logs commit before sending it, so a log without "
            "a decision means nobody was told to commit: abort; a logged commit is re-sent")
_DOUBT = ("once a participant voted Yes it is in doubt: it must ask and wait (holding its "
          "locks) — a guess, either way, can contradict the coordinator")
_PREPARED = ("the prepared record is the promise behind the Yes vote: after a crash the "
             "participant is in doubt again ('prepared'), not aborted")
_ALL = "check the four rules; the rule examples above point at the one that slipped"

CHECKS: tuple[Check, ...] = (
    Check(name="decision", prop="coordinator: one No aborts, commit needs every Yes",
          hint=_DECIDE, fn=check_decision),
    Check(name="decision_every_case", prop="coordinator: every combination of votes",
          hint=_DECIDE, fn=check_decision_every_case),
    Check(name="coordinator_recovery", prop="coordinator recovery: presumed abort",
          hint=_RECOVER, fn=check_coordinator_recovery),
    Check(name="in_doubt", prop="participant: in doubt after a Yes, it asks and waits",
          hint=_DOUBT, fn=check_in_doubt),
    Check(name="participant_recovery", prop="participant recovery: prepared stays in doubt",
          hint=_PREPARED, fn=check_participant_recovery),
    Check(name="sweep", prop="60 simulated runs with loss and a crash: atomic, all decide",
          hint=_ALL, fn=check_sweep),
    Check(name="model_check", prop="model checker: every schedule of two small scenes is "
          "atomic", hint=_ALL, fn=check_model, timeout_s=120),
)

__all__ = ["CHECKS", "RuleCoordinator", "RuleCoordinatorProtocol", "RuleParticipant",
           "RuleParticipantProtocol", "Rules", "model_check", "replay", "rule_protocols",
           "rule_scene", "rule_sim", "storm"]
