"""Paper-rule unit tests for Multi-Paxos roles (Paxos Made Moderately Complex, PMMC).

Each role is driven directly through an :class:`Outbox` over a recording
:class:`FakeContext`; messages a role sends to its own server land in the
outbox's local queue, the others in the context's effects.
"""

from __future__ import annotations

from collections import deque
from typing import Any, cast

from consensus_lab.paxos import Ballot
from consensus_lab.paxos.multi import (
    NOOP,
    Acceptor,
    Commander,
    Decision,
    Leader,
    P1a,
    P1b,
    P2a,
    P2b,
    Propose,
    Replica,
    Scout,
)
from consensus_lab.paxos.multi.leader import ADOPTED, CHOSEN, PREEMPTED
from consensus_lab.paxos.multi.outbox import Outbox
from consensus_lab.raft import Command
from consensus_lab.sim import ClientRequest
from tests.paxos.harness import FakeContext

SERVERS = ("n1", "n2", "n3")


def outbox(node_id: str = "n1", stored: dict[str, Any] | None = None) -> Outbox:
    ctx = FakeContext(node_id, tuple(s for s in SERVERS if s != node_id), stored=stored)
    return Outbox(cast(Any, ctx), SERVERS, deque())


def fake(out: Outbox) -> FakeContext:
    """The recording context behind ``out``."""
    return cast(FakeContext, out.ctx)


def sent(out: Outbox) -> list[tuple[str, Any]]:
    """Network sends, then local ones (to this server) as (own id, msg)."""
    return fake(out).sent() + [(out.ctx.node_id, m) for m in out.local]


def b(round_: int, leader: str = "n1") -> Ballot:
    return Ballot(round_, leader)


def never(slot: int) -> bool:
    return False


# ---------------------------------------------------------------- acceptor
def test_acceptor_promises_only_higher_ballots_and_reports_accepted_from_the_slot() -> None:
    """PMMC Fig. 4: on p1a(b), if b > ballot_num then ballot_num := b; reply
    p1b(ballot_num, accepted) — here only the slots from ``from_slot`` on."""
    acc, out = Acceptor(), outbox("n2")
    acc.accepted = {1: (b(1), "x"), 2: (b(1), "y"), 5: (b(2, "n3"), "z")}
    acc.on_p1a(out, "n1", P1a(ballot=b(3), from_slot=2))
    assert fake(out).sent() == [("n1", P1b(ballot=b(3), accepted=(
        (2, b(1), "y"), (5, b(2, "n3"), "z"))))]
    assert fake(out).storage == {"promised": b(3)}
    fake(out).clear()
    acc.on_p1a(out, "n3", P1a(ballot=b(2, "n3"), from_slot=9))
    assert fake(out).sent() == [("n3", P1b(ballot=b(3), accepted=()))]
    assert acc.promised == b(3)


def test_acceptor_accepts_p2a_at_its_promise_and_answers_with_the_promise() -> None:
    """PMMC Fig. 4: on p2a(b, s, c), if b >= ballot_num, accept (b, s, c); reply
    p2b(ballot_num, s) either way — equal to b means accepted. Each slot is its own
    key on disk."""
    acc, out = Acceptor(), outbox("n2")
    acc.promised = b(2)
    acc.on_p2a(out, "n1", P2a(ballot=b(2), slot=4, command="c"))
    acc.on_p2a(out, "n1", P2a(ballot=b(1), slot=5, command="old"))
    assert fake(out).sent() == [("n1", P2b(ballot=b(2), slot=4)),
                              ("n1", P2b(ballot=b(2), slot=5))]
    assert acc.accepted == {4: (b(2), "c")}
    assert fake(out).storage == {"accepted/4": (b(2), "c")}
    again = Acceptor()
    again.restore({"promised": b(2), "accepted/4": (b(2), "c"), "leader_round": 1})
    assert again.state_key() == acc.state_key()


def test_acceptor_keeps_only_the_highest_pvalue_per_slot() -> None:
    """PMMC §3 state reduction: a higher-ballot accept of a slot replaces the lower one."""
    acc, out = Acceptor(), outbox("n2")
    acc.on_p2a(out, "n1", P2a(ballot=b(1), slot=1, command="x"))
    acc.on_p2a(out, "n3", P2a(ballot=b(2, "n3"), slot=1, command="y"))
    assert acc.accepted == {1: (b(2, "n3"), "y")} and acc.promised == b(2, "n3")
    assert acc.journal == [(1, b(1), "x"), (1, b(2, "n3"), "y")]


# ---------------------------------------------------------------- scout and commander
def test_scout_is_adopted_by_a_majority_with_the_highest_pvalue_per_slot() -> None:
    """PMMC Fig. 6: collect p1b(b) from a majority, the union of their pvalues; the
    leader adopts, per slot, the pvalue with the highest ballot (pmax)."""
    scout = Scout(b(3), from_slot=1, acceptors=3, sent_at=0)
    assert scout.receive("n1", P1b(ballot=b(3), accepted=((1, b(1), "x"), (2, b(2), "y")))) \
        is None
    assert scout.receive("n1", P1b(ballot=b(3), accepted=())) is None  # duplicate
    assert scout.receive("n2", P1b(ballot=b(3), accepted=((1, b(2, "n2"), "z"),))) == ADOPTED
    assert scout.pvalues == {1: (b(2, "n2"), "z"), 2: (b(2), "y")}


def test_scout_and_commander_are_preempted_by_a_higher_ballot_only() -> None:
    """PMMC Figs. 5-6: a reply with another ballot b' means preempted — here only a
    higher b'; a lower one answers an older scout or commander of ours (stale)."""
    scout = Scout(b(3), 1, 3, 0)
    assert scout.receive("n2", P1b(ballot=b(2), accepted=())) is None
    assert scout.receive("n2", P1b(ballot=b(4, "n2"), accepted=())) == PREEMPTED
    commander = Commander(b(3), 7, "c", 3, 0)
    assert commander.receive("n2", P2b(ballot=b(2), slot=7)) is None
    assert commander.receive("n2", P2b(ballot=b(3), slot=7)) is None
    assert commander.receive("n3", P2b(ballot=b(3), slot=7)) == CHOSEN
    assert Commander(b(3), 7, "c", 3, 0).receive("n2", P2b(ballot=b(5, "n2"), slot=7)) \
        == PREEMPTED


# ---------------------------------------------------------------- leader
def test_adopted_leader_takes_pmax_fills_gaps_with_noops_and_commands_open_slots() -> None:
    """PMMC Fig. 7 adopted: proposals := proposals ◁ pmax(pvals); then a commander per
    proposal. Paxos Made Simple §3: a new leader fills empty slots with no-ops. Slots
    already decided at this server need no commander."""
    leader, out = Leader("n1", SERVERS), outbox()
    leader.start_scout(out, from_slot=2)
    assert leader.ballot == b(1) and fake(out).storage == {"leader_round": 1}
    leader.proposals = {2: "ours", 6: "late"}
    fake(out).clear()
    out.local.clear()
    leader.adopted(out, {2: (b(0, "n3"), "theirs"), 4: (b(0, "n3"), "four")},
                   decided=lambda s: s == 5)
    assert leader.active
    assert leader.proposals == {2: "theirs", 3: NOOP, 4: "four", 6: "late"}
    p2a = [(d, m) for d, m in sent(out) if isinstance(m, P2a)]
    assert [(m.slot, m.command) for d, m in p2a if d == "n2"] == [
        (2, "theirs"), (3, NOOP), (4, "four"), (6, "late")]
    assert {d for d, _ in p2a} == set(SERVERS)  # every acceptor, ours through the queue


def test_first_proposal_for_a_slot_wins_and_decided_slots_are_left_alone() -> None:
    """PMMC Fig. 7 propose: if s not in proposals, take it (and start a commander when
    active); a slot below the adopted base or already decided is not proposed again."""
    leader, out = Leader("n1", SERVERS), outbox()
    leader.base_slot, leader.active = 3, True
    leader.on_propose(out, 3, "a", never)
    leader.on_propose(out, 3, "b", never)
    leader.on_propose(out, 2, "c", never)
    leader.on_propose(out, 4, "d", decided=lambda s: s == 4)
    assert leader.proposals == {3: "a"} and list(leader.commanders) == [3]


def test_chosen_commander_sends_the_decision_to_every_replica() -> None:
    """PMMC Fig. 5: with p2b(b) from a majority, send decision(s, c) to all replicas."""
    leader, out = Leader("n1", SERVERS), outbox()
    leader.active, leader.ballot = True, b(2)
    leader.command(out, 1, "c")
    fake(out).clear()
    out.local.clear()
    leader.on_p2b(out, "n1", P2b(ballot=b(2), slot=1))
    leader.on_p2b(out, "n2", P2b(ballot=b(2), slot=1))
    assert sent(out) == [("n2", Decision(slot=1, command="c")),
                         ("n3", Decision(slot=1, command="c")),
                         ("n1", Decision(slot=1, command="c"))]
    assert leader.commanders == {}


def test_a_preempted_leader_steps_back_without_a_new_ballot() -> None:
    """PMMC Fig. 7 preempted: a higher ballot makes the leader passive. (PMMC would
    start a scout at once; this leader waits for its failure detector instead.)"""
    leader, out = Leader("n1", SERVERS), outbox()
    leader.active, leader.ballot = True, b(2)
    leader.command(out, 1, "c")
    leader.on_p2b(out, "n2", P2b(ballot=b(5, "n2"), slot=1))
    assert not leader.active and leader.commanders == {} and leader.scout is None
    assert leader.highest_seen == b(5, "n2") and leader.ballot == b(2)
    leader.start_scout(out, 1)
    assert leader.ballot == b(6)


# ---------------------------------------------------------------- replica
def test_replica_performs_decisions_in_slot_order_and_answers_its_client() -> None:
    """PMMC Fig. 1: decisions may arrive in any order; the replica performs slot_out,
    slot_out + 1, ... and answers the client it got the command from."""
    replica, out = Replica("n1", window=8), outbox()
    replica.leader_hint = "n2"
    put = Command(client="c1", seq=1, op="put", key="k", value="v")
    request = ClientRequest(id=1, client="c1", f="put", key="k", value="v", seq=1)
    replica.request(out, put, request)
    assert fake(out).sent() == [("n2", Propose(slot=1, command=put))]
    replica.on_decision(out, 2, Command(client="c2", seq=1, op="append", key="k", value="w"))
    assert replica.slot_out == 1 and replica.store.data == {}
    replica.on_decision(out, 1, put)
    assert replica.slot_out == 3 and replica.store.data == {"k": "vw"}
    assert ("reply", request, "v", True) in fake(out).effects


def test_a_replica_whose_slot_went_to_another_command_proposes_it_again() -> None:
    """PMMC Fig. 1 on decision: if the slot holds a different command than ours, put
    ours back in requests; it is proposed in the next free slot."""
    replica, out = Replica("n1", window=8), outbox()
    replica.leader_hint = "n1"
    replica.request(out, "mine")
    replica.on_decision(out, 1, "other")
    assert replica.slot_out == 2 and replica.proposals == {2: "mine"}
    assert list(out.local) == [Propose(slot=1, command="mine"), Propose(slot=2, command="mine")]


def test_the_window_bounds_how_far_ahead_a_replica_proposes() -> None:
    """PMMC Fig. 1 propose: only slots below slot_out + WINDOW; the rest wait."""
    replica, out = Replica("n1", window=2), outbox()
    replica.leader_hint = "n2"
    for c in ("a", "b", "c"):
        replica.request(out, c)
    assert sorted(replica.proposals) == [1, 2] and list(replica.requests) == ["c"]
    replica.on_decision(out, 1, "a")
    assert sorted(replica.proposals) == [2, 3] and not replica.requests


def test_without_a_leader_hint_requests_wait_and_noops_are_performed_silently() -> None:
    """Nobody to propose to: commands queue; a no-op decision changes no state."""
    replica, out = Replica("n1", window=4), outbox()
    replica.request(out, "a")
    assert fake(out).effects == [] and list(replica.requests) == ["a"]
    replica.on_decision(out, 1, NOOP)
    assert replica.slot_out == 2 and replica.store.data == {}
