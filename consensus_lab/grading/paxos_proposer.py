"""Grading checks for the ``paxos_proposer`` exercise (提議者 Proposer, rule P2c).

Theory of operation: the learner writes one pure function,
``choose_value(promises, own_value)``: given the ``Promise`` messages of a
majority of acceptors (in the order they arrived), the value to send in
phase 2. Paxos Made Simple §2.2, P2c: the value of the highest-ballot
proposal the promises report, or the proposer's own value if none reports
one. The checks

1. try the rule on examples chosen so that each classic slip answers
   differently (proposing one's own value anyway, taking the first reported
   value, taking the largest value instead of the highest ballot);
2. compare it with the rule on hundreds of seeded random promise sets;
3. plug it into every proposer of a simulated cluster
   (:class:`~consensus_lab.grading.paxos_common.RuleProposer`): a seed sweep
   with three proposers and faults, then the model checker over every
   schedule from :func:`~consensus_lab.grading.paxos_common.contested_setup`.
   A failure shows the counterexample's moves and its trace;
   :func:`model_check` and :func:`replay` rerun them with your code.
"""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

from consensus_lab.explore import ExploreResult
from consensus_lab.grading import paxos_common as common
from consensus_lab.grading.base import MUTATED_INPUT, PROPERTY, SLOW_CHECK_S, Check, expect
from consensus_lab.paxos import Ballot, Promise
from consensus_lab.sim import Simulation

EXERCISE = "paxos_proposer"
RANDOM_CASES = 500
_WHAT = "your choose_value in every proposer"
_REPLAY = "consensus_lab.grading.paxos_proposer.model_check()"
_STORY = ("The start: a1 accepted 'red' in ballot 1.p1 (p1's other messages of that ballot "
          "were lost); a2 and a3 promised ballot 1.p2, whose Accepts of 'green' are in flight; "
          "p1 may try again with ballot 2.p1.")
ROUNDS = {"p1": 2, "p2": 1}
_ASKED = Ballot(5, "p1")  # the ballot the promises answer in the examples


def _p(accepted: tuple[int, str, Any] | None, ballot: Ballot = _ASKED) -> Promise:
    """A Promise for ``ballot`` reporting ``(round, proposer, value)`` or nothing."""
    if accepted is None:
        return Promise(ballot=ballot, accepted=None)
    round_, proposer, value = accepted
    return Promise(ballot=ballot, accepted=(Ballot(round_, proposer), value))


def _show(promises: list[Promise]) -> str:
    return "[" + ", ".join(str(p) for p in promises) + "]"


def _choose(module: ModuleType, promises: list[Promise], own: Any, want: Any, why: str) -> None:
    before = list(promises)
    got = module.choose_value(promises, own)
    expect(promises == before, f"choose_value({_show(before)}, {own!r}) changed the list of "
           "promises; it must only read it", kind=MUTATED_INPUT)
    expect(got == want, f"choose_value({_show(promises)}, own_value={own!r}) returned {got!r}, "
           f"expected {want!r}: {why}")


# -- 1. rule examples ------------------------------------------------------------------------


def check_no_accepted(module: ModuleType) -> None:
    """No promise reports an accepted proposal: propose your own value."""
    _choose(module, [_p(None), _p(None)], "mine", "mine", "no acceptor of the majority has "
            "accepted anything, so no value can have been chosen yet: propose your own")
    _choose(module, [_p(None), _p(None), _p(None)], 7, 7, "three empty promises: your own "
            "value (any type of value works)")


def check_adopts_accepted(module: ModuleType) -> None:
    """One promise reports an accepted proposal: propose its value, not your own (P2c)."""
    _choose(module, [_p(None), _p((2, "p2", "x"))], "mine", "x", "a2 reports it accepted "
            "(2.p2, 'x'); 'x' may already be chosen (by acceptors outside this majority), so "
            "rule P2c says propose 'x', not your own value")
    _choose(module, [_p((1, "p1", "y")), _p(None)], "mine", "y", "a reported proposal "
            "(1.p1, 'y') must be adopted wherever it is in the list")


def check_highest_ballot(module: ModuleType) -> None:
    """Several promises report proposals: take the one with the highest ballot."""
    _choose(module, [_p((1, "p1", "a")), _p((2, "p2", "b"))], "mine", "b",
            "the proposal with the highest ballot is (2.p2, 'b'); the one reported first, "
            "(1.p1, 'a'), is older, and 'b' may be chosen already")
    _choose(module, [_p((3, "p1", "a")), _p((1, "p2", "z"))], "mine", "a", "ballot 3.p1 is "
            "the highest: compare ballots, not values ('z' > 'a' does not matter)")
    _choose(module, [_p((2, "p2", "b")), _p((2, "p1", "c")), _p(None)], "mine", "b",
            "2.p2 is above 2.p1 (same round, the proposer id breaks the tie)")


# -- 2. seeded random cases ------------------------------------------------------------------


def ref_choose(promises: list[Promise], own_value: Any) -> Any:
    """Rule P2c: the highest-ballot reported proposal's value, else your own."""
    reported = [p.accepted for p in promises if p.accepted is not None]
    return max(reported, key=lambda acc: acc[0])[1] if reported else own_value


def check_random_promises(module: ModuleType) -> None:
    """On 500 seeded random majorities of promises: the same value as rule P2c."""
    for seed in range(RANDOM_CASES):
        rng = random.Random(seed)
        ballots = rng.sample([Ballot(r, p) for r in range(1, 6) for p in ("p1", "p2", "p3")],
                             3)
        promises = [Promise(ballot=Ballot(9, "p1"), accepted=None if rng.random() < 0.35
                            else (b, rng.choice("abcdefgh"))) for b in ballots[:rng.choice((2, 3))]]
        want = ref_choose(promises, "mine")
        got = module.choose_value(list(promises), "mine")
        expect(got == want, f"choose_value({_show(promises)}, own_value='mine') returned "
               f"{got!r}, expected {want!r} (case seed {seed})", kind=PROPERTY, seed=seed)


# -- 3. simulated clusters -------------------------------------------------------------------


def _rules(module: ModuleType) -> common.Rules:
    return common.Rules(choose_value=module.choose_value)


def replay(seed: int, answers: str = "exercises") -> Simulation:
    """Rerun sweep seed ``seed`` with your ``choose_value`` (raises the same violation)."""
    return common.storm(_rules(common.load_learner(EXERCISE, answers)), seed)


def check_sweep(module: ModuleType) -> None:
    """300 seeded runs, 3 proposers, loss, duplication, acceptor crashes: one value chosen."""
    common.sweep(_rules(module), what=_WHAT,
                 replay="consensus_lab.grading.paxos_proposer.replay(seed={seed})")


def model_check(answers: str = "exercises") -> ExploreResult:
    """Run the grading's model checker on your ``choose_value``; ``.violation`` is the
    counterexample (``.violation.trace_text()``, ``viz.schedule_spacetime(.violation)``) or None."""
    return common.search(_rules(common.load_learner(EXERCISE, answers)), common.contested_setup,
                         ROUNDS)


def check_model(module: ModuleType) -> None:
    """Every schedule from a contested start, p1 trying a second ballot: one value chosen."""
    common.run_model_check(_rules(module), common.contested_setup, ROUNDS, what=_WHAT,
                           story=_STORY, replay=_REPLAY)


# Hints point at the rule and the usual slip, not at the code.
_P2C = ("Paxos Made Simple §2.2, P2c: among the promises, find the accepted proposals "
        "(promise.accepted is (ballot, value) or None); propose the value of the one with "
        "the highest ballot, your own value only when there is none")
_HIGHEST = ("compare the reported proposals by ballot (Ballot objects compare by round, then "
            "proposer id) — not by position in the list, not by value")

CHECKS: tuple[Check, ...] = (
    Check(name="no_accepted", prop="nothing accepted: propose your own value", hint=_P2C,
          fn=check_no_accepted),
    Check(name="adopts_accepted", prop="an accepted proposal is reported: adopt its value",
          hint=_P2C, fn=check_adopts_accepted),
    Check(name="highest_ballot", prop="several reported: the highest ballot's value",
          hint=_HIGHEST, fn=check_highest_ballot),
    Check(name="random_promises", prop="500 random majorities: the same value as rule P2c",
          hint=_HIGHEST, fn=check_random_promises),
    Check(name="sweep", prop="300 simulated runs with loss and crashes: one value chosen",
          hint=_P2C, fn=check_sweep,
          timeout_s=SLOW_CHECK_S),
    Check(name="model_check", prop="model checker: every schedule from a contested start "
          "chooses one value", hint=_HIGHEST, fn=check_model,
          timeout_s=SLOW_CHECK_S),
)
