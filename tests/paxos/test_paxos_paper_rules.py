"""Paper-rule unit tests for single-decree Paxos: one node, one message, the exact effects.

Each test quotes the rule of "Paxos Made Simple" (PMS) it checks, feeds one
role a message through a recording :class:`FakeContext` and compares what it
did — messages, persisted values, timers, in order — with the rule's answer.
"""

from __future__ import annotations

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
    Acceptor,
    Ballot,
    Learner,
    Nack,
    PaxosConfig,
    Prepare,
    Promise,
    Proposer,
    Query,
    majority,
    paxos_sim,
)
from consensus_lab.sim import Network
from tests.paxos.harness import FakeContext

ACCEPTOR_PEERS = ("a2", "a3", "l1", "l2", "p1", "p2")
PROPOSER_PEERS = ("a1", "a2", "a3", "l1", "p2")


def b(round_: int, proposer: str = "p1") -> Ballot:
    return Ballot(round_, proposer)


def acceptor(promised: Ballot | None = None, accepted: tuple[Ballot, Any] | None = None,
             **config: Any) -> tuple[Acceptor, FakeContext]:
    node = Acceptor("a1", ACCEPTOR_PEERS, PaxosConfig(**config))
    ctx = FakeContext("a1", ACCEPTOR_PEERS)
    node.on_start(ctx)
    node.promised, node.accepted = promised, accepted
    return node, ctx


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
    node, ctx = acceptor()
    node.on_message(ctx, "p1", Prepare(ballot=b(1)))
    assert ctx.kinds() == ["persist:promised", "persist:accepted", "send"]
    assert ctx.sent() == [("p1", Promise(ballot=b(1), accepted=None))]
    assert ctx.storage == {"promised": b(1), "accepted": None}
    assert node.promised == b(1)


def test_acceptor_never_promises_below_its_promise() -> None:
    """PMS §2.2 (P1a): having promised n, an acceptor refuses prepare requests below n;
    it says so with a Nack naming its promise, and changes nothing."""
    node, ctx = acceptor(promised=b(2, "p2"))
    node.on_message(ctx, "p1", Prepare(ballot=b(1, "p2")))
    node.on_message(ctx, "p1", Prepare(ballot=b(2, "p1")))
    assert ctx.sent() == [("p1", Nack(ballot=b(1, "p2"), promised=b(2, "p2"))),
                          ("p1", Nack(ballot=b(2, "p1"), promised=b(2, "p2")))]
    assert node.promised == b(2, "p2") and "persist" not in ctx.kinds()


def test_a_repeated_prepare_of_the_promised_ballot_is_answered_again() -> None:
    """A duplicated Prepare of the ballot already promised breaks no promise: answer again."""
    node, ctx = acceptor(promised=b(3))
    node.on_message(ctx, "p1", Prepare(ballot=b(3)))
    assert ctx.sent() == [("p1", Promise(ballot=b(3), accepted=None))]


def test_a_promise_reports_the_highest_accepted_proposal() -> None:
    """PMS §2.2 phase 1(b): the promise carries the highest-numbered proposal the
    acceptor has accepted, so the proposer can obey P2c."""
    node, ctx = acceptor(promised=b(2, "p2"), accepted=(b(2, "p2"), "x"))
    node.on_message(ctx, "p1", Prepare(ballot=b(5)))
    assert ctx.sent() == [("p1", Promise(ballot=b(5), accepted=(b(2, "p2"), "x")))]
    assert node.accepted == (b(2, "p2"), "x")  # promising does not change what was accepted


@pytest.mark.parametrize("ballot", [b(2), b(4, "p2")])
def test_acceptor_accepts_at_or_above_its_promise_and_tells_proposer_and_learners(
        ballot: Ballot) -> None:
    """PMS §2.2 phase 2(b) / P1a: it accepts accept(n, v) unless it promised above n;
    §2.3: it tells the learners (here the proposer, then every learner)."""
    node, ctx = acceptor(promised=b(2))
    node.on_message(ctx, "p1", Accept(ballot=ballot, value="v"))
    assert node.accepted == (ballot, "v") and node.promised == ballot
    assert ctx.kinds() == ["persist:promised", "persist:accepted", "send", "send", "send"]
    answer = Accepted(ballot=ballot, value="v")
    assert ctx.sent() == [("p1", answer), ("l1", answer), ("l2", answer)]
    assert ctx.storage == {"promised": ballot, "accepted": (ballot, "v")}


def test_acceptor_refuses_an_accept_below_its_promise() -> None:
    """PMS §2.2 (P1a): an acceptor can accept proposal n iff it has not promised above n."""
    node, ctx = acceptor(promised=b(3, "p2"), accepted=(b(1, "p2"), "old"))
    node.on_message(ctx, "p1", Accept(ballot=b(2), value="v"))
    assert ctx.sent() == [("p1", Nack(ballot=b(2), promised=b(3, "p2")))]
    assert node.accepted == (b(1, "p2"), "old")


def test_the_forgetful_acceptor_accepts_below_its_promise() -> None:
    """The ``forgetful-acceptor`` switch breaks P1a: the same Accept is taken."""
    node, ctx = acceptor(promised=b(3, "p2"), acceptor_keeps_promise=False)
    node.on_message(ctx, "p1", Accept(ballot=b(2), value="v"))
    assert node.accepted == (b(2), "v") and node.promised == b(3, "p2")
    assert ctx.sent()[0] == ("p1", Accepted(ballot=b(2), value="v"))


def test_a_restarted_acceptor_keeps_its_promise_an_amnesiac_forgets_it() -> None:
    """PMS §2.2, last paragraph: an acceptor "must remember this information even if it
    fails and then restarts". The amnesiac variant keeps nothing on disk."""
    stored = {"promised": b(4, "p2"), "accepted": (b(3, "p2"), "x")}
    node = Acceptor("a1", ACCEPTOR_PEERS)
    node.on_start(FakeContext("a1", ACCEPTOR_PEERS, stored=stored))
    assert (node.promised, node.accepted) == (b(4, "p2"), (b(3, "p2"), "x"))
    amnesiac = Acceptor("a1", ACCEPTOR_PEERS, PaxosConfig(acceptor_persists=False))
    ctx = FakeContext("a1", ACCEPTOR_PEERS, stored=stored)
    amnesiac.on_start(ctx)
    assert (amnesiac.promised, amnesiac.accepted) == (None, None)
    amnesiac.on_message(ctx, "p1", Prepare(ballot=b(1)))
    assert "persist" not in ctx.kinds()  # nothing reaches the disk


def test_a_query_is_answered_with_what_was_accepted() -> None:
    """A learner's Query gets the accepted proposal again (nothing if none)."""
    node, ctx = acceptor()
    node.on_message(ctx, "l1", Query())
    assert ctx.sent() == []
    node.accepted = (b(2), "v")
    node.on_message(ctx, "l1", Query())
    assert ctx.sent() == [("l1", Accepted(ballot=b(2), value="v"))]


# ---------------------------------------------------------------- proposer
def proposer(stored: dict[str, Any] | None = None, rng: Any = None,
             **config: Any) -> tuple[Proposer, FakeContext]:
    node = Proposer("p1", PROPOSER_PEERS, PaxosConfig(**config), value="mine")
    ctx = FakeContext("p1", PROPOSER_PEERS, stored=stored)
    if rng is not None:
        ctx.rng = rng
    node.on_start(ctx)
    ctx.clear()
    return node, ctx


def prepared(**config: Any) -> tuple[Proposer, FakeContext]:
    node, ctx = proposer(**config)
    node.on_timer(ctx, "retry")
    ctx.clear()
    return node, ctx


def test_proposer_persists_its_round_before_sending_prepare_to_every_acceptor() -> None:
    """PMS §2.2 phase 1(a): select a number n and send prepare(n) to (a majority of)
    the acceptors; the round is on disk first so a restart never reuses a ballot."""
    node, ctx = proposer(retry_timeout=77)
    node.on_timer(ctx, "retry")
    assert ctx.kinds() == ["persist:round", "note", "send", "send", "send", "timer:retry"]
    assert ctx.sent() == [(a, Prepare(ballot=b(1))) for a in ("a1", "a2", "a3")]
    assert ctx.effects[-1] == ("timer", "retry", 77)
    assert node.phase == PREPARING and ctx.storage == {"round": 1}


def test_after_a_restart_the_proposer_picks_a_round_it_never_used() -> None:
    """Unique ballots (PMS §2.2: "a proposer ... never uses a number it has already
    used"), across restarts: the next round is above the persisted one."""
    node, ctx = proposer(stored={"round": 4})
    node.on_timer(ctx, "retry")
    assert node.ballot == b(5)


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
    node, ctx = prepared()
    for acceptor_id, report in zip(("a1", "a2"), reports, strict=True):
        node.on_message(ctx, acceptor_id, Promise(ballot=b(1), accepted=report))
    assert ctx.sent() == [(a, Accept(ballot=b(1), value=expected)) for a in ("a1", "a2", "a3")]
    assert node.phase == ACCEPTING


def test_p2c_among_five_acceptors_counts_only_the_majority_that_answered() -> None:
    """With 5 acceptors a majority is 3; the third promise triggers phase 2 with the
    highest of the three reports; a fourth promise changes nothing."""
    peers = ("a1", "a2", "a3", "a4", "a5", "l1")
    node = Proposer("p1", peers, PaxosConfig(), value="mine")
    ctx = FakeContext("p1", peers)
    node.on_start(ctx)
    node.on_timer(ctx, "retry")
    ctx.clear()
    for a, report in (("a1", (b(1, "p2"), "x")), ("a4", (b(3, "p3"), "z")), ("a2", None)):
        node.on_message(ctx, a, Promise(ballot=b(1), accepted=report))
    node.on_message(ctx, "a5", Promise(ballot=b(1), accepted=(b(9, "p9"), "late")))
    assert {m.value for _, m in ctx.sent()} == {"z"} and len(ctx.sent()) == 5
    assert majority(5) == 3 and majority(4) == 3 and majority(1) == 1


def test_the_ignores_accepted_variant_proposes_its_own_value() -> None:
    """The ``ignores-accepted`` switch breaks P2c."""
    node, ctx = prepared(proposer_adopts_accepted=False)
    node.on_message(ctx, "a1", Promise(ballot=b(1), accepted=(b(0, "p2"), "x")))
    node.on_message(ctx, "a2", Promise(ballot=b(1), accepted=None))
    assert {m.value for _, m in ctx.sent()} == {"mine"}


def test_no_accept_before_a_majority_and_no_answer_to_another_ballot() -> None:
    """Phase 2 needs promises from a majority for *this* ballot; an answer about an
    older ballot is stale."""
    node, ctx = prepared()
    node.on_message(ctx, "a1", Promise(ballot=b(1), accepted=None))
    node.on_message(ctx, "a2", Promise(ballot=b(0, "p2"), accepted=None))
    node.on_message(ctx, "a2", Nack(ballot=b(0, "p2"), promised=b(9, "p2")))
    assert ctx.sent() == [] and node.phase == PREPARING and node.max_round == 1


def test_a_majority_of_accepted_means_chosen() -> None:
    """PMS §2.3: a value is chosen once a majority of acceptors accepted the proposal."""
    node, ctx = prepared()
    for a in ("a1", "a2"):
        node.on_message(ctx, a, Promise(ballot=b(1), accepted=None))
    ctx.clear()
    node.on_message(ctx, "a3", Accepted(ballot=b(1), value="mine"))
    assert node.phase == ACCEPTING
    node.on_message(ctx, "a3", Accepted(ballot=b(1), value="mine"))  # a duplicate
    assert node.phase == ACCEPTING
    node.on_message(ctx, "a1", Accepted(ballot=b(1), value="mine"))
    assert node.phase == DONE and node.chosen == "mine"
    assert ("cancel", "retry") in ctx.effects


def test_a_nack_makes_the_proposer_outbid_the_promise_after_a_fixed_wait() -> None:
    """Preempted (PMMC): the Nack names the promise; without backoff the proposer waits
    exactly ``retry_after`` and prepares a round above the promise."""
    node, ctx = prepared(retry_after=3)
    node.on_message(ctx, "a2", Nack(ballot=b(1), promised=b(7, "p2")))
    assert node.phase == WAITING and ctx.effects == [("timer", "retry", 3)]
    node.on_timer(ctx, "retry")
    assert node.ballot == b(8) and node.phase == PREPARING


class MaxRandom:
    """An rng that always draws the top of the range (to see the backoff's bound)."""

    def randint(self, low: int, high: int) -> int:
        return high


def test_randomized_backoff_doubles_its_range_with_each_nack_in_a_row() -> None:
    """PMMC §4 / exponential backoff: the extra wait is uniform in
    [0, backoff_max * 2**k] for the k-th Nack in a row (k capped)."""
    node, ctx = proposer(rng=MaxRandom(), retry_after=3, backoff_max=10, backoff_doublings=2)
    waits = []
    for _ in range(5):
        node.on_timer(ctx, "retry")
        assert node.ballot is not None
        node.on_message(ctx, "a1", Nack(ballot=node.ballot, promised=node.ballot))
        waits.append(ctx.effects[-1][2])
    assert waits == [13, 23, 43, 43, 43]
    draws = []
    for seed in range(30):
        node, ctx = proposer(retry_after=3, backoff_max=10)
        ctx.rng.seed(seed)
        node.on_timer(ctx, "retry")
        node.on_message(ctx, "a1", Nack(ballot=b(1), promised=b(1, "p2")))
        draws.append(ctx.effects[-1][2])
    assert min(draws) >= 3 and max(draws) <= 13 and len(set(draws)) > 3


def test_every_edge_of_the_transition_table_is_taken_and_no_other() -> None:
    """``_become`` refuses an edge not in TRANSITIONS; runs with drops and duels take
    every edge of the table."""
    seen: set[tuple[str, str, str]] = set()
    original = Proposer._become

    def recording(self: Proposer, ctx: Any, event: str) -> None:
        before = self.phase
        original(self, ctx, event)
        seen.add((before, event, self.phase))

    Proposer._become = recording  # type: ignore[method-assign]
    try:
        for seed in range(12):
            sim = paxos_sim(seed=seed, network=Network(latency=(1, 30), drop=0.3))
            sim.run(until=3_000)
    finally:
        Proposer._become = original  # type: ignore[method-assign]
    assert seen == set(TRANSITIONS)
    node, ctx = proposer()
    with pytest.raises(AssertionError, match="no transition from idle"):
        node._become(ctx, "Accepted from a majority: chosen")
    assert node.phase == IDLE


# ---------------------------------------------------------------- learner
def learner(**config: Any) -> tuple[Learner, FakeContext]:
    peers = ("a1", "a2", "a3", "p1")
    node = Learner("l1", peers, PaxosConfig(**config))
    ctx = FakeContext("l1", peers)
    node.on_start(ctx)
    return node, ctx


def test_a_learner_learns_when_a_majority_accepted_the_same_ballot() -> None:
    """PMS §2.3: the value is chosen when a majority accepted one proposal — two
    acceptors of three on *different* ballots do not make a choice."""
    node, ctx = learner()
    node.on_message(ctx, "a1", Accepted(ballot=b(1), value="x"))
    node.on_message(ctx, "a2", Accepted(ballot=b(2, "p2"), value="y"))
    node.on_message(ctx, "a1", Accepted(ballot=b(1), value="x"))  # duplicate: still one vote
    node.on_message(ctx, "p1", Accepted(ballot=b(1), value="x"))  # not an acceptor
    assert node.learned_ballot is None
    node.on_message(ctx, "a3", Accepted(ballot=b(2, "p2"), value="y"))
    assert (node.learned, node.learned_ballot) == ("y", b(2, "p2"))
    assert ("cancel", "poll") in ctx.effects


def test_a_learner_that_has_not_learned_asks_the_acceptors_again() -> None:
    """Messages get lost; a learner polls every ``learner_poll`` ticks until it learns."""
    node, ctx = learner(learner_poll=40)
    assert ctx.effects == [("timer", "poll", 40)]
    ctx.clear()
    node.on_timer(ctx, "poll")
    assert ctx.sent() == [(a, Query()) for a in ("a1", "a2", "a3")]
    assert ctx.effects[-1] == ("timer", "poll", 40)
    node.learned_ballot = b(1)
    ctx.clear()
    node.on_timer(ctx, "poll")
    assert ctx.effects == []
