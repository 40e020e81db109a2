"""Paper-rule unit tests: one Raft node, one message, the exact effects.

Each test quotes the rule of Figure 2 (or the section) it checks, feeds one
state value an input through ``RaftProtocol.step`` (the :class:`Server` of
the harness) and compares the effects it returned — messages, persisted
values, timers, in order, with their rule tags — with the answer the rule
gives. A few use a real simulation where the rule is about
the run (a restart, persistence before every send).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import pytest

from consensus_lab.raft import (
    CANDIDATE,
    FOLLOWER,
    LEADER,
    AppendEntries,
    AppendEntriesReply,
    Command,
    InstallSnapshot,
    InstallSnapshotReply,
    KVStore,
    LogEntry,
    RaftConfig,
    RaftNode,
    RaftProtocol,
    RequestVote,
    RequestVoteReply,
    Submit,
    check_one_leader,
    one,
    paper,
    raft_cluster,
)
from consensus_lab.sim import ConfigError, Network, Simulation
from consensus_lab.sim.step import CancelTimer, Deliver, Note, Persist, Send, SetTimer, timer
from tests.raft.harness import Server, entries, make_leader, node_with, start


def vote_request(term: int, candidate: str = "n2", last_index: int = 0,
                 last_term: int = 0) -> RequestVote:
    return RequestVote(term=term, candidate_id=candidate, last_log_index=last_index,
                       last_log_term=last_term)


def append(term: int, prev: int = 0, prev_term: int = 0, items: tuple[LogEntry, ...] = (),
           commit: int = 0, leader: str = "n2") -> AppendEntries:
    return AppendEntries(term=term, leader_id=leader, prev_log_index=prev,
                         prev_log_term=prev_term, entries=items, leader_commit=commit)


def terms(node: Server) -> list[int]:
    return [e.term for e in node.log.entries]


# ---------------------------------------------------------------- all servers
def _in_role(role: str) -> Server:
    node = node_with(term=2, log=entries(1, 2))
    if role == CANDIDATE:
        node.fire("election")
    elif role == LEADER:
        make_leader(node)
    node.clear()
    assert node.role == role and node.current_term == 3 - (role == FOLLOWER)
    return node


HIGHER_TERM_MESSAGES = {
    "RequestVote": lambda t: vote_request(t),  # refused (stale log): still steps down
    "RequestVoteReply": lambda t: RequestVoteReply(term=t, vote_granted=False),
    "AppendEntries": lambda t: append(t, prev=9, prev_term=9),  # fails the check
    "AppendEntriesReply": lambda t: AppendEntriesReply(term=t, success=False),
    "InstallSnapshot": lambda t: InstallSnapshot(term=t, leader_id="n2", last_included_index=0,
                                                 last_included_term=0, data=None),
}


@pytest.mark.parametrize("role", [FOLLOWER, CANDIDATE, LEADER])
@pytest.mark.parametrize("kind", sorted(HIGHER_TERM_MESSAGES))
def test_higher_term_in_any_message_makes_any_role_a_follower(role: str, kind: str) -> None:
    """Figure 2, Rules for Servers, All Servers: "If RPC request or response
    contains term T > currentTerm: set currentTerm = T, convert to follower (§5.1)"."""
    node = _in_role(role)
    node.deliver("n2", HIGHER_TERM_MESSAGES[kind](7))
    assert (node.role, node.current_term, node.voted_for) == (FOLLOWER, 7, None)
    assert node.storage["current_term"] == 7 and node.storage["voted_for"] is None
    kinds = node.kinds()
    is_request = kind in ("RequestVote", "AppendEntries", "InstallSnapshot")
    assert ("send" in kinds) == is_request  # requests are answered, replies are not
    if is_request:
        assert kinds.index("persist:current_term") < kinds.index("send")
    assert "cancel:heartbeat" in kinds
    expected_leader = "n2" if kind in ("AppendEntries", "InstallSnapshot") else None
    assert node.leader_id == expected_leader


def test_a_higher_term_alone_does_not_reset_the_election_timer() -> None:
    """Followers: "If election timeout elapses without receiving AppendEntries RPC from
    current leader or granting vote to candidate: convert to candidate" — adopting a
    higher term from a candidate whose log is stale (vote refused) is neither, so the
    timer keeps running; otherwise such candidates keep up-to-date servers from ever
    standing for election."""
    node = node_with(term=2, log=entries(1, 2))
    node.deliver("n2", vote_request(9, last_index=1, last_term=1))
    assert node.current_term == 9 and node.voted_for is None
    assert node.timers() == []


def test_a_deposed_leader_starts_an_election_timer() -> None:
    """A leader has no election timer; when a higher term deposes it (§5.1) it
    becomes a follower that will stand for election if it hears nobody."""
    node = _in_role(LEADER)
    node.deliver("n2", AppendEntriesReply(term=7, success=False))
    assert [name for name, _, _ in node.timers()] == ["election"]


def test_equal_term_message_does_not_reset_the_vote() -> None:
    """§5.1: the term only moves forward, and voted_for is cleared only with a new term
    (a follower that voted in term 3 and then hears the term-3 leader keeps its vote)."""
    node = node_with(term=3, voted_for="n3", log=entries(1))
    node.deliver("n3", append(3, prev=1, prev_term=1))
    assert (node.current_term, node.voted_for, node.leader_id) == (3, "n3", "n3")
    assert not any(isinstance(e, Persist) for e in node.effects)


def test_follower_that_times_out_stands_for_election() -> None:
    """Figure 2, Followers: "If election timeout elapses without receiving AppendEntries
    ... convert to candidate"; Candidates: "increment currentTerm, vote for self, reset
    election timer, send RequestVote RPCs to all other servers" (§5.2)."""
    node = node_with(term=4, log=entries(1, 2, 4))
    node.fire("election")
    assert (node.role, node.current_term, node.voted_for) == (CANDIDATE, 5, "n1")
    expected = vote_request(5, candidate="n1", last_index=3, last_term=4)
    assert node.sent() == [("n2", expected), ("n3", expected)]
    assert node.kinds()[:3] == ["persist:current_term", "persist:voted_for", "timer:election"]


def test_candidate_with_a_majority_becomes_leader_and_sends_heartbeats_at_once() -> None:
    """Candidates: "If votes received from majority of servers: become leader";
    Leaders: "Upon election: send initial empty AppendEntries RPCs (heartbeat) to each
    server" (§5.2). One peer's vote plus its own is a majority of three."""
    node = node_with(term=1, log=entries(1, 1))
    node.fire("election")
    node.clear()
    node.deliver("n3", RequestVoteReply(term=2, vote_granted=False))
    assert node.role == CANDIDATE and node.sent() == []
    node.deliver("n2", RequestVoteReply(term=2, vote_granted=True))
    assert node.role == LEADER
    beat = append(2, prev=2, prev_term=1, leader="n1")
    assert node.sent() == [("n2", beat), ("n3", beat)]
    assert timer("heartbeat", 50, paper.HEARTBEAT) in node.effects
    assert CancelTimer("election", paper.LEADER_NO_ELECTION) in node.effects
    assert node.next_index == {"n2": 3, "n3": 3} and node.match_index == {"n2": 0, "n3": 0}


def test_candidate_hearing_the_new_leader_of_its_term_becomes_follower() -> None:
    """Candidates: "If AppendEntries RPC received from new leader: convert to follower"
    (§5.2) — same term: the other candidate won."""
    node = node_with(term=1)
    node.fire("election")
    node.clear()
    node.deliver("n3", append(2, leader="n3"))
    assert (node.role, node.current_term, node.leader_id, node.voted_for) == (
        FOLLOWER, 2, "n3", "n1")
    assert node.sent() == [("n3", AppendEntriesReply(term=2, success=True, match_index=0))]


@pytest.mark.parametrize("role", [CANDIDATE, LEADER])
def test_candidate_and_leader_answer_a_stale_append_entries(role: str) -> None:
    """AppendEntries RPC, receiver 1: "Reply false if term < currentTerm (§5.1)" —
    whatever the receiver's role, so a deposed leader learns the new term from it."""
    node = _in_role(role)
    node.deliver("n2", append(1, prev=1, prev_term=1))
    assert node.role == role and node.current_term == 3
    assert node.sent() == [("n2", AppendEntriesReply(term=3, success=False))]


# ---------------------------------------------------------------- RequestVote
def test_request_vote_with_a_lower_term_is_refused() -> None:
    """RequestVote RPC, receiver 1: "Reply false if term < currentTerm (§5.1)" — even
    from a candidate with a better log; nothing is persisted, no timer is reset."""
    node = node_with(term=5, log=entries(1))
    node.deliver("n2", vote_request(4, last_index=10, last_term=4))
    assert node.effects == [Send("n2", RequestVoteReply(term=5, vote_granted=False),
                                 paper.VOTE_REPLY)]
    assert node.voted_for is None


def test_one_vote_per_term_first_come_first_served() -> None:
    """RequestVote RPC, receiver 2: "If votedFor is null or candidateId, and candidate's
    log is at least as up-to-date as receiver's log, grant vote (§5.2, §5.4)": a second
    candidate in the same term is refused; the first one asking again is granted again."""
    node = node_with(term=3, log=entries(1))
    node.deliver("n2", vote_request(3, "n2", 1, 1))
    node.deliver("n3", vote_request(3, "n3", 1, 1))
    node.deliver("n2", vote_request(3, "n2", 1, 1))
    assert [msg.vote_granted for _, msg in node.sent()] == [True, False, True]
    assert [dst for dst, _ in node.sent()] == ["n2", "n3", "n2"]
    assert node.voted_for == "n2" and node.storage["voted_for"] == "n2"


OUR_LOG = (1, 1, 2)  # last term 2, last index 3
RESTRICTION_CASES = [
    (1, 10, False),  # lower last term: a longer log does not help
    (2, 2, False),  # same last term, shorter log
    (2, 3, True),  # same last term, same length
    (2, 4, True),  # same last term, longer log
    (3, 1, True),  # higher last term wins even when shorter
]


@pytest.mark.parametrize(("last_term", "last_index", "granted"), RESTRICTION_CASES)
def test_election_restriction_compares_last_term_then_length(
        last_term: int, last_index: int, granted: bool) -> None:
    """§5.4.1: "If the logs have last entries with different terms, then the log with
    the later term is more up-to-date. If the logs end with the same term, then
    whichever log is longer is more up-to-date." Our log: terms 1 1 2."""
    node = node_with(term=2, log=entries(*OUR_LOG))
    node.deliver("n2", vote_request(3, "n2", last_index, last_term))
    assert node.sent() == [("n2", RequestVoteReply(term=3, vote_granted=granted))]
    assert node.voted_for == ("n2" if granted else None)


@pytest.mark.parametrize(("last_term", "last_index"), [(1, 10), (2, 2)])
def test_without_the_restriction_a_stale_log_gets_the_vote(last_term: int,
                                                          last_index: int) -> None:
    """The buggy switch ``election_restriction=False`` (the safety notebook's bug)
    grants the votes §5.4.1 refuses."""
    node = node_with(term=2, log=entries(*OUR_LOG),
                          config=RaftConfig(election_restriction=False))
    node.deliver("n2", vote_request(3, "n2", last_index, last_term))
    assert node.sent() == [("n2", RequestVoteReply(term=3, vote_granted=True))]


def test_granting_a_vote_persists_it_and_resets_the_timer_refusing_does_neither() -> None:
    """Followers: "If election timeout elapses without receiving AppendEntries RPC from
    current leader or granting vote to candidate: convert to candidate" — granting
    resets the election timer; the vote is on disk before the reply leaves (Figure 2,
    "Persistent state ... updated on stable storage before responding to RPCs")."""
    node = node_with(term=3, log=entries(1))
    node.deliver("n2", vote_request(3, "n2", 1, 1))
    assert node.kinds() == ["persist:current_term", "persist:voted_for", "timer:election",
                           "send"]
    node.clear()
    node.deliver("n3", vote_request(3, "n3", 1, 1))  # refused: already voted
    assert node.kinds() == ["send"]


def test_a_persisted_vote_survives_a_restart() -> None:
    """Figure 2, Persistent state on all servers: currentTerm and votedFor survive a
    crash, so a restarted server cannot vote twice in one term (§5.2)."""
    node = node_with(term=3, log=entries(1))
    node.deliver("n2", vote_request(3, "n2", 1, 1))
    reborn = start(node.storage)
    assert (reborn.current_term, reborn.voted_for, reborn.role) == (3, "n2", FOLLOWER)
    reborn.clear()
    reborn.deliver("n3", vote_request(3, "n3", 1, 1))
    assert reborn.sent() == [("n3", RequestVoteReply(term=3, vote_granted=False))]


def test_a_restarted_follower_remembers_its_vote_in_the_simulator() -> None:
    """Same rule through sim.crash / sim.restart: the follower comes back with the term
    and the vote it gave the leader."""
    sim = raft_cluster(3, seed=11)
    leader = check_one_leader(sim)
    follower = next(i for i in sim.node_ids if i != leader.node_id
                    and sim.nodes[i].voted_for == leader.node_id)
    sim.crash(follower)
    sim.restart(follower)
    reborn = sim.nodes[follower]
    assert (reborn.current_term, reborn.voted_for) == (leader.current_term, leader.node_id)


# ---------------------------------------------------------------- AppendEntries
def test_append_entries_with_a_lower_term_is_rejected() -> None:
    """AppendEntries RPC, receiver 1: "Reply false if term < currentTerm (§5.1)" —
    the log, the leader and the election timer are left alone."""
    node = node_with(term=5, log=entries(1, 2))
    node.deliver("n2", append(4, prev=2, prev_term=2, items=entries(4, start=3)))
    assert node.effects == [Send("n2", AppendEntriesReply(term=5, success=False),
                                 paper.STALE_TERM_REJECT)]
    assert terms(node) == [1, 2] and node.leader_id is None


def test_consistency_check_on_a_too_short_log_hints_the_log_length() -> None:
    """AppendEntries RPC, receiver 2: "Reply false if log doesn't contain an entry at
    prevLogIndex whose term matches prevLogTerm (§5.3)"; the fast-backup hint for a
    log that is too short: conflict_term 0 and conflict_index = last index + 1."""
    node = node_with(term=2, log=entries(1, 1))
    node.deliver("n2", append(2, prev=5, prev_term=2, items=entries(2, start=6)))
    assert node.sent() == [("n2", AppendEntriesReply(
        term=2, success=False, conflict_term=0, conflict_index=3, rejected_index=5))]
    assert terms(node) == [1, 1]


@pytest.mark.parametrize(("log_terms", "prev", "conflict_term", "conflict_index"), [
    ((1, 2, 2, 2), 4, 2, 2),  # conflict at the end of a run of term 2
    ((1, 2, 2, 2), 3, 2, 2),  # in the middle of the run: still its first index
    ((1, 1, 2), 2, 1, 1),  # the run of term 1 starts at index 1
    ((1, 3, 3, 4), 4, 4, 4),  # a run of one entry
])
def test_consistency_check_on_a_conflicting_term_hints_that_terms_first_index(
        log_terms: tuple[int, ...], prev: int, conflict_term: int,
        conflict_index: int) -> None:
    """§5.3 (the optimization paragraph): "the follower can include the term of the
    conflicting entry and the first index it stores for that term"."""
    node = node_with(term=5, log=entries(*log_terms))
    node.deliver("n2", append(5, prev=prev, prev_term=5))
    assert node.sent() == [("n2", AppendEntriesReply(
        term=5, success=False, conflict_term=conflict_term, conflict_index=conflict_index,
        rejected_index=prev))]
    assert terms(node) == list(log_terms)


def test_a_stale_or_duplicate_append_entries_does_not_truncate_matching_entries() -> None:
    """AppendEntries RPC, receiver 3: "If an existing entry conflicts with a new one
    (same index but different terms), delete the existing entry and all that follow
    it" — only on a conflict: an old message holding entries we already have (a
    duplicate, or one overtaken by a later one) must not cut off the later entries."""
    node = node_with(term=1, log=entries(1, 1, 1))
    node.deliver("n2", append(1, prev=0, prev_term=0, items=entries(1)))
    node.deliver("n2", append(1, prev=1, prev_term=1, items=entries(1, start=2)))
    assert [e.command for e in node.log.entries] == ["c1", "c2", "c3"]
    assert [msg for _, msg in node.sent()] == [
        AppendEntriesReply(term=1, success=True, match_index=1),
        AppendEntriesReply(term=1, success=True, match_index=2),
    ]
    assert not any(isinstance(e, Persist) for e in node.effects)  # nothing changed on disk


def test_a_conflicting_entry_truncates_from_there_and_appends_the_new_ones() -> None:
    """AppendEntries RPC, receivers 3 and 4: delete the conflicting entry and all that
    follow it; "Append any new entries not already in the log" — and persist the log
    before acknowledging."""
    node = node_with(term=1, log=entries(1, 1, 1, 1))
    new = (LogEntry(term=2, command="x"), LogEntry(term=2, command="y"))
    node.deliver("n2", append(2, prev=1, prev_term=1, items=new))
    assert [(e.term, e.command) for e in node.log.entries] == [(1, "c1"), (2, "x"), (2, "y")]
    assert node.storage["log"] == (LogEntry(term=1, command="c1"), *new)
    kinds = node.kinds()
    assert kinds.index("persist:log") < kinds.index("send")
    assert node.sent()[-1] == ("n2", AppendEntriesReply(term=2, success=True, match_index=3))


@pytest.mark.parametrize(("leader_commit", "expected"), [(2, 2), (10, 3)])
def test_follower_commit_is_min_of_leader_commit_and_last_new_entry(
        leader_commit: int, expected: int) -> None:
    """AppendEntries RPC, receiver 5: "If leaderCommit > commitIndex, set commitIndex =
    min(leaderCommit, index of last new entry)"."""
    node = node_with(term=1)
    node.deliver("n2", append(1, items=entries(1, 1, 1), commit=leader_commit))
    assert node.commit_index == expected == node.last_applied


def test_follower_does_not_commit_unverified_entries_beyond_the_message() -> None:
    """Receiver 5 again: "index of last new entry", not our last index. Our entries
    2..4 come from an old leader and this heartbeat only vouches for index 1, so only
    index 1 may commit even though the leader's commit index is 4."""
    node = node_with(term=1, log=entries(1, 1, 1, 1))
    node.deliver("n2", append(2, prev=1, prev_term=1, commit=4))
    assert node.commit_index == 1
    assert node.sent() == [("n2", AppendEntriesReply(term=2, success=True, match_index=1))]


def test_append_entries_reaching_into_our_snapshot_is_accepted() -> None:
    """§7: entries up to the snapshot are committed, hence equal to the leader's, so
    a message whose prev_log_index falls inside our snapshot checks against the
    snapshot's end and appends what follows it."""
    node = node_with(term=3, snapshot=(3, 2), snapshot_data=None, log=entries(2, start=4))
    items = entries(1, 2, 2, 3, start=2)  # entries 2..5; entry 1 (before them) has term 1
    node.deliver("n2", append(3, prev=1, prev_term=1, items=items))
    assert node.log.snapshot_index == 3
    assert [(e.term, e.command) for e in node.log.entries] == [(2, "c4"), (3, "c5")]
    assert node.sent() == [("n2", AppendEntriesReply(term=3, success=True, match_index=5))]


# ---------------------------------------------------------------- leader: commit, backup
def test_leader_commits_only_entries_of_its_own_term_by_counting() -> None:
    """Leaders: "If there exists an N such that N > commitIndex, a majority of
    matchIndex[i] ≥ N, and log[N].term == currentTerm: set commitIndex = N (§5.3,
    §5.4)". Figure 8: entries of earlier terms commit only under one of ours."""
    node = node_with(term=2, log=entries(1, 2))
    make_leader(node)  # term 3
    node.deliver("n2", AppendEntriesReply(term=3, success=True, match_index=2))
    assert node.commit_index == 0  # a majority holds 1..2, but they are not of term 3
    index, term, is_leader = node.submit("x")
    assert (index, term, is_leader) == (3, 3, True)
    node.deliver("n3", AppendEntriesReply(term=3, success=True, match_index=3))
    assert node.commit_index == 3
    assert [(i, t) for i, t, _ in node.applied] == [(1, 1), (2, 2), (3, 3)]


def test_with_the_figure8_bug_the_leader_commits_old_terms_by_counting() -> None:
    """The buggy switch ``commit_current_term_only=False`` counts replicas of old-term
    entries — the commit that Figure 8 shows can be lost."""
    node = node_with(term=2, log=entries(1, 2),
                          config=RaftConfig(commit_current_term_only=False))
    make_leader(node)
    node.deliver("n2", AppendEntriesReply(term=3, success=True, match_index=2))
    assert node.commit_index == 2


def test_leader_needs_a_majority_to_commit() -> None:
    """§5.3: "A log entry is committed once the leader that created the entry has
    replicated it on a majority of the servers" — of five, the leader and two more."""
    node = node_with(term=1, peers=("n2", "n3", "n4", "n5"))
    make_leader(node)
    node.submit("x")
    node.deliver("n2", AppendEntriesReply(term=2, success=True, match_index=1))
    assert node.commit_index == 0
    node.deliver("n2", AppendEntriesReply(term=2, success=True, match_index=1))  # dup
    assert node.commit_index == 0
    node.deliver("n4", AppendEntriesReply(term=2, success=True, match_index=1))
    assert node.commit_index == 1


def _leader_with_rejection(fast: bool, reply: AppendEntriesReply) -> Server:
    node = node_with(term=5, log=entries(1, 1, 2, 2, 4, 4, 5),
                          config=RaftConfig(fast_backup=fast))
    make_leader(node)  # term 6, next_index 8 for both
    node.deliver("n2", reply)
    return node


@pytest.mark.parametrize(("conflict_term", "conflict_index", "next_index"), [
    (4, 5, 7),  # we have term 4 (up to index 6): retry after our last entry of term 4
    (3, 3, 3),  # we have no term 3: retry at the follower's first index of term 3
    (0, 4, 4),  # the follower's log is too short: retry at its end
])
def test_leader_backs_up_a_whole_term_with_the_hint(conflict_term: int, conflict_index: int,
                                                     next_index: int) -> None:
    """§5.3: "With this information, the leader can decrement nextIndex to bypass all
    of the conflicting entries in that term; one AppendEntries RPC will be required
    for each term with conflicting entries, rather than one RPC per entry"."""
    reply = AppendEntriesReply(term=6, success=False, conflict_term=conflict_term,
                               conflict_index=conflict_index, rejected_index=7)
    node = _leader_with_rejection(True, reply)
    assert node.next_index["n2"] == next_index
    (dst, retry), = node.sent()
    assert dst == "n2" and retry.prev_log_index == next_index - 1
    assert len(retry.entries) == 8 - next_index


def test_without_fast_backup_the_leader_decrements_next_index_by_one() -> None:
    """Leaders: "If AppendEntries fails because of log inconsistency: decrement
    nextIndex and retry (§5.3)" — the hint is ignored with ``fast_backup=False``."""
    reply = AppendEntriesReply(term=6, success=False, conflict_term=3, conflict_index=3,
                               rejected_index=7)
    node = _leader_with_rejection(False, reply)
    assert node.next_index["n2"] == 7
    assert [m.prev_log_index for _, m in node.sent()] == [6]


def test_a_stale_rejection_does_not_undo_the_backup() -> None:
    """A rejection of an index the leader is no longer probing (a duplicate, or the
    answer to an earlier heartbeat) is stale: next_index stays where it is."""
    first = AppendEntriesReply(term=6, success=False, conflict_term=0, conflict_index=4,
                               rejected_index=7)
    node = _leader_with_rejection(True, first)
    node.clear()
    node.deliver("n2", first)  # the same rejection again
    assert node.next_index["n2"] == 4 and node.sent() == []
    node.fire("heartbeat")  # heartbeats repeat the probe, not move it
    assert node.next_index["n2"] == 4
    assert [m.prev_log_index for d, m in node.sent() if d == "n2"] == [3]


# ---------------------------------------------------------------- apply, snapshots
def test_committed_entries_are_applied_in_log_order() -> None:
    """All Servers: "If commitIndex > lastApplied: increment lastApplied, apply
    log[lastApplied] to state machine (§5.3)" — one by one, in index order."""
    node = node_with(term=1)
    cmds = tuple(LogEntry(term=1, command=Command(client="c1", seq=i, op="append",
                                                  key="k", value=v))
                 for i, v in enumerate("abc", start=1))
    node.deliver("n2", append(1, items=cmds, commit=1))
    assert node.store.data == {"k": "a"} and node.last_applied == 1
    node.deliver("n2", append(1, prev=3, prev_term=1, commit=3))
    assert node.store.data == {"k": "abc"}
    assert [i for i, _, _ in node.applied] == [1, 2, 3] and node.last_applied == 3


def test_install_snapshot_keeps_the_entries_after_a_matching_prefix() -> None:
    """InstallSnapshot RPC, receiver 6: "If existing log entry has same index and term
    as snapshot's last included entry, retain log entries following it and reply"."""
    node = node_with(term=2, log=entries(1, 1, 2, 2))
    data = KVStore().snapshot()
    node.deliver("n2", InstallSnapshot(term=2, leader_id="n2", last_included_index=2,
                                         last_included_term=1, data=data))
    assert (node.log.snapshot_index, node.log.snapshot_term) == (2, 1)
    assert [e.command for e in node.log.entries] == ["c3", "c4"]
    assert node.commit_index == node.last_applied == 2
    assert node.storage["snapshot_meta"] == (2, 1) and node.storage["snapshot"] == data
    assert node.sent() == [("n2", InstallSnapshotReply(term=2, match_index=2))]


def test_install_snapshot_discards_a_conflicting_log_and_restores_the_store() -> None:
    """InstallSnapshot RPC, receivers 7 and 8: "Discard the entire log"; "Reset state
    machine using snapshot contents"."""
    node = node_with(term=2, log=entries(1, 1, 1))
    store = KVStore()
    store.apply(Command(client="c1", seq=1, op="put", key="k", value="v"))
    node.deliver("n2", InstallSnapshot(term=3, leader_id="n2", last_included_index=2,
                                         last_included_term=2, data=store.snapshot()))
    assert node.log.entries == () and node.log.last_index == 2
    assert node.store.data == {"k": "v"} and node.store.sessions == {"c1": (1, "v")}
    assert node.sent() == [("n2", InstallSnapshotReply(term=3, match_index=2))]


# ---------------------------------------------------------------- persistence
class CheckingSimulation(Simulation):
    """Checks, at the moment each Raft message leaves, that what it depends on is on disk."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.checked: dict[str, int] = {}
        super().__init__(*args, **kwargs)

    def _send(self, src: str, dst: str, msg: Any, rule: str = "") -> None:
        disk = self._storage[src]
        name = type(msg).__name__
        assert disk.get("current_term") == msg.term, f"{src} sent {msg} before persisting"
        if isinstance(msg, RequestVote):
            assert disk.get("voted_for") == src
        if isinstance(msg, RequestVoteReply) and msg.vote_granted:
            assert disk.get("voted_for") == dst
        if isinstance(msg, AppendEntries) and msg.entries:
            log = disk["log"]
            snap, _ = disk.get("snapshot_meta", (0, 0))
            for offset, entry in enumerate(msg.entries):
                index = msg.prev_log_index + 1 + offset
                if index > snap:
                    assert log[index - snap - 1] == entry, f"{src} sent unpersisted {index}"
        if isinstance(msg, AppendEntriesReply) and msg.success:
            snap, _ = disk.get("snapshot_meta", (0, 0))
            assert snap + len(disk.get("log", ())) >= msg.match_index
        self.checked[name] = self.checked.get(name, 0) + 1
        super()._send(src, dst, msg, rule)


def test_every_message_leaves_after_the_state_it_depends_on_is_persisted() -> None:
    """Figure 2: "Persistent state on all servers: (Updated on stable storage before
    responding to RPCs)" — checked at every send of a run with crashes and partitions:
    the term a message carries, a vote asked for or granted, the entries sent or
    acknowledged are all on disk when the message leaves."""
    config = RaftConfig(snapshot_threshold=7)
    sim = CheckingSimulation(partial(RaftNode, config=config), 5, seed=3,
                             network=Network(latency=(2, 10), drop=0.05))
    for round_ in range(6):
        check_one_leader(sim)
        one(sim, f"x{round_}", 3)
        victim = f"n{round_ % 5 + 1}"
        sim.crash(victim)
        one(sim, f"y{round_}", 3)
        sim.restart(victim)
        sim.run(until=sim.now + 300)
    assert {"RequestVote", "RequestVoteReply", "AppendEntries",
            "AppendEntriesReply"} <= set(sim.checked)
    assert sum(sim.checked.values()) > 500


def test_a_candidate_persists_its_term_and_vote_before_asking() -> None:
    """Persistence before send, effect by effect: a candidate's new term and its
    vote for itself are on disk before the first RequestVote."""
    node = node_with(term=1)
    node.fire("election")
    kinds = node.kinds()
    assert kinds.index("persist:voted_for") < kinds.index("send")
    assert node.storage["current_term"] == 2 and node.storage["voted_for"] == "n1"


def test_a_leader_persists_a_new_entry_before_sending_it() -> None:
    """Persistence before send: a leader's new entry is in its persisted log before
    the AppendEntries that carries it."""
    node = node_with(term=1)
    make_leader(node)
    node.submit("x")
    assert timer("replicate", 0, paper.REPLICATE_SOON) in node.effects  # one round per batch
    node.fire("replicate")
    kinds = node.kinds()
    assert kinds.index("persist:log") < kinds.index("send")
    assert node.storage["log"] == (LogEntry(term=2, command="x"),)
    assert [m.entries for _, m in node.sent()] == [(LogEntry(term=2, command="x"),)] * 2


# ---------------------------------------------------------------- effects as values
def test_granting_a_vote_returns_persist_then_send_with_their_rules() -> None:
    """Figure 2: currentTerm and votedFor are "updated on stable storage before
    responding to RPCs" — the step's effects say so in order: both Persists (new term,
    then the vote), the election timer restart, then the granting reply."""
    node = node_with(term=2, log=entries(1))
    effects = node.deliver("n2", vote_request(3, "n2", 1, 1))
    assert effects == (
        Persist("current_term", 3, paper.TERM_RULE), Persist("voted_for", None, paper.TERM_RULE),
        CancelTimer("heartbeat", paper.FOLLOWER_NO_HEARTBEAT),
        Persist("current_term", 3, paper.PERSIST_STATE),
        Persist("voted_for", "n2", paper.PERSIST_STATE),
        SetTimer("election", 150, 300, paper.VOTE_RESETS_TIMER),
        Send("n2", RequestVoteReply(term=3, vote_granted=True), paper.VOTE_REPLY))
    assert node.state.voted_for == "n2" and node.storage["voted_for"] == "n2"


def test_a_follower_persists_new_entries_before_the_success_reply() -> None:
    """Figure 2: the log is on stable storage before the AppendEntries reply that
    acknowledges it (the leader counts that reply towards a commit)."""
    node = node_with(term=1)
    effects = node.deliver("n2", append(1, items=entries(1, 1)))
    assert [type(e).__name__ for e in effects] == ["SetTimer", "Persist", "Persist", "Send"]
    timer_, log, meta, reply = effects
    assert timer_ == SetTimer("election", 150, 300, paper.LEADER_RESETS_TIMER)
    assert log == Persist("log", entries(1, 1), paper.PERSIST_LOG)
    assert meta == Persist("snapshot_meta", (0, 0), paper.PERSIST_LOG)
    assert reply == Send("n2", AppendEntriesReply(term=1, success=True, match_index=2),
                         paper.APPEND_OK)


def test_a_rejection_cites_the_consistency_check() -> None:
    """§5.3: "Reply false if log doesn't contain an entry at prevLogIndex whose term
    matches prevLogTerm" — the only effects are the timer restart and the rejection."""
    node = node_with(term=2, log=entries(1))
    effects = node.deliver("n2", append(2, prev=3, prev_term=2))
    assert [e.rule for e in effects] == [paper.LEADER_RESETS_TIMER, paper.CONSISTENCY_REJECT]
    assert not any(isinstance(e, Persist) for e in effects)


def test_a_leader_persists_new_entries_before_the_append_entries_that_carry_them() -> None:
    """Persistence before send, as returned values: Submit appends and asks for one
    replication round; the round's first effects write the log, then the sends follow."""
    node = node_with(term=1)
    make_leader(node)
    effects = node.step(Submit("x"))
    assert effects == (timer("replicate", 0, paper.REPLICATE_SOON),)
    assert node.state.log_dirty and node.storage["log"] == ()  # not yet on disk
    effects = node.fire("replicate")
    entry = LogEntry(term=2, command="x")
    assert effects == (
        Persist("log", (entry,), paper.PERSIST_LOG),
        Persist("snapshot_meta", (0, 0), paper.PERSIST_LOG),
        Send("n2", append(2, items=(entry,), leader="n1"), paper.APPEND),
        Send("n3", append(2, items=(entry,), leader="n1"), paper.APPEND))
    assert not node.state.log_dirty


def test_a_candidate_returns_persist_timer_note_then_requests() -> None:
    """Candidates (§5.2): "increment currentTerm, vote for self, reset election timer,
    send RequestVote RPCs to all other servers" — in that order, each with its rule."""
    node = node_with(term=1)
    effects = node.fire("election")
    ask = vote_request(2, "n1")
    assert effects == (
        Persist("current_term", 2, paper.START_ELECTION),
        Persist("voted_for", "n1", paper.START_ELECTION),
        SetTimer("election", 150, 300, paper.START_ELECTION),
        Note("election for term 2", paper.START_ELECTION),
        Send("n2", ask, paper.REQUEST_VOTES), Send("n3", ask, paper.REQUEST_VOTES))


def test_every_effect_of_a_run_carries_a_rule_of_the_paper() -> None:
    """Every effect names the sentence it carries out (a module constant of
    :mod:`consensus_lab.raft.paper`)."""
    rules = {value for name, value in vars(paper).items() if name.isupper()}
    sim = raft_cluster(3, seed=5, config=RaftConfig(snapshot_threshold=3))
    seen: set[str] = set()
    original = RaftProtocol.step

    def recording(self: RaftProtocol, state: Any, event: Any) -> Any:
        result = original(self, state, event)
        seen.update(e.rule for e in result[1])
        return result

    RaftProtocol.step = recording  # type: ignore[method-assign]
    try:
        check_one_leader(sim)
        for k in range(5):
            one(sim, f"x{k}", 3)
        sim.crash("n2")
        one(sim, "y", 2)
        sim.restart("n2")
        sim.run(until=sim.now + 1_000)
    finally:
        RaftProtocol.step = original  # type: ignore[method-assign]
    assert seen <= rules and len(seen) > 10
    assert all(rule.startswith("Raft ") for rule in rules)


def test_the_state_is_a_hashable_value_and_steps_do_not_change_it() -> None:
    """A step is a pure function: the old state is unchanged, equal inputs on equal
    states give equal results, and states hash (what a model checker needs)."""
    node = node_with(term=1, log=entries(1))
    before = node.state
    again = RaftProtocol().step(before, Deliver("n2", vote_request(2, "n2", 1, 1)))
    first = node.deliver("n2", vote_request(2, "n2", 1, 1))
    assert node_with(term=1, log=entries(1)).state == before and hash(before) is not None
    assert again == (node.state, first) and hash(node.state) != hash(before)


# ---------------------------------------------------------------- configuration
@pytest.mark.parametrize(("kwargs", "named"), [
    ({"election_timeout": (0, 10)}, "(0, 10)"),
    ({"election_timeout": (300, 150)}, "(300, 150)"),
    ({"heartbeat_interval": 0}, "got 0"),
    ({"heartbeat_interval": 150}, "got 150"),  # not below the election timeout
    ({"max_entries_per_message": 0}, "got 0"),
    ({"snapshot_threshold": 0}, "got 0"),
])
def test_bad_config_raises_config_error_naming_the_value(kwargs: dict[str, Any],
                                                         named: str) -> None:
    """Errors name the bad value and what is allowed (STYLE.md)."""
    field = next(iter(kwargs))
    with pytest.raises(ConfigError, match=re.escape(field)) as caught:
        RaftConfig(**kwargs)
    assert named in str(caught.value)
