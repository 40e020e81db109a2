"""Paper-rule unit tests for Multi-Paxos (Paxos Made Moderately Complex, PMMC).

Each role is a module of pure functions over its state value and one
step's :class:`Outbox`: a test calls one, then asserts on the returned
state and on the effects, in order and with their rules. Messages a role
sends to its own server land in the outbox's local queue. The whole
server is driven through ``MultiPaxosProtocol.step`` the same way.
"""

from __future__ import annotations

from typing import Any

from consensus_lab.paxos import Ballot
from consensus_lab.paxos.multi import (
    NOOP,
    AcceptorState,
    Commander,
    Decision,
    Heartbeat,
    MultiPaxosProtocol,
    P1a,
    P1b,
    P2a,
    P2b,
    PMap,
    Propose,
    ReplicaState,
    Scout,
    acceptor,
    leader,
    replica,
    server,
)
from consensus_lab.paxos.multi.leader import ADOPTED, CHOSEN, PREEMPTED
from consensus_lab.paxos.multi.outbox import Outbox
from consensus_lab.raft import Command
from consensus_lab.sim import ClientRequest
from consensus_lab.sim.step import Deliver, Fire, Persist, Reply, Request, Send
from tests.paxos.harness import kinds, rules, sent

SERVERS = ("n1", "n2", "n3")
WINDOW = 8


def outbox(node_id: str = "n1") -> Outbox:
    return Outbox(node_id, SERVERS)


def network(out: Outbox) -> list[tuple[str, Any]]:
    """Network sends, then local ones (to this server) as (own id, msg)."""
    return sent(tuple(out.effects)) + [(out.node_id, m) for m in out.local]


def b(round_: int, leader_id: str = "n1") -> Ballot:
    return Ballot(round_, leader_id)


def never(slot: int) -> bool:
    return False


# ---------------------------------------------------------------- acceptor
def test_acceptor_promises_only_higher_ballots_and_reports_accepted_from_the_slot() -> None:
    """PMMC Fig. 4: on p1a(b), if b > ballot_num then ballot_num := b; reply
    p1b(ballot_num, accepted) — here only the slots from ``from_slot`` on."""
    acc = AcceptorState(None, PMap.of({1: (b(1), "x"), 2: (b(1), "y"), 5: (b(2, "n3"), "z")}))
    out = outbox("n2")
    acc = acceptor.on_p1a(acc, out, "n1", P1a(ballot=b(3), from_slot=2))
    assert network(out) == [("n1", P1b(ballot=b(3), accepted=(
        (2, b(1), "y"), (5, b(2, "n3"), "z"))))]
    assert [e for e in out.effects if isinstance(e, Persist)] == [
        Persist("promised", b(3), acceptor.REMEMBER)]
    out = outbox("n2")
    acc = acceptor.on_p1a(acc, out, "n3", P1a(ballot=b(2, "n3"), from_slot=9))
    assert network(out) == [("n3", P1b(ballot=b(3), accepted=()))]
    assert kinds(tuple(out.effects)) == ["send"]  # nothing new to remember
    assert acc.promised == b(3)


def test_acceptor_persists_its_promise_before_it_sends_the_p1b() -> None:
    """PMS §2.2: the acceptor remembers a promise on stable storage before answering,
    so the effects are Persist("promised") then the Send, each tagged with its rule."""
    out = outbox("n2")
    acceptor.on_p1a(AcceptorState(), out, "n1", P1a(ballot=b(1), from_slot=1))
    effects = tuple(out.effects)
    assert kinds(effects) == ["persist:promised", "send"]
    assert rules(effects) == [acceptor.REMEMBER, acceptor.PROMISE]
    assert all(rule.startswith(("PMMC", "PMS")) for rule in rules(effects))


def test_acceptor_accepts_p2a_at_its_promise_and_answers_with_the_promise() -> None:
    """PMMC Fig. 4: on p2a(b, s, c), if b >= ballot_num, accept (b, s, c); reply
    p2b(ballot_num, s) either way — equal to b means accepted. Each slot is its own
    key on disk, written before the answer leaves."""
    acc, out = AcceptorState(b(2)), outbox("n2")
    acc = acceptor.on_p2a(acc, out, "n1", P2a(ballot=b(2), slot=4, command="c"))
    acc = acceptor.on_p2a(acc, out, "n1", P2a(ballot=b(1), slot=5, command="old"))
    effects = tuple(out.effects)
    assert sent(effects) == [("n1", P2b(ballot=b(2), slot=4)), ("n1", P2b(ballot=b(2), slot=5))]
    assert kinds(effects) == ["persist:accepted/4", "send", "send"]
    assert rules(effects) == [acceptor.REMEMBER, acceptor.ACCEPT, acceptor.ACCEPT]
    assert dict(acc.accepted.items()) == {4: (b(2), "c")}
    stored = {e.key: e.value for e in effects if isinstance(e, Persist)}
    again = acceptor.restore({"promised": b(2), **stored, "leader_round": 1})
    assert again == acc and hash(again) == hash(acc)


def test_acceptor_keeps_only_the_highest_pvalue_per_slot() -> None:
    """PMMC §3 state reduction: a higher-ballot accept of a slot replaces the lower one;
    accepting above the promise raises the promise, persisted first."""
    acc, out = AcceptorState(), outbox("n2")
    acc = acceptor.on_p2a(acc, out, "n1", P2a(ballot=b(1), slot=1, command="x"))
    acc = acceptor.on_p2a(acc, out, "n3", P2a(ballot=b(2, "n3"), slot=1, command="y"))
    assert dict(acc.accepted.items()) == {1: (b(2, "n3"), "y")} and acc.promised == b(2, "n3")
    assert kinds(tuple(out.effects)) == ["persist:promised", "persist:accepted/1", "send"] * 2


# ---------------------------------------------------------------- scout and commander
def test_scout_is_adopted_by_a_majority_with_the_highest_pvalue_per_slot() -> None:
    """PMMC Fig. 6: collect p1b(b) from a majority, the union of their pvalues; the
    leader adopts, per slot, the pvalue with the highest ballot (pmax)."""
    scout = Scout(b(3), from_slot=1, sent_at=0)
    scout, outcome = scout.receive("n1", P1b(ballot=b(3), accepted=(
        (1, b(1), "x"), (2, b(2), "y"))), 3)
    assert outcome is None
    scout, outcome = scout.receive("n1", P1b(ballot=b(3), accepted=()), 3)  # duplicate
    assert outcome is None
    scout, outcome = scout.receive("n2", P1b(ballot=b(3), accepted=((1, b(2, "n2"), "z"),)), 3)
    assert outcome == ADOPTED
    assert dict(scout.pvalues.items()) == {1: (b(2, "n2"), "z"), 2: (b(2), "y")}


def test_scout_and_commander_are_preempted_by_a_higher_ballot_only() -> None:
    """PMMC Figs. 5-6: a reply with another ballot b' means preempted — here only a
    higher b'; a lower one answers an older scout or commander of ours (stale)."""
    scout = Scout(b(3), 1, 0)
    assert scout.receive("n2", P1b(ballot=b(2), accepted=()), 3) == (scout, None)
    assert scout.receive("n2", P1b(ballot=b(4, "n2"), accepted=()), 3)[1] == PREEMPTED
    commander = Commander(b(3), 7, "c", 0)
    assert commander.receive("n2", P2b(ballot=b(2), slot=7), 3)[1] is None
    commander, outcome = commander.receive("n2", P2b(ballot=b(3), slot=7), 3)
    assert outcome is None
    assert commander.receive("n3", P2b(ballot=b(3), slot=7), 3)[1] == CHOSEN
    assert Commander(b(3), 7, "c", 0).receive("n2", P2b(ballot=b(5, "n2"), slot=7), 3)[1] \
        == PREEMPTED


# ---------------------------------------------------------------- leader
def test_a_scout_persists_its_round_before_it_sends_p1a() -> None:
    """PMS §2.2: a proposer never reuses a number, so the round goes to disk first;
    then P1a to every acceptor (its own through the local queue)."""
    out = outbox()
    ld = leader.start_scout(leader.fresh("n1", 0), out, from_slot=2)
    assert ld.ballot == b(1) and ld.scout == Scout(b(1), 2, 0)
    assert kinds(tuple(out.effects)) == ["persist:leader_round", "note", "send", "send"]
    assert rules(tuple(out.effects)) == [leader.KEEP_ROUND, leader.SCOUT, leader.SCOUT,
                                         leader.SCOUT]
    assert network(out) == [(d, P1a(ballot=b(1), from_slot=2)) for d in ("n2", "n3", "n1")]


def test_adopted_leader_takes_pmax_fills_gaps_with_noops_and_commands_open_slots() -> None:
    """PMMC Fig. 7 adopted: proposals := proposals ◁ pmax(pvals); then a commander per
    proposal. Paxos Made Simple §3: a new leader fills empty slots with no-ops. Slots
    already decided at this server need no commander."""
    out = outbox()
    ld = leader.start_scout(leader.fresh("n1", 0), out, from_slot=2)
    assert ld.ballot == b(1) and [e for e in out.effects if isinstance(e, Persist)] == [
        Persist("leader_round", 1, leader.KEEP_ROUND)]
    ld = leader.on_propose(ld, out, 2, "ours", never)
    ld = leader.on_propose(ld, out, 6, "late", never)
    out = outbox()
    ld = leader.adopted(ld, out, PMap.of({2: (b(0, "n3"), "theirs"), 4: (b(0, "n3"), "four")}),
                        decided=lambda s: s == 5)
    assert ld.active and ld.scout is None
    assert dict(ld.proposals.items()) == {2: "theirs", 3: NOOP, 4: "four", 6: "late"}
    p2a = [(d, m) for d, m in network(out) if isinstance(m, P2a)]
    assert [(m.slot, m.command) for d, m in p2a if d == "n2"] == [
        (2, "theirs"), (3, NOOP), (4, "four"), (6, "late")]
    assert {d for d, _ in p2a} == set(SERVERS)  # every acceptor, ours through the queue
    assert {e.rule for e in out.effects if isinstance(e, Send)} == {leader.COMMAND}


def test_first_proposal_for_a_slot_wins_and_decided_slots_are_left_alone() -> None:
    """PMMC Fig. 7 propose: if s not in proposals, take it (and start a commander when
    active); a slot below the adopted base or already decided is not proposed again."""
    ld, out = leader.fresh("n1", 0), outbox()
    ld = leader.LeaderState(ld.ballot, ld.highest_seen, active=True, base_slot=3)
    ld = leader.on_propose(ld, out, 3, "a", never)
    ld = leader.on_propose(ld, out, 3, "b", never)
    ld = leader.on_propose(ld, out, 2, "c", never)
    ld = leader.on_propose(ld, out, 4, "d", decided=lambda s: s == 4)
    assert dict(ld.proposals.items()) == {3: "a"} and list(ld.commanders) == [3]


def test_chosen_commander_sends_the_decision_to_every_replica() -> None:
    """PMMC Fig. 5: with p2b(b) from a majority, send decision(s, c) to all replicas."""
    ld = leader.LeaderState(b(2), b(2), active=True)
    ld = leader.command_slot(ld, outbox(), 1, "c")
    out = outbox()
    ld = leader.on_p2b(ld, out, "n1", P2b(ballot=b(2), slot=1))
    ld = leader.on_p2b(ld, out, "n2", P2b(ballot=b(2), slot=1))
    assert network(out) == [("n2", Decision(slot=1, command="c")),
                            ("n3", Decision(slot=1, command="c")),
                            ("n1", Decision(slot=1, command="c"))]
    assert rules(tuple(out.effects)) == [leader.DECIDE] * 2
    assert len(ld.commanders) == 0


def test_a_preempted_leader_steps_back_without_a_new_ballot() -> None:
    """PMMC Fig. 7 preempted: a higher ballot makes the leader passive. (PMMC would
    start a scout at once; this leader waits for its failure detector instead.)"""
    ld, out = leader.LeaderState(b(2), b(2), active=True), outbox()
    ld = leader.command_slot(ld, out, 1, "c")
    ld = leader.on_p2b(ld, out, "n2", P2b(ballot=b(5, "n2"), slot=1))
    assert not ld.active and len(ld.commanders) == 0 and ld.scout is None
    assert ld.highest_seen == b(5, "n2") and ld.ballot == b(2)
    assert out.effects[-1].rule == leader.STEP_BACK  # the note says why
    ld = leader.start_scout(ld, out, 1)
    assert ld.ballot == b(6)


def test_scouts_and_commanders_resend_only_to_silent_acceptors() -> None:
    """Links lose messages (PMMC assumes they do not): after resend_interval, a
    commander sends its P2a again to the acceptors that have not answered."""
    ld = leader.command_slot(leader.LeaderState(b(2), b(2), active=True), outbox(), 1, "c")
    ld = leader.on_p2b(ld, outbox(), "n1", P2b(ballot=b(2), slot=1))
    out = Outbox("n1", SERVERS, now=150)
    ld = leader.resend(ld, out, older_than=50)
    assert network(out) == [(d, P2a(ballot=b(2), slot=1, command="c")) for d in ("n2", "n3")]
    assert rules(tuple(out.effects)) == [leader.RESEND] * 2
    assert ld.commanders[1].sent_at == 150
    assert leader.resend(ld, outbox(), older_than=100) == ld  # too recent to resend


# ---------------------------------------------------------------- replica
def test_replica_performs_decisions_in_slot_order_and_answers_its_client() -> None:
    """PMMC Fig. 1: decisions may arrive in any order; the replica performs slot_out,
    slot_out + 1, ... and answers the client it got the command from."""
    rep, out = ReplicaState(leader_hint="n2"), outbox()
    put = Command(client="c1", seq=1, op="put", key="k", value="v")
    request = ClientRequest(id=1, client="c1", f="put", key="k", value="v", seq=1)
    rep = replica.request(rep, out, put, WINDOW, request)
    assert network(out) == [("n2", Propose(slot=1, command=put))]
    assert rules(tuple(out.effects)) == [replica.PROPOSE]
    rep = replica.on_decision(rep, out, 2, Command(client="c2", seq=1, op="append", key="k",
                                                   value="w"), WINDOW)
    assert rep.slot_out == 1 and rep.store.data == {}
    rep = replica.on_decision(rep, out, 1, put, WINDOW)
    assert rep.slot_out == 3 and rep.store.data == {"k": "vw"}
    assert Reply(request, "v", True, replica.PERFORM) in out.effects
    assert rep.waiting == ()


def test_a_replica_whose_slot_went_to_another_command_proposes_it_again() -> None:
    """PMMC Fig. 1 on decision: if the slot holds a different command than ours, put
    ours back in requests; it is proposed in the next free slot."""
    rep, out = ReplicaState(leader_hint="n1"), outbox()
    rep = replica.request(rep, out, "mine", WINDOW)
    rep = replica.on_decision(rep, out, 1, "other", WINDOW)
    assert rep.slot_out == 2 and dict(rep.proposals.items()) == {2: "mine"}
    assert list(out.local) == [Propose(slot=1, command="mine"), Propose(slot=2, command="mine")]


def test_the_window_bounds_how_far_ahead_a_replica_proposes() -> None:
    """PMMC Fig. 1 propose: only slots below slot_out + WINDOW; the rest wait."""
    rep, out = ReplicaState(leader_hint="n2"), outbox()
    for c in ("a", "b", "c"):
        rep = replica.request(rep, out, c, 2)
    assert list(rep.proposals) == [1, 2] and rep.requests == ("c",)
    rep = replica.on_decision(rep, out, 1, "a", 2)
    assert list(rep.proposals) == [2, 3] and not rep.requests


def test_without_a_leader_hint_requests_wait_and_noops_are_performed_silently() -> None:
    """Nobody to propose to: commands queue; a no-op decision changes no state."""
    rep, out = ReplicaState(), outbox()
    rep = replica.request(rep, out, "a", 4)
    assert out.effects == [] and rep.requests == ("a",)
    rep = replica.on_decision(rep, out, 1, NOOP, 4)
    assert rep.slot_out == 2 and rep.store.data == {}


# ---------------------------------------------------------------- the whole server
def test_a_server_boots_from_what_it_persisted_and_arms_its_timers() -> None:
    """A crash keeps exactly what was persisted: promise, accepted pvalues, last round.
    Boot arms a randomized election timeout (PMMC §4) and the resend timer."""
    protocol = MultiPaxosProtocol()
    stored = {"promised": b(3, "n2"), "accepted/2": (b(3, "n2"), "x"), "leader_round": 2}
    state, effects = protocol.start("n1", ("n2", "n3"), stored)
    assert state.acceptor == AcceptorState(b(3, "n2"), PMap.of({2: (b(3, "n2"), "x")}))
    assert state.leader.ballot == b(2) and state.replica == ReplicaState()
    assert kinds(effects) == ["timer:election", "timer:resend"]
    assert rules(effects) == [server.ELECTION, server.RESEND_TIMER]
    low, high = protocol.config.election_timeout
    assert (effects[0].low, effects[0].high) == (low, high)


def test_an_election_timeout_scouts_and_the_own_acceptor_answers_in_the_same_step() -> None:
    """The roles of one server talk through the local queue: the scout's P1a to its own
    acceptor is handled within the step, so the promise is persisted (before any send
    it depends on) and the two others get P1a over the network."""
    protocol = MultiPaxosProtocol()
    state, _ = protocol.start("n1", ("n2", "n3"), {})
    state, effects = protocol.step(state, Fire("election", now=200))
    assert kinds(effects) == ["persist:leader_round", "note", "send", "send",
                              "timer:election", "persist:promised"]
    assert state.acceptor.promised == b(1) and state.leader.scout is not None
    assert state.leader.scout.heard == frozenset({"n1"}) and state.leader.scout.sent_at == 200
    state, effects = protocol.step(state, Deliver("n2", P1b(ballot=b(1), accepted=())))
    assert state.leader.active and state.replica.leader_hint == "n1"
    assert kinds(effects)[:3] == ["note", "cancel:election", "timer:heartbeat"]
    state, effects = protocol.step(state, Fire("heartbeat", now=200))
    assert sent(effects) == [(d, Heartbeat(ballot=b(1), slot_out=1)) for d in ("n2", "n3")]


def test_a_malformed_request_fails_at_once_and_takes_no_slot() -> None:
    """A command the store cannot run is answered with a failure, proposing nothing."""
    protocol = MultiPaxosProtocol()
    state, _ = protocol.start("n1", ("n2", "n3"), {})
    request = ClientRequest(id=1, client="c1", f="frob", key="k")
    after, effects = protocol.step(state, Request(request))
    assert after == state and [type(e) for e in effects] == [Reply]
    assert not effects[0].ok and effects[0].rule == server.BAD_COMMAND


def test_every_effect_of_a_run_carries_a_rule() -> None:
    """Every effect a server emits names the sentence it carries out."""
    from consensus_lab.paxos.multi import multipaxos_sim, run_until_answered, wait_for_leader
    sim = multipaxos_sim(3, seed=4)
    leader_id = wait_for_leader(sim)
    sim.submit(leader_id, "put", "k", "v", client="c1", timeout=2_000)
    run_until_answered(sim)
    sends = [r for r in sim.trace.records if r.kind == "send"]
    assert sends and all(r.rule for r in sends)
