"""Grading checks for the ``paxos_acceptor`` exercise (接受者 Acceptor).

Theory of operation: the learner writes two pure functions over an
:class:`~consensus_lab.grading.paxos_common.AcceptorState` (the promise and
the accepted proposal): ``handle_prepare(state, ballot)`` and
``handle_accept(state, ballot, value)``, each returning the new state and
the reply. The checks

1. try each rule of Paxos Made Simple §2.2 on examples chosen so that each
   classic slip answers differently (accepting below the promise, a Promise
   that hides the accepted proposal, accepting without raising the promise);
   promising the same ballot twice, or refusing it, are both fine;
2. compare both functions with the rules on hundreds of seeded random cases;
3. plug them into every acceptor of a simulated cluster
   (:class:`~consensus_lab.grading.paxos_common.RuleAcceptor`): a seed sweep
   with three proposers, loss, duplication and acceptor crashes, then the
   model checker over every schedule from :func:`leftover_setup`. A failure
   shows the counterexample's moves and its trace; :func:`model_check` and
   :func:`replay` rerun them with your code.
"""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

from consensus_lab.explore import ExploreResult
from consensus_lab.grading import paxos_common as common
from consensus_lab.grading.base import PROPERTY, SLOW_CHECK_S, Check, expect
from consensus_lab.grading.paxos_common import AcceptorState
from consensus_lab.paxos import Accepted, Ballot, Nack, Promise
from consensus_lab.sim import Simulation

EXERCISE = "paxos_acceptor"
RANDOM_CASES = 500
_WHAT = "your handle_prepare and handle_accept in every acceptor"
_REPLAY = "consensus_lab.grading.paxos_acceptor.model_check()"
_STORY = ("The start: proposer p1 (value 'red') had ballot 1.p1 promised by a1 and a2, and "
          "its Accept reached a1 alone; its other messages and p2's Prepares for ballot 1.p2 "
          "(value 'green') are still in flight.")
ROUNDS = {"p1": 1, "p2": 1}


def _fmt(x: Any) -> str:
    """A ballot or message in its short form (``2.p1``, ``Promise(3.p1 acc=-)``), else repr."""
    return str(x) if isinstance(x, Ballot | Promise | Nack | Accepted | AcceptorState) \
        else repr(x)


def _b(round_: int, proposer: str = "p1") -> Ballot:
    return Ballot(round_, proposer)


def _state(promised: Ballot | None = None,
           accepted: tuple[Ballot, Any] | None = None) -> AcceptorState:
    return AcceptorState(promised, accepted)


# -- 1. rule examples ------------------------------------------------------------------------


def _prepare(module: ModuleType, state: AcceptorState, ballot: Ballot) -> tuple[str, Any, Any]:
    call = f"handle_prepare({state}, {ballot})"
    answer = module.handle_prepare(state, ballot)
    expect(isinstance(answer, tuple) and len(answer) == 2
           and isinstance(answer[0], AcceptorState),
           f"{call} returned {answer!r}; it must return (AcceptorState, Promise or Nack)")
    return call, answer[0], answer[1]


def _accept(module: ModuleType, state: AcceptorState, ballot: Ballot,
            value: Any) -> tuple[str, Any, Any]:
    call = f"handle_accept({state}, {ballot}, {value!r})"
    answer = module.handle_accept(state, ballot, value)
    expect(isinstance(answer, tuple) and len(answer) == 2
           and isinstance(answer[0], AcceptorState),
           f"{call} returned {answer!r}; it must return (AcceptorState, Accepted or Nack)")
    return call, answer[0], answer[1]


def _expect_promise(module: ModuleType, state: AcceptorState, ballot: Ballot, why: str) -> None:
    call, new, reply = _prepare(module, state, ballot)
    want = Promise(ballot=ballot, accepted=state.accepted)
    expect(reply == want, f"{call} replied {_fmt(reply)}, expected {_fmt(want)}: {why}")
    expect(new == _state(ballot, state.accepted), f"{call} returned the state {new}, "
           f"expected {_state(ballot, state.accepted)}: the acceptor now promises {ballot} "
           "and keeps what it accepted")


def check_promise(module: ModuleType) -> None:
    """Prepare(n) with n above every promise: promise n (PMS §2.2, phase 1b)."""
    _expect_promise(module, _state(), _b(1), "a fresh acceptor has promised nothing, so it "
                    "promises any ballot")
    _expect_promise(module, _state(_b(1)), _b(2), "ballot 2.p1 is above the promise 1.p1")
    _expect_promise(module, _state(_b(1, "p1")), _b(1, "p2"), "ballot 1.p2 is above 1.p1 "
                    "(same round, the proposer id breaks the tie)")


def check_promise_reports_accepted(module: ModuleType) -> None:
    """A Promise carries the proposal the acceptor has accepted (what rule P2c needs)."""
    _expect_promise(module, _state(_b(2), (_b(2), "x")), _b(3), "the acceptor accepted "
                    "(2.p1, 'x'), and the Promise must say so: a proposer that does not hear "
                    "of it may propose another value, and 'x' may already be chosen")
    _expect_promise(module, _state(_b(4, "p2"), (_b(3), "y")), _b(5), "the Promise reports "
                    "the accepted proposal (3.p1, 'y') even though the promise is higher")


def check_prepare_refuses_lower(module: ModuleType) -> None:
    """Prepare(n) below the promise: Nack naming the promise, state unchanged."""
    for state, ballot, why in (
        (_state(_b(3)), _b(2), "2.p1 is below the promise 3.p1"),
        (_state(_b(2, "p2"), (_b(2, "p2"), "x")), _b(2, "p1"), "2.p1 is below the promise "
         "2.p2 (same round, p1 < p2)"),
    ):
        call, new, reply = _prepare(module, state, ballot)
        # these states all hold a promise (promised is not None)
        want = Nack(ballot=ballot, promised=state.promised)  # type: ignore[arg-type]
        expect(reply == want, f"{call} replied {_fmt(reply)}, expected {_fmt(want)}: {why}; the "
               "acceptor promised never to take part in a lower ballot again")
        expect(new == state, f"{call} changed the state to {new}: a refused Prepare must "
               f"leave it as it was ({state})")


def check_prepare_same_ballot(module: ModuleType) -> None:
    """Prepare(n) again for the promised n (a resent Prepare): a Promise or a Nack are both
    safe, and the state stays as it is."""
    state = _state(_b(2), (_b(1), "x"))
    call, new, reply = _prepare(module, state, _b(2))
    expect(reply in (Promise(ballot=_b(2), accepted=(_b(1), "x")),
                     Nack(ballot=_b(2), promised=_b(2))),
           f"{call} replied {_fmt(reply)}: to a Prepare for the very ballot it promised, an "
           "acceptor may promise again (reporting (1.p1, 'x')) or refuse it")
    expect(new == state, f"{call} changed the state to {new}; it should stay {state}")


def _expect_accepted(module: ModuleType, state: AcceptorState, ballot: Ballot, value: Any,
                     why: str) -> None:
    call, new, reply = _accept(module, state, ballot, value)
    want = Accepted(ballot=ballot, value=value)
    expect(reply == want, f"{call} replied {_fmt(reply)}, expected {_fmt(want)}: {why}")
    expect(new.accepted == (ballot, value), f"{call} returned the state {new}: the "
           f"acceptor has now accepted ({ballot}, {value!r})")


def check_accept(module: ModuleType) -> None:
    """Accept(n, v) with n at least the promise: accept it (PMS §2.2, P1a)."""
    _expect_accepted(module, _state(_b(2)), _b(2), "x", "the acceptor promised exactly "
                     "2.p1, the usual case: the proposer it promised now asks it to accept")
    _expect_accepted(module, _state(), _b(1), "x", "a fresh acceptor has promised nothing")
    _expect_accepted(module, _state(_b(1), (_b(1), "x")), _b(2, "p2"), "y", "2.p2 is above "
                     "the promise 1.p1 (the acceptor missed its Prepare); the new proposal "
                     "replaces (1.p1, 'x')")


def check_accept_refuses_lower(module: ModuleType) -> None:
    """Accept(n, v) below the promise: Nack naming the promise, state unchanged (P1a)."""
    for state, ballot, why in (
        (_state(_b(3)), _b(2), "2.p1 is below the promise 3.p1"),
        (_state(_b(1, "p2"), (_b(1, "p2"), "y")), _b(1, "p1"), "1.p1 is below the promise "
         "1.p2"),
    ):
        call, new, reply = _accept(module, state, ballot, "x")
        # these states all hold a promise (promised is not None)
        want = Nack(ballot=ballot, promised=state.promised)  # type: ignore[arg-type]
        expect(reply == want, f"{call} replied {_fmt(reply)}, expected {_fmt(want)}: {why}. "
               "A Promise for a higher ballot told its proposer what this acceptor had accepted; "
               "accepting a lower ballot now breaks that promise, and two values can be "
               "chosen")
        expect(new == state, f"{call} changed the state to {new}: a refused Accept must "
               f"leave it as it was ({state})")


def check_accept_raises_promise(module: ModuleType) -> None:
    """Accepting n also promises n: a later, lower Accept may not replace it."""
    state = _state(_b(1), (_b(1), "x"))
    call, new, reply = _accept(module, state, _b(3), "y")
    expect(new.promised is not None and new.promised >= _b(3),
           f"{call} returned the state {new}: having accepted 3.p1 the acceptor must not "
           "take part in a lower ballot any more, so its promise must rise to 3.p1 too. With "
           "the promise left at 1.p1, a late Accept(2.p1, 'x') would replace the accepted "
           "(3.p1, 'y') — which may already be chosen — by an older proposal")
    call2, new2, reply2 = _accept(module, new, _b(2), "x")
    expect(isinstance(reply2, Nack) and new2 == new, f"after {call} returned {new}, "
           f"{call2} replied {_fmt(reply2)} with the state {new2}: a lower ballot than the one "
           "accepted must be refused and the state kept")


# -- 2. seeded random cases ------------------------------------------------------------------


def ref_prepare(state: AcceptorState, ballot: Ballot) -> tuple[AcceptorState, Promise | Nack]:
    """The rule: promise ``ballot`` unless a higher one is promised (equal: promise again)."""
    if state.promised is not None and ballot < state.promised:
        return state, Nack(ballot=ballot, promised=state.promised)
    return AcceptorState(ballot, state.accepted), Promise(ballot=ballot, accepted=state.accepted)


def ref_accept(state: AcceptorState, ballot: Ballot,
               value: Any) -> tuple[AcceptorState, Accepted | Nack]:
    """The rule: accept unless a higher ballot is promised; accepting also promises."""
    if state.promised is not None and ballot < state.promised:
        return state, Nack(ballot=ballot, promised=state.promised)
    return AcceptorState(ballot, (ballot, value)), Accepted(ballot=ballot, value=value)


def _random_ballot(rng: random.Random) -> Ballot:
    return Ballot(rng.randint(1, 4), rng.choice(("p1", "p2")))


def _random_state(rng: random.Random) -> AcceptorState:
    if rng.random() < 0.15:
        return AcceptorState()
    promised = _random_ballot(rng)
    if rng.random() < 0.4:
        return AcceptorState(promised)
    accepted = _random_ballot(rng)
    return AcceptorState(max(promised, accepted), (accepted, rng.choice("xyz")))


def _same_prepare(got: Any, want: tuple[AcceptorState, Any], state: AcceptorState,
                  ballot: Ballot) -> bool:
    if got == want:
        return True
    refused_equal = (state, Nack(ballot=ballot, promised=ballot))
    return ballot == state.promised and got == refused_equal  # refusing a resent Prepare


def check_random_cases(module: ModuleType) -> None:
    """On 500 seeded random states: the same state and reply as the rules."""
    for seed in range(RANDOM_CASES):
        rng = random.Random(seed)
        state, ballot = _random_state(rng), _random_ballot(rng)
        want: tuple[AcceptorState, Any]
        if rng.random() < 0.5:
            got = module.handle_prepare(state, ballot)
            want = ref_prepare(state, ballot)
            ok = _same_prepare(got, want, state, ballot)
            call = f"handle_prepare({state}, {ballot})"
        else:
            value = rng.choice("uvw")
            got = module.handle_accept(state, ballot, value)
            want = ref_accept(state, ballot, value)
            ok = got == want
            call = f"handle_accept({state}, {ballot}, {value!r})"
        shown = (f"({_fmt(got[0])}, {_fmt(got[1])})" if isinstance(got, tuple) and len(got) == 2
                 else repr(got))
        expect(ok, f"{call} returned {shown}, expected ({want[0]}, {_fmt(want[1])}) (case seed "
               f"{seed})", kind=PROPERTY, seed=seed, hint=_hint(state, ballot, call))


def _hint(state: AcceptorState, ballot: Ballot, call: str) -> str:
    if state.promised is not None and ballot < state.promised:
        return _LOWER
    return _REPORT if call.startswith("handle_prepare") else _RAISE


# -- 3. simulated clusters -------------------------------------------------------------------


def _rules(module: ModuleType) -> common.Rules:
    return common.Rules(handle_prepare=module.handle_prepare, handle_accept=module.handle_accept)


def replay(seed: int, answers: str = "exercises") -> Simulation:
    """Rerun sweep seed ``seed`` with your acceptor (raises the same violation)."""
    return common.storm(_rules(common.load_learner(EXERCISE, answers)), seed)


def check_sweep(module: ModuleType) -> None:
    """300 seeded runs, 3 proposers, loss, duplication, acceptor crashes: one value chosen."""
    common.sweep(_rules(module), what=_WHAT,
                 replay="consensus_lab.grading.paxos_acceptor.replay(seed={seed})")


def model_check(answers: str = "exercises") -> ExploreResult:
    """Run the grading's model checker on your acceptor; ``.violation`` is the counterexample
    (``.violation.trace_text()``, ``viz.schedule_spacetime(.violation)``), None when none exists."""
    return common.search(_rules(common.load_learner(EXERCISE, answers)), common.leftover_setup,
                         ROUNDS)


def check_model(module: ModuleType) -> None:
    """Every schedule of 3 acceptors and 2 proposers from a half-finished ballot: safe."""
    common.run_model_check(_rules(module), common.leftover_setup, ROUNDS, what=_WHAT,
                           story=_STORY, replay=_REPLAY)


# Hints point at the rule and the usual slip, not at the code.
_LOWER = ("PMS §2.2, P1a: an acceptor may accept (or promise) ballot n only if it has not "
          "promised a higher one — compare with state.promised first, and answer a lower "
          "ballot with Nack(ballot, promised) without changing the state")
_REPORT = ("the Promise must carry state.accepted, the proposal accepted so far: rule P2c "
           "lets the proposer adopt it; hiding it lets a second value be chosen")
_ALL = ("check the three rules: refuse (Nack) any ballot below state.promised and keep the "
        "state; a Promise reports state.accepted; accepting ballot n sets promised=n and "
        "accepted=(n, value) — the rule examples above point at the one that slipped")
_RAISE = ("accepting ballot n is a promise too: the new state is promised=n, "
          "accepted=(n, value), or a late lower Accept can overwrite it")

CHECKS: tuple[Check, ...] = (
    Check(name="promise", prop="Prepare above every promise: promise it", hint=_LOWER,
          fn=check_promise),
    Check(name="promise_reports_accepted", prop="a Promise reports the accepted proposal",
          hint=_REPORT, fn=check_promise_reports_accepted),
    Check(name="prepare_refuses_lower", prop="Prepare below the promise: Nack, state kept",
          hint=_LOWER, fn=check_prepare_refuses_lower),
    Check(name="prepare_same_ballot", prop="Prepare for the promised ballot again: Promise or "
          "Nack, state kept", hint=_LOWER, fn=check_prepare_same_ballot),
    Check(name="accept", prop="Accept at or above the promise: accept it", hint=_LOWER,
          fn=check_accept),
    Check(name="accept_refuses_lower", prop="Accept below the promise: Nack, state kept",
          hint=_LOWER, fn=check_accept_refuses_lower),
    Check(name="accept_raises_promise", prop="accepting ballot n also promises n",
          hint=_RAISE, fn=check_accept_raises_promise),
    Check(name="random_cases", prop="500 random cases: the same state and reply as the rules",
          hint=_LOWER, fn=check_random_cases),
    Check(name="sweep", prop="300 simulated runs with loss and crashes: one value chosen",
          hint=_ALL, fn=check_sweep,
          timeout_s=SLOW_CHECK_S),
    Check(name="model_check", prop="model checker: every schedule from a half-finished ballot "
          "chooses one value", hint=_ALL, fn=check_model,
          timeout_s=SLOW_CHECK_S),
)
