"""Paper-rule unit tests for single-decree Paxos: one state, one input, the exact effects.

Each test quotes the rule of "Paxos Made Simple" (PMS) it checks, calls one
role's ``step`` on a state value and compares the returned state and effects
— messages, persisted values, timers, in order, and the rule each effect
cites — with the rule's answer.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from consensus_lab.paxos import (
    ACCEPTING,
    DONE,
    IDLE,
    PREPARING,
    TRANSITIONS,
    WAITING,
    Accept,
    Accepted,
    Ballot,
    Nack,
    PaxosConfig,
    Prepare,
    Promise,
    Query,
    majority,
    paxos_sim,
)
from consensus_lab.paxos import acceptor as acceptor_rules
from consensus_lab.paxos import learner as learner_rules
from consensus_lab.paxos import proposer as proposer_rules
from consensus_lab.paxos.acceptor import AcceptorProtocol, AcceptorState
from consensus_lab.paxos.learner import LearnerProtocol, LearnerState
from consensus_lab.paxos.proposer import ProposerProtocol, ProposerState
from consensus_lab.sim import Network
from consensus_lab.sim.step import (
    CancelTimer,
    Deliver,
    Effects,
    Fire,
    Persist,
    SetTimer,
    timer,
)
from consensus_lab.sim.stepping import carry_out
from tests.paxos.harness import kinds, rules, sent

ACCEPTORS = ("a1", "a2", "a3")
LEARNERS = ("l1", "l2")


def b(round_: int, proposer: str = "p1") -> Ballot:
    return Ballot(round_, proposer)


def stored_after(effects: Effects, stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """What stable storage holds once ``effects`` are carried out."""
    disk = dict(stored or {})
    disk.update({e.key: e.value for e in effects if isinstance(e, Persist)})
    return disk


def acceptor(**config: Any) -> AcceptorProtocol:
    return AcceptorProtocol(PaxosConfig(**config), LEARNERS)


def deliver(protocol: Any, state: Any, src: str, msg: Any) -> tuple[Any, Effects]:
    return protocol.step(state, Deliver(src, msg))  # type: ignore[no-any-return]


# ---------------------------------------------------------------- ballots
def test_ballots_order_by_round_then_proposer_id() -> None:
    """PMS §2.2: proposal numbers are totally ordered and no two proposers share one;
    PMMC §3 builds them as (round, leader id), compared lexicographically."""
    assert b(1, "p1") < b(1, "p2") < b(2, "p1") < b(10, "p1")
    assert b(3, "p2").next_for("p1") == b(4, "p1") > b(3, "p2")
    assert sorted([b(2, "p1"), b(1, "p2"), b(1, "p1")]) == [b(1, "p1"), b(1, "p2"), b(2, "p1")]
    assert str(b(7, "p2")) == "7.p2"


@pytest.mark.parametrize(("args", "message"), [
    ((-1, "p1"), "a ballot round must be an int >= 0, got -1"),
    ((1, ""), "a ballot needs its proposer's id, got ''"),
])
def test_a_bad_ballot_is_refused(args: tuple[Any, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        Ballot(*args)
    assert str(caught.value) == message


# ---------------------------------------------------------------- acceptor
def test_acceptor_promises_a_fresh_ballot_and_persists_before_answering() -> None:
    """PMS §2.2 phase 1(b): an acceptor receiving prepare(n) with n greater than any it
    has answered promises n and answers with the highest proposal it accepted (none
    yet); §2.2, end: it must remember the promise across a restart — so it is on disk
    before the Promise leaves."""
    protocol = acceptor()
    state, effects = protocol.start("a1", (), {})
    assert (state, effects) == (AcceptorState(), ())
    state, effects = deliver(protocol, state, "p1", Prepare(ballot=b(1)))
    assert kinds(effects) == ["persist:promised", "persist:accepted", "send"]
    assert rules(effects) == [acceptor_rules.PERSIST_FIRST, acceptor_rules.PERSIST_FIRST,
                              acceptor_rules.P1B_PROMISE]
    assert sent(effects) == [("p1", Promise(ballot=b(1), accepted=None))]
    assert stored_after(effects) == {"promised": b(1), "accepted": None}
    assert state.promised == b(1)


def test_acceptor_never_promises_below_its_promise() -> None:
    """PMS §2.2 (P1a): having promised n, an acceptor refuses prepare requests below n;
    it says so with a Nack naming its promise, and changes nothing."""
    protocol, before = acceptor(), AcceptorState(promised=b(2, "p2"))
    state, first = deliver(protocol, before, "p1", Prepare(ballot=b(1, "p2")))
    state, second = deliver(protocol, state, "p1", Prepare(ballot=b(2, "p1")))
    assert sent(first + second) == [("p1", Nack(ballot=b(1, "p2"), promised=b(2, "p2"))),
                                    ("p1", Nack(ballot=b(2, "p1"), promised=b(2, "p2")))]
    assert rules(first + second) == [acceptor_rules.P1B_REFUSE] * 2
    assert state == before and "persist" not in "".join(kinds(first + second))


def test_a_repeated_prepare_of_the_promised_ballot_is_answered_again() -> None:
    """A duplicated Prepare of the ballot already promised breaks no promise: answer again."""
    _state, effects = deliver(acceptor(), AcceptorState(promised=b(3)), "p1",
                              Prepare(ballot=b(3)))
    assert sent(effects) == [("p1", Promise(ballot=b(3), accepted=None))]


def test_a_promise_reports_the_highest_accepted_proposal() -> None:
    """PMS §2.2 phase 1(b): the promise carries the highest-numbered proposal the
    acceptor has accepted, so the proposer can obey P2c."""
    state, effects = deliver(acceptor(), AcceptorState(b(2, "p2"), (b(2, "p2"), "x")), "p1",
                             Prepare(ballot=b(5)))
    assert sent(effects) == [("p1", Promise(ballot=b(5), accepted=(b(2, "p2"), "x")))]
    assert state.accepted == (b(2, "p2"), "x")  # promising does not change what was accepted


@pytest.mark.parametrize("ballot", [b(2), b(4, "p2")])
def test_acceptor_accepts_at_or_above_its_promise_and_tells_proposer_and_learners(
        ballot: Ballot) -> None:
    """PMS §2.2 phase 2(b) / P1a: it accepts accept(n, v) unless it promised above n;
    §2.3: it tells the learners (here the proposer, then every learner) — after the
    accepted proposal is on disk."""
    state, effects = deliver(acceptor(), AcceptorState(promised=b(2)), "p1",
                             Accept(ballot=ballot, value="v"))
    assert state.accepted == (ballot, "v") and state.promised == ballot
    assert kinds(effects) == ["persist:promised", "persist:accepted", "send", "send", "send"]
    assert rules(effects) == [acceptor_rules.PERSIST_FIRST] * 2 + [
        acceptor_rules.P2B_ACCEPT, acceptor_rules.TELL_LEARNERS, acceptor_rules.TELL_LEARNERS]
    answer = Accepted(ballot=ballot, value="v")
    assert sent(effects) == [("p1", answer), ("l1", answer), ("l2", answer)]
    assert stored_after(effects) == {"promised": ballot, "accepted": (ballot, "v")}


def test_acceptor_refuses_an_accept_below_its_promise() -> None:
    """PMS §2.2 (P1a): an acceptor can accept proposal n iff it has not promised above n."""
    before = AcceptorState(b(3, "p2"), (b(1, "p2"), "old"))
    state, effects = deliver(acceptor(), before, "p1", Accept(ballot=b(2), value="v"))
    assert sent(effects) == [("p1", Nack(ballot=b(2), promised=b(3, "p2")))]
    assert rules(effects) == [acceptor_rules.P2B_REFUSE]
    assert state.accepted == (b(1, "p2"), "old") and state == before


def test_the_forgetful_acceptor_accepts_below_its_promise() -> None:
    """The ``forgetful-acceptor`` switch breaks P1a: the same Accept is taken."""
    state, effects = deliver(acceptor(acceptor_keeps_promise=False),
                             AcceptorState(promised=b(3, "p2")), "p1",
                             Accept(ballot=b(2), value="v"))
    assert state.accepted == (b(2), "v") and state.promised == b(3, "p2")
    assert sent(effects)[0] == ("p1", Accepted(ballot=b(2), value="v"))


def test_a_restarted_acceptor_keeps_its_promise_an_amnesiac_forgets_it() -> None:
    """PMS §2.2, last paragraph: an acceptor "must remember this information even if it
    fails and then restarts". ``start`` rebuilds the state from what was persisted;
    the amnesiac variant never persists, so nothing reaches the disk to rebuild from."""
    stored = {"promised": b(4, "p2"), "accepted": (b(3, "p2"), "x")}
    state, _ = acceptor().start("a1", (), stored)
    assert (state.promised, state.accepted) == (b(4, "p2"), (b(3, "p2"), "x"))
    amnesiac = acceptor(acceptor_persists=False)
    state, _ = amnesiac.start("a1", (), {})
    state, effects = deliver(amnesiac, state, "p1", Prepare(ballot=b(1)))
    assert "persist" not in "".join(kinds(effects))  # nothing reaches the disk
    assert state.promised == b(1)
    state, _ = amnesiac.start("a1", (), stored_after(effects))  # crash and restart
    assert (state.promised, state.accepted) == (None, None)


def test_a_query_is_answered_with_what_was_accepted() -> None:
    """A learner's Query gets the accepted proposal again (nothing if none)."""
    protocol = acceptor()
    state, effects = deliver(protocol, AcceptorState(), "l1", Query())
    assert sent(effects) == []
    state, effects = deliver(protocol, AcceptorState(accepted=(b(2), "v")), "l1", Query())
    assert sent(effects) == [("l1", Accepted(ballot=b(2), value="v"))]
    assert rules(effects) == [acceptor_rules.ANSWER_QUERY]


# ---------------------------------------------------------------- proposer
def proposer(stored: dict[str, Any] | None = None, acceptors: tuple[str, ...] = ACCEPTORS,
             **config: Any) -> tuple[ProposerProtocol, ProposerState]:
    protocol = ProposerProtocol(PaxosConfig(**config), acceptors, {"p1": "mine"})
    state, _effects = protocol.start("p1", (), stored or {})
    return protocol, state


def prepared(**config: Any) -> tuple[ProposerProtocol, ProposerState]:
    protocol, state = proposer(**config)
    state, _effects = protocol.step(state, Fire("retry"))
    return protocol, state


def test_proposer_starts_with_its_first_prepare_on_a_timer() -> None:
    """The first Prepare leaves when the ``retry`` timer first fires (after start_after)."""
    protocol = ProposerProtocol(PaxosConfig(start_after=5), ACCEPTORS)
    state, effects = protocol.start("p2", (), {})
    assert effects == (timer("retry", 5, proposer_rules.START),)
    assert state == ProposerState("p2", "v-p2") and state.phase == IDLE


def test_proposer_persists_its_round_before_sending_prepare_to_every_acceptor() -> None:
    """PMS §2.2 phase 1(a): select a number n and send prepare(n) to (a majority of)
    the acceptors; the round is on disk first so a restart never reuses a ballot."""
    protocol, state = proposer(retry_timeout=77)
    state, effects = protocol.step(state, Fire("retry"))
    assert kinds(effects) == ["persist:round", "note", "send", "send", "send", "timer:retry"]
    assert sent(effects) == [(a, Prepare(ballot=b(1))) for a in ACCEPTORS]
    assert effects[-1] == SetTimer("retry", 77, 77, proposer_rules.RETRY_TIMEOUT)
    assert rules(effects)[:3] == [proposer_rules.P1A_ROUND, proposer_rules.START,
                                  proposer_rules.P1A_PREPARE]
    assert state.phase == PREPARING and stored_after(effects) == {"round": 1}


def test_after_a_restart_the_proposer_picks_a_round_it_never_used() -> None:
    """Unique ballots (PMS §2.2: "a proposer ... never uses a number it has already
    used"), across restarts: the next round is above the persisted one."""
    protocol, state = proposer(stored={"round": 4})
    state, _ = protocol.step(state, Fire("retry"))
    assert state.ballot == b(5)


@pytest.mark.parametrize(("reports", "expected"), [
    ([None, None], "mine"),  # nothing accepted: any value, ours
    ([None, (b(1, "p3"), "x")], "x"),  # one accepted proposal: its value
    ([(b(1, "p3"), "x"), (b(2, "p2"), "y")], "y"),  # the highest ballot wins
    ([(b(2, "p2"), "y"), (b(1, "p3"), "x")], "y"),  # whatever the arrival order
])
def test_p2c_the_proposer_adopts_the_highest_accepted_value(
        reports: list[Any], expected: str) -> None:
    """PMS §2.2 (P2c) / phase 2(a): with responses from a majority, propose the value of
    the highest-numbered proposal among the responses, or any value if none."""
    protocol, state = prepared()
    effects: Effects = ()
    for acceptor_id, report in zip(("a1", "a2"), reports, strict=True):
        state, more = deliver(protocol, state, acceptor_id, Promise(ballot=b(1), accepted=report))
        effects += more
    assert sent(effects) == [(a, Accept(ballot=b(1), value=expected)) for a in ACCEPTORS]
    assert rules(effects) == [proposer_rules.P2A_ACCEPT] * 3 + [proposer_rules.RETRY_TIMEOUT]
    assert state.phase == ACCEPTING


def test_p2c_among_five_acceptors_counts_only_the_majority_that_answered() -> None:
    """With 5 acceptors a majority is 3; the third promise triggers phase 2 with the
    highest of the three reports; a fourth promise changes nothing."""
    protocol, state = proposer(acceptors=("a1", "a2", "a3", "a4", "a5"))
    state, _ = protocol.step(state, Fire("retry"))
    effects: Effects = ()
    for a, report in (("a1", (b(1, "p2"), "x")), ("a4", (b(3, "p3"), "z")), ("a2", None),
                      ("a5", (b(9, "p9"), "late"))):
        state, more = deliver(protocol, state, a, Promise(ballot=b(1), accepted=report))
        effects += more
    assert {m.value for _, m in sent(effects)} == {"z"} and len(sent(effects)) == 5
    assert majority(5) == 3 and majority(4) == 3 and majority(1) == 1


def test_the_ignores_accepted_variant_proposes_its_own_value() -> None:
    """The ``ignores-accepted`` switch breaks P2c."""
    protocol, state = prepared(proposer_adopts_accepted=False)
    state, first = deliver(protocol, state, "a1", Promise(ballot=b(1), accepted=(b(0, "p2"), "x")))
    state, second = deliver(protocol, state, "a2", Promise(ballot=b(1), accepted=None))
    assert {m.value for _, m in sent(first + second)} == {"mine"}


def test_no_accept_before_a_majority_and_no_answer_to_another_ballot() -> None:
    """Phase 2 needs promises from a majority for *this* ballot; an answer about an
    older ballot is stale."""
    protocol, state = prepared()
    effects: Effects = ()
    for src, msg in (("a1", Promise(ballot=b(1), accepted=None)),
                     ("a2", Promise(ballot=b(0, "p2"), accepted=None)),
                     ("a2", Nack(ballot=b(0, "p2"), promised=b(9, "p2")))):
        state, more = deliver(protocol, state, src, msg)
        effects += more
    assert effects == () and state.phase == PREPARING and state.max_round == 1


def test_a_majority_of_accepted_means_chosen() -> None:
    """PMS §2.3: a value is chosen once a majority of acceptors accepted the proposal."""
    protocol, state = prepared()
    for a in ("a1", "a2"):
        state, _ = deliver(protocol, state, a, Promise(ballot=b(1), accepted=None))
    state, _ = deliver(protocol, state, "a3", Accepted(ballot=b(1), value="mine"))
    assert state.phase == ACCEPTING
    state, _ = deliver(protocol, state, "a3", Accepted(ballot=b(1), value="mine"))  # duplicate
    assert state.phase == ACCEPTING
    state, effects = deliver(protocol, state, "a1", Accepted(ballot=b(1), value="mine"))
    assert state.phase == DONE and state.chosen == "mine"
    assert CancelTimer("retry", proposer_rules.DONE_CANCEL) in effects
    assert kinds(effects) == ["note", "cancel:retry"]
    assert rules(effects)[0] == proposer_rules.CHOSEN


def test_a_nack_makes_the_proposer_outbid_the_promise_after_a_fixed_wait() -> None:
    """Preempted (PMMC): the Nack names the promise; without backoff the proposer waits
    exactly ``retry_after`` and prepares a round above the promise."""
    protocol, state = prepared(retry_after=3)
    state, effects = deliver(protocol, state, "a2", Nack(ballot=b(1), promised=b(7, "p2")))
    assert state.phase == WAITING
    assert effects == (SetTimer("retry", 3, 3, proposer_rules.NACK_BACKOFF),)
    state, effects = protocol.step(state, Fire("retry"))
    assert state.ballot == b(8) and state.phase == PREPARING
    assert rules(effects)[1] == proposer_rules.NACK_BACKOFF  # the note of the new ballot


def test_randomized_backoff_doubles_its_range_with_each_nack_in_a_row() -> None:
    """PMMC §4 / exponential backoff: the extra wait is uniform in
    [0, backoff_max * 2**k] for the k-th Nack in a row (k capped): the timer is a
    range, and whoever carries it out draws the wait from it."""
    protocol, state = proposer(retry_after=3, backoff_max=10, backoff_doublings=2)
    waits = []
    for _ in range(5):
        state, _ = protocol.step(state, Fire("retry"))
        assert state.ballot is not None
        state, effects = deliver(protocol, state, "a1",
                                 Nack(ballot=state.ballot, promised=state.ballot))
        assert isinstance(effects[-1], SetTimer) and effects[-1].low == 3
        waits.append(effects[-1].high)
    assert waits == [13, 23, 43, 43, 43]
    draws = []
    for seed in range(30):
        protocol, state = prepared(retry_after=3, backoff_max=10)
        state, effects = deliver(protocol, state, "a1", Nack(ballot=b(1), promised=b(1, "p2")))
        assert effects == (SetTimer("retry", 3, 13, proposer_rules.NACK_BACKOFF),)
        timers = TimerRecorder(seed)
        carry_out(timers, effects)  # type: ignore[arg-type]
        draws.append(timers.set[-1][1])
    assert min(draws) >= 3 and max(draws) <= 13 and len(set(draws)) > 3
    timers, rng = TimerRecorder(7), random.Random(7)
    carry_out(timers, effects)  # type: ignore[arg-type]
    assert timers.set == [("retry", rng.randint(0, 10) + 3)]  # the old draw exactly


class TimerRecorder:
    """The part of the simulator's outbox that carries out a SetTimer (as
    ``sim.runner.NodeOut`` does): the node's random stream, and the timers it arms
    (name, duration drawn)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.set: list[tuple[str, int]] = []

    def set_timer(self, name: str, low: int, high: int) -> None:
        self.set.append((name, low if low == high else self.rng.randint(low, high)))


def test_every_edge_of_the_transition_table_is_taken_and_no_other(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``become`` refuses an edge not in TRANSITIONS; runs with drops and duels take
    every edge of the table."""
    seen: set[tuple[str, str, str]] = set()
    original = proposer_rules.become

    def recording(phase: str, event: str) -> str:
        target = original(phase, event)
        seen.add((phase, event, target))
        return target

    monkeypatch.setattr(proposer_rules, "become", recording)
    for seed in range(12):
        sim = paxos_sim(seed=seed, network=Network(latency=(1, 30), drop=0.3))
        sim.run(until=3_000)
    monkeypatch.undo()
    assert seen == set(TRANSITIONS)
    with pytest.raises(AssertionError, match="no transition from idle"):
        proposer_rules.become(IDLE, "Accepted from a majority: chosen")


def test_every_effect_of_a_run_cites_a_rule() -> None:
    """Every effect any role returns carries the sentence of the paper it carries out."""
    sim = paxos_sim(seed=3, network=Network(latency=(1, 30), drop=0.2))
    missing = []
    for _ in range(2_000):
        if sim.peek() is None:
            break
        sim.step()
        missing += [(n.node_id, e) for n in sim.nodes.values() if n is not None
                    for e in n.last_effects if not e.rule]  # type: ignore[attr-defined]
    assert missing == []


# ---------------------------------------------------------------- learner
def learner(**config: Any) -> tuple[LearnerProtocol, LearnerState, Effects]:
    protocol = LearnerProtocol(PaxosConfig(**config), ACCEPTORS)
    state, effects = protocol.start("l1", (), {})
    return protocol, state, effects


def test_a_learner_learns_when_a_majority_accepted_the_same_ballot() -> None:
    """PMS §2.3: the value is chosen when a majority accepted one proposal — two
    acceptors of three on *different* ballots do not make a choice."""
    protocol, state, _ = learner()
    for src, msg in (("a1", Accepted(ballot=b(1), value="x")),
                     ("a2", Accepted(ballot=b(2, "p2"), value="y")),
                     ("a1", Accepted(ballot=b(1), value="x")),  # duplicate: still one vote
                     ("p1", Accepted(ballot=b(1), value="x"))):  # not an acceptor
        state, effects = deliver(protocol, state, src, msg)
        assert effects == ()
    assert state.learned_ballot is None
    state, effects = deliver(protocol, state, "a3", Accepted(ballot=b(2, "p2"), value="y"))
    assert (state.learned, state.learned_ballot) == ("y", b(2, "p2"))
    assert kinds(effects) == ["cancel:poll", "note"]
    assert rules(effects) == [learner_rules.POLL_STOP, learner_rules.LEARN]


def test_a_learner_that_has_not_learned_asks_the_acceptors_again() -> None:
    """Messages get lost; a learner polls every ``learner_poll`` ticks until it learns."""
    protocol, state, effects = learner(learner_poll=40)
    assert effects == (timer("poll", 40, learner_rules.POLL),)
    state, effects = protocol.step(state, Fire("poll"))
    assert sent(effects) == [(a, Query()) for a in ACCEPTORS]
    assert effects[-1] == timer("poll", 40, learner_rules.POLL)
    state = replace(state, learned_ballot=b(1))
    state, effects = protocol.step(state, Fire("poll"))
    assert effects == ()
