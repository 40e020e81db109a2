"""One test per rule of 2PC, 3PC and the replicated coordinator: one node, a fake context.

Each docstring quotes the rule and cites where it comes from (Gray 1978;
Bernstein, Hadzilacos & Goodman 1987 ch. 7 — "BHG"; Skeen 1981;
Gray & Lamport 2006).
"""

from __future__ import annotations

import pytest

from consensus_lab.commit import (
    ABORT,
    COMMIT,
    COORDINATOR_TABLE,
    PARTICIPANT_TABLE,
    CommitConfig,
    Coordinator,
    CoordinatorReplica,
    Decision,
    DecisionRequest,
    Participant,
    Prepare,
    ThreePCParticipant,
    Vote,
    config_for,
    coordinator_recovery_event,
    in_doubt_event,
    participant_recovery_event,
    termination_event,
    vote_event,
)
from consensus_lab.commit.machine import check_table
from consensus_lab.commit.messages import PreCommit, StateReport, StateRequest
from consensus_lab.paxos.ballot import Ballot
from consensus_lab.paxos.messages import Accept, Accepted, Promise
from consensus_lab.paxos.messages import Prepare as PaxosPrepare
from tests.fake_context import FakeContext

PEERS_C = ("p1", "p2", "p3")


def started_coordinator(stored=None, config=None):
    node = Coordinator("c1", PEERS_C, config)
    ctx = FakeContext("c1", PEERS_C, stored)
    node.on_start(ctx)
    return node, ctx


def started_participant(stored=None, **kw):
    node = Participant("p1", ("c1", "p2", "p3"), **kw)
    ctx = FakeContext("p1", ("c1", "p2", "p3"), stored)
    node.on_start(ctx)
    return node, ctx


# ------------------------------------------------------------------ coordinator
def test_coordinator_logs_begin_before_any_prepare():
    """BHG §7.4: the coordinator writes a start record before sending Prepare (so a
    restart knows the transaction existed), then Prepare goes to every participant."""
    node, ctx = started_coordinator()
    assert node.state == "preparing"
    kinds = ctx.kinds()
    assert kinds.index("persist:tx") < kinds.index("send")
    assert ctx.sent() == [(p, Prepare(tx="T1")) for p in PEERS_C]
    assert ("timer", "votes", CommitConfig().vote_timeout) in ctx.effects


def test_commit_needs_a_yes_from_every_participant():
    """BHG §7.3 AC: "the coordinator decides commit only if all participants voted Yes"."""
    node, ctx = started_coordinator()
    ctx.clear()
    node.on_message(ctx, "p1", Vote(tx="T1", yes=True))
    node.on_message(ctx, "p2", Vote(tx="T1", yes=True))
    assert node.state == "preparing" and ctx.sent() == []
    node.on_message(ctx, "p3", Vote(tx="T1", yes=True))
    assert node.state == "committed"


def test_commit_is_logged_before_it_is_sent():
    """Gray 1978: the commit point is the commit record on the coordinator's log;
    it is forced before any participant is told."""
    node, ctx = started_coordinator()
    for p in PEERS_C:
        ctx.clear()
        node.on_message(ctx, p, Vote(tx="T1", yes=True))
    kinds = ctx.kinds()
    assert kinds.index("persist:decision") < kinds.index("send")
    assert ctx.storage["decision"] == COMMIT
    assert ctx.sent() == [(p, Decision(tx="T1", outcome=COMMIT)) for p in PEERS_C]


def test_one_no_aborts_everyone():
    """BHG §7.3: a No vote means abort; under presumed abort nothing need be logged."""
    node, ctx = started_coordinator()
    ctx.clear()
    node.on_message(ctx, "p2", Vote(tx="T1", yes=False))
    assert node.state == "aborted"
    assert "decision" not in ctx.storage
    assert ctx.sent() == [(p, Decision(tx="T1", outcome=ABORT)) for p in PEERS_C]


def test_missing_votes_at_the_timeout_abort():
    """BHG §7.3: a coordinator that times out waiting for votes may decide abort."""
    node, ctx = started_coordinator()
    node.on_message(ctx, "p1", Vote(tx="T1", yes=True))
    node.on_timer(ctx, "votes")
    assert node.state == "aborted"


@pytest.mark.parametrize(("stored", "event", "state"), [
    ({}, "begin", "preparing"),
    ({"tx": ("T1", PEERS_C), "decision": COMMIT}, "recover: commit logged", "committed"),
    ({"tx": ("T1", PEERS_C)}, "recover: no decision logged", "aborted"),
])
def test_coordinator_recovery_rule(stored, event, state):
    """Mohan et al. 1986 (presumed abort): with a commit record, re-send Commit;
    with none, the answer is abort."""
    assert coordinator_recovery_event(stored) == event
    node, ctx = started_coordinator(stored)
    assert node.state == state
    if state != "preparing":
        outcome = COMMIT if state == "committed" else ABORT
        assert ctx.sent() == [(p, Decision(tx="T1", outcome=outcome)) for p in PEERS_C]


def test_decided_coordinator_answers_a_question():
    """BHG §7.4 (cooperative termination): an in-doubt participant asks; the coordinator
    that knows the outcome tells it."""
    node, ctx = started_coordinator({"tx": ("T1", PEERS_C), "decision": COMMIT})
    ctx.clear()
    node.on_message(ctx, "p2", DecisionRequest(tx="T1"))
    assert ctx.sent() == [("p2", Decision(tx="T1", outcome=COMMIT))]


# ------------------------------------------------------------------ participant
def test_yes_vote_is_preceded_by_the_prepared_record():
    """BHG §7.3: a participant forces a prepared record (its writes, its locks) before
    voting Yes; from then on it is in doubt and keeps its locks."""
    node, ctx = started_participant()
    ctx.clear()
    node.on_message(ctx, "c1", Prepare(tx="T1"))
    kinds = ctx.kinds()
    assert kinds.index("persist:log") < kinds.index("send")
    assert ctx.sent() == [("c1", Vote(tx="T1", yes=True))]
    assert node.in_doubt and node.locks == ("row",)


def test_no_vote_aborts_at_once_and_releases_locks():
    """BHG §7.3: a participant that votes No may abort at once (its No decides)."""
    node, ctx = started_participant(vote_yes=False)
    node.on_message(ctx, "c1", Prepare(tx="T1"))
    assert node.state == "aborted" and node.locks == ()
    assert ctx.sent() == [("c1", Vote(tx="T1", yes=False))]


def test_participant_may_abort_on_its_own_before_voting():
    """BHG §7.3: before it votes Yes a participant may abort unilaterally; it then
    answers Prepare with No."""
    node, ctx = started_participant(abort_after=5)
    assert ("timer", "abort", 5) in ctx.effects
    node.on_timer(ctx, "abort")
    assert node.state == "aborted"
    ctx.clear()
    node.on_message(ctx, "c1", Prepare(tx="T1"))
    assert ctx.sent() == [("c1", Vote(tx="T1", yes=False))]


def test_in_doubt_participant_waits_and_asks():
    """DDIA ch. 9: once it voted Yes a participant must wait for the coordinator; it can
    neither commit nor abort on its own. It asks again on a timer."""
    node, ctx = started_participant()
    node.on_message(ctx, "c1", Prepare(tx="T1"))
    ctx.clear()
    node.on_timer(ctx, "ask")
    assert node.state == "prepared" and node.locks == ("row",)
    assert ctx.sent() == [("c1", DecisionRequest(tx="T1"))]
    assert ("timer", "ask", CommitConfig().ask_after) in ctx.effects
    assert in_doubt_event(CommitConfig()) == "ask timeout"
    assert in_doubt_event(config_for("commit-on-timeout")) == "give up: commit"


@pytest.mark.parametrize(("stored", "event", "state", "locks"), [
    ({}, "join", "working", ("row",)),
    ({"tx": "T1", "log": "prepared"}, "recover: prepared", "prepared", ("row",)),
    ({"tx": "T1", "log": COMMIT}, "recover: committed", "committed", ()),
    ({"tx": "T1", "log": ABORT}, "recover: aborted", "aborted", ()),
    ({"tx": "T1"}, "recover: nothing logged", "aborted", ()),
])
def test_participant_recovery_rule(stored, event, state, locks):
    """BHG §7.4: a participant that restarts with a prepared record is in doubt again
    (takes its locks back and asks); without one it had not voted Yes and aborts."""
    assert participant_recovery_event(stored) == event
    node, ctx = started_participant(stored)
    assert (node.state, node.locks) == (state, locks)
    if state == "prepared":
        assert ("c1", DecisionRequest(tx="T1")) in ctx.sent()


def test_decision_releases_locks():
    """Strict two-phase locking: the locks go only with the outcome."""
    node, ctx = started_participant()
    node.on_message(ctx, "c1", Prepare(tx="T1"))
    node.on_message(ctx, "c1", Decision(tx="T1", outcome=COMMIT))
    assert node.state == "committed" and node.locks == ()
    assert ctx.storage["log"] == COMMIT


def test_vote_event_unanimity_and_the_majority_bug():
    """The decision rule: unanimity; ``majority-commit`` wrongly settles for a majority."""
    two = frozenset({"p1"})
    assert vote_event(two, PEERS_C, "p2", True, CommitConfig()) == "Yes"
    assert vote_event(two, PEERS_C, "p2", True, config_for("majority-commit")) == "Yes from all"
    assert vote_event(two, PEERS_C, "p2", False, CommitConfig()) == "No"


def test_tables_name_real_states_and_actions():
    """Every row of a table names a known state and an existing action method."""
    check_table(COORDINATOR_TABLE, ("init", "preparing", "committed", "aborted"), Coordinator)
    bad = {**PARTICIPANT_TABLE, ("working", "oops"): ("working", ("no_such_action",))}
    with pytest.raises(ValueError, match="no_such_action"):
        check_table(bad, ("init", "working", "prepared", "committed", "aborted"), Participant)


# ------------------------------------------------------------------ 3PC
@pytest.mark.parametrize(("own", "reports", "event"), [
    ("uncertain", {"p2": "committed"}, "terminate: commit"),
    ("precommitted", {"p2": "aborted"}, "terminate: abort"),
    ("uncertain", {"p2": "working"}, "terminate: abort"),
    ("uncertain", {"p2": "precommitted"}, "terminate: precommit first"),
    ("precommitted", {"p2": "precommitted"}, "terminate: commit"),
    ("uncertain", {"p2": "uncertain"}, "terminate: abort"),
    ("uncertain", {}, "terminate: abort"),
])
def test_termination_rules(own, reports, event):
    """BHG §7.5 TR1-TR4: any aborted → abort; any committed → commit; some
    pre-committed → pre-commit the rest, then commit; all uncertain → abort."""
    assert termination_event(own, reports) == event


def test_3pc_backup_precommits_the_uncertain_before_committing():
    """Skeen 1981: no participant commits while another might still be uncertain, so a
    backup first brings the uncertain ones to pre-committed (TR4)."""
    node = ThreePCParticipant("p1", ("c1", "p2", "p3"))
    ctx = FakeContext("p1", ("c1", "p2", "p3"))
    node.on_start(ctx)
    node.state = "precommitted"
    node.on_timer(ctx, "coordinator")
    assert ("p2", StateRequest(tx="T1")) in ctx.sent()
    node.on_message(ctx, "p2", StateReport(tx="T1", state="uncertain"))
    node.on_message(ctx, "p3", StateReport(tx="T1", state="precommitted"))
    ctx.clear()
    node.on_timer(ctx, "collect")
    assert ctx.sent() == [("p2", PreCommit(tx="T1"))] and node.state == "precommitted"


# ------------------------------------------------------------------ replicated coordinator
def test_replica_adopts_an_accepted_outcome():
    """Paxos Made Simple §2.2 (P2c), as Gray & Lamport use it: a replica that wants to
    abort but hears of an accepted commit proposes commit."""
    node = CoordinatorReplica("c2", ("c1", "c3", "p1"))
    ctx = FakeContext("c2", ("c1", "c3", "p1"))
    node.on_start(ctx)
    node.on_timer(ctx, "decide")  # no votes: proposes abort
    assert node.wanted == ABORT
    ballot = node.ballot
    ctx.clear()
    node.on_message(ctx, "c1", Promise(ballot=ballot, accepted=(Ballot(1, "c1"), COMMIT)))
    assert ("c1", Accept(ballot=ballot, value=COMMIT)) in ctx.sent()


def test_replica_acceptor_persists_before_answering():
    """PMS §2.2: an acceptor remembers its promise and accepted value across a crash."""
    node = CoordinatorReplica("c2", ("c1", "c3", "p1"))
    ctx = FakeContext("c2", ("c1", "c3", "p1"))
    node.on_start(ctx)
    ctx.clear()
    node.on_message(ctx, "c1", PaxosPrepare(ballot=Ballot(1, "c1")))
    node.on_message(ctx, "c1", Accept(ballot=Ballot(1, "c1"), value=COMMIT))
    assert ctx.kinds()[:2] == ["persist:promised", "send"]
    assert ctx.storage["accepted"] == (Ballot(1, "c1"), COMMIT)
    assert ("c1", Accepted(ballot=Ballot(1, "c1"), value=COMMIT)) in ctx.sent()
