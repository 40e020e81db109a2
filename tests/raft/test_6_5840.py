"""The MIT 6.5840 Raft tests (3A election, 3B agreement, 3C persistence, 3D
snapshots), ported to the simulator.

Each test follows its Go original step by step — ``disconnect``,
``crash1``/``start1``, ``one``, ``checkOneLeader`` — but in virtual time, so
a "two second" sleep costs microseconds and every run replays from its
seed. The five safety invariants run after every event of every test
(``raft_cluster`` installs them). ``ELECTION`` plays the role of 6.5840's
``RaftElectionTimeout``: comfortably longer than an election.
"""

from __future__ import annotations

from collections import Counter

import pytest

from consensus_lab.raft import (
    LEADER,
    AppendEntries,
    AppendEntriesReply,
    Command,
    KVStore,
    RaftConfig,
    check_one_leader,
    connected,
    n_committed,
    one,
    raft_cluster,
    submit,
    terms_agree,
)
from consensus_lab.sim import InvariantViolation, Network, Simulation
from tests.raft.harness import (
    Clients,
    connect,
    disconnect,
    disconnected,
    final_log,
    peer_of,
    set_disconnected,
    wait_applied,
)

ELECTION = 1_000  # 6.5840's RaftElectionTimeout (ours are 150-300 ms)
UNRELIABLE = Network(latency=(2, 25), drop=0.1, duplicate=0.05, reorder=0.1,
                     reorder_delay=100)
# 6.5840's long reordering delays 2/3 of the *replies* by 200..2200 ms; our network
# cannot single out replies, so a third of all messages get up to 2 s more. (Two
# thirds of all messages is past what Raft without pre-vote survives with 150-300 ms
# election timeouts: elections then fail for tens of seconds.)
LONG_REORDERING = Network(latency=(2, 25), drop=0.1, duplicate=0.05, reorder=0.3,
                          reorder_delay=2_000)


def sleep(sim: Simulation, ms: int) -> None:
    sim.run(until=sim.now + ms)


def check_no_leader(sim: Simulation) -> None:
    """No connected server thinks it leads (6.5840's checkNoLeader: "connected" means
    not disconnected by the test, even if every server it could talk to is)."""
    checked = [i for i in sim.node_ids if i not in disconnected(sim) | sim.crashed]
    assert checked, "no connected server to check"
    for node_id in checked:
        assert sim.nodes[node_id].role != LEADER, f"{node_id} leads without a quorum"


def crash1(sim: Simulation, node: str) -> None:
    """6.5840's crash1: the server stops and is cut off; only its disk survives."""
    if node not in sim.crashed:
        sim.crash(node)
    disconnect(sim, node)


def start1(sim: Simulation, node: str) -> None:
    """6.5840's start1: a fresh server on the old disk (crashing it first if up);
    still disconnected until ``connect``."""
    if node not in sim.crashed:
        sim.crash(node)
    sim.restart(node)


def entries_delivered(sim: Simulation) -> Counter[tuple[str, int]]:
    """(follower, index) -> how many AppendEntries delivered that entry to it."""
    counts: Counter[tuple[str, int]] = Counter()
    for record in sim.trace:
        if record.kind == "deliver" and isinstance(record.message, AppendEntries):
            msg = record.message
            for offset in range(len(msg.entries)):
                counts[(record.node, msg.prev_log_index + 1 + offset)] += 1
    return counts


def rejections(sim: Simulation) -> int:
    """AppendEntries that failed the consistency check (one per wasted round trip)."""
    return sum(1 for r in sim.trace if r.kind == "send"
               and isinstance(r.message, AppendEntriesReply) and not r.message.success
               and r.message.rejected_index)


# ================================================================= 3A: election
def test_initial_election() -> None:
    """TestInitialElection3A: one leader, everyone agrees on the term, and without
    failures the leader keeps its term (no needless elections)."""
    sim = raft_cluster(3, seed=1)
    leader = check_one_leader(sim)
    term = terms_agree(sim)
    assert term >= 1
    sleep(sim, 2 * ELECTION)
    assert terms_agree(sim) == term, "the term changed although nothing failed"
    assert check_one_leader(sim) is leader
    sleep(sim, 3 * ELECTION)  # "stable for a few seconds"
    assert terms_agree(sim) == term


def test_reelection() -> None:
    """TestReElection3A: a cut-off leader is replaced; its return does not disturb the
    new one; without a quorum nobody is elected; with it back, someone is."""
    sim = raft_cluster(3, seed=2)
    leader1 = check_one_leader(sim).node_id
    disconnect(sim, leader1)
    leader2 = check_one_leader(sim).node_id
    assert leader2 != leader1
    connect(sim, leader1)  # the old leader rejoins as a follower
    assert check_one_leader(sim).node_id == leader2
    assert sim.nodes[leader1].role != LEADER
    disconnect(sim, leader2, peer_of(sim, leader2, 1))  # no quorum left
    sleep(sim, 2 * ELECTION)
    check_no_leader(sim)
    connect(sim, peer_of(sim, leader2, 1))  # a quorum again
    assert check_one_leader(sim).node_id != leader2
    connect(sim, leader2)
    check_one_leader(sim)
    terms_agree(sim)


def test_many_elections() -> None:
    """TestManyElections3A: 7 servers; ten times cut 3 at random — the other 4 (a
    majority) always have exactly one leader — then heal."""
    sim = raft_cluster(7, seed=3)
    rng = sim.rng("test")
    check_one_leader(sim)
    for _ in range(10):
        cut = rng.sample(sim.node_ids, 3)
        disconnect(sim, *cut)
        leader = check_one_leader(sim)
        assert leader.node_id not in cut
        connect(sim, *cut)
    check_one_leader(sim)


# ================================================================= 3B: agreement
def test_basic_agree() -> None:
    """TestBasicAgree3B: commands 100, 200, 300 land at indexes 1, 2, 3."""
    sim = raft_cluster(3, seed=4)
    for index in (1, 2, 3):
        assert n_committed(sim, index)[0] == 0, "committed before Start()"
        assert one(sim, index * 100, 3, retry=False) == index
    assert [e.command for e in sim.nodes["n1"].log.entries] == [100, 200, 300]


def test_each_entry_reaches_each_follower_once() -> None:
    """TestRPCBytes3B: replication does not resend entries — on a reliable network
    each entry is delivered to each follower exactly once."""
    sim = raft_cluster(3, seed=5)
    one(sim, 99, 3)
    for i in range(2, 12):
        assert one(sim, f"payload-{i}" * 100, 3) == i
    delivered = entries_delivered(sim)
    followers = [i for i in sim.node_ids if i != check_one_leader(sim).node_id]
    assert sorted(delivered) == sorted((f, i) for f in followers for i in range(1, 12))
    assert set(delivered.values()) == {1}


def test_follower_failure() -> None:
    """TestFollowerFailure3B: one follower down — agreement goes on; both followers
    down — the leader's entry never commits."""
    sim = raft_cluster(3, seed=6)
    one(sim, 101, 3)
    leader1 = check_one_leader(sim).node_id
    disconnect(sim, peer_of(sim, leader1, 1))
    one(sim, 102, 2)
    sleep(sim, ELECTION)
    one(sim, 103, 2)
    leader2 = check_one_leader(sim).node_id
    disconnect(sim, peer_of(sim, leader2, 1), peer_of(sim, leader2, 2))
    index, _, ok = submit(sim, 104, leader2)
    assert ok and index == 4
    sleep(sim, 2 * ELECTION)
    assert n_committed(sim, index)[0] == 0


def test_leader_failure() -> None:
    """TestLeaderFailure3B: the leader goes — a new one takes over; that one goes too —
    with only one server connected nothing commits, wherever it is submitted."""
    sim = raft_cluster(3, seed=7)
    one(sim, 101, 3)
    leader1 = check_one_leader(sim).node_id
    disconnect(sim, leader1)
    one(sim, 102, 2)
    sleep(sim, ELECTION)
    one(sim, 103, 2)
    leader2 = check_one_leader(sim).node_id
    disconnect(sim, leader2)
    for node_id in sim.node_ids:
        submit(sim, 104, node_id)
    sleep(sim, 2 * ELECTION)
    assert n_committed(sim, 4)[0] == 0


def test_fail_no_agree() -> None:
    """TestFailNoAgree3B: 3 of 5 followers cut — the new entry (index 2) does not
    commit; after healing, agreement continues at index 2 or 3."""
    sim = raft_cluster(5, seed=8)
    one(sim, 10, 5)
    leader = check_one_leader(sim).node_id
    cut = [peer_of(sim, leader, k) for k in (1, 2, 3)]
    disconnect(sim, *cut)
    index, _, ok = submit(sim, 20, leader)
    assert ok and index == 2
    sleep(sim, 2 * ELECTION)
    assert n_committed(sim, index)[0] == 0
    connect(sim, *cut)
    leader2 = check_one_leader(sim).node_id
    index2, _, ok2 = submit(sim, 30, leader2)
    assert ok2 and index2 in (2, 3)
    last = one(sim, 1000, 5)
    assert final_log(sim, last)[1] == 10


def test_concurrent_starts() -> None:
    """TestConcurrentStarts3B: many Start()s in one leader term all commit, at
    consecutive indexes, and the term does not change meanwhile."""
    sim = raft_cluster(3, seed=9)
    leader = check_one_leader(sim)
    first, term, ok = submit(sim, 1, leader.node_id)
    assert ok
    starts = [submit(sim, 100 + i, leader.node_id) for i in range(5)]
    assert [s[0] for s in starts] == list(range(first + 1, first + 6))
    assert {s[1] for s in starts} == {term}
    got = {wait_applied(sim, first + 1 + i, 3) for i in range(5)}
    assert got == {100, 101, 102, 103, 104}
    assert terms_agree(sim) == term


def test_rejoin_of_a_partitioned_leader() -> None:
    """TestRejoin3B: a cut-off leader takes entries it cannot commit; a new leader
    commits others; when the old leader returns its stale entries are overwritten."""
    sim = raft_cluster(3, seed=10)
    one(sim, 101, 3)
    leader1 = check_one_leader(sim).node_id
    disconnect(sim, leader1)
    for value in (102, 103, 104):
        submit(sim, value, leader1)
    one(sim, 103, 2)
    leader2 = check_one_leader(sim).node_id
    disconnect(sim, leader2)
    connect(sim, leader1)
    one(sim, 104, 2)
    connect(sim, leader2)
    last = one(sim, 105, 3)
    final = final_log(sim, last)
    assert list(final.values()) == [101, 103, 104, 105]
    for node in sim.nodes.values():
        assert 102 not in [e.command for e in node.log.entries]


def _backup_run(fast_backup: bool) -> tuple[int, int]:
    """TestBackup3B; returns the rejected AppendEntries of its two recovery phases."""
    sim = raft_cluster(5, seed=11, config=RaftConfig(fast_backup=fast_backup))
    one(sim, "first", 5)
    leader1 = check_one_leader(sim).node_id
    # leader1 and one follower in a minority take 50 entries that cannot commit
    disconnect(sim, *(peer_of(sim, leader1, k) for k in (2, 3, 4)))
    for i in range(50):
        submit(sim, f"lost-a{i}", leader1)
    sleep(sim, ELECTION // 2)
    # the other three commit 50 entries of their own
    set_disconnected(sim, [leader1, peer_of(sim, leader1, 1)])
    for i in range(50):
        one(sim, f"ok-b{i}", 3)
    leader2 = check_one_leader(sim).node_id
    other = peer_of(sim, leader1, 2)
    if other == leader2:
        other = peer_of(sim, leader2, 1)
    # leader2 and one more take 50 more that cannot commit
    disconnect(sim, other)
    for i in range(50):
        submit(sim, f"lost-c{i}", leader2)
    sleep(sim, ELECTION // 2)
    # the first minority comes back with `other`: 50 conflicting entries each to undo
    set_disconnected(sim, sim.node_ids)
    connect(sim, leader1, peer_of(sim, leader1, 1), other)
    before = rejections(sim)
    for i in range(50):
        one(sim, f"ok-d{i}", 3)
    first_phase = rejections(sim) - before
    # everyone: leader2's group has 50 conflicting entries of a later term to undo
    connect(sim, *sim.node_ids)
    before = rejections(sim)
    last = one(sim, "last", 5)
    second_phase = rejections(sim) - before
    final = final_log(sim, last)
    expected = {"first", "last", *(f"ok-{p}{i}" for p in "bd" for i in range(50))}
    assert set(final.values()) == expected  # no "lost" one; a retried one() may repeat
    return first_phase, second_phase


def test_backup_recovers_in_few_round_trips_with_fast_backup() -> None:
    """TestBackup3B: followers with 50 conflicting entries catch up in a few round
    trips with the §5.3 hint (at most 4 rejected AppendEntries per lagging follower
    and phase, 2 lagging followers per phase); backing up one entry per round trip
    (``fast_backup=False``) costs about one rejection per conflicting entry."""
    fast = _backup_run(fast_backup=True)
    slow = _backup_run(fast_backup=False)
    assert all(1 <= phase <= 8 for phase in fast), fast
    assert all(phase >= 2 * 50 for phase in slow), slow
    assert sum(slow) >= 10 * sum(fast)


def test_message_counts() -> None:
    """TestCount3B: an election of 3 costs at most 30 messages; agreeing on 12
    commands costs at most 6.5840's bound ((iters+1+3)*3 RPCs, twice that in
    messages) and one batched round of entries; an idle second is 20 heartbeat
    rounds (50 ms apart) and their replies."""
    sim = raft_cluster(3, seed=12)
    leader = check_one_leader(sim)
    assert 1 <= sim.stats["sent"] <= 30
    term = leader.current_term
    before_sent, before_ae = sim.stats["sent"], _ae_with_entries(sim)
    first, _, _ = submit(sim, 1, leader.node_id)
    for i in range(11):
        submit(sim, 100 + i, leader.node_id)
    for index in range(first, first + 12):
        wait_applied(sim, index, 3)
    assert leader.current_term == term and leader.role == LEADER
    assert sim.stats["sent"] - before_sent <= (10 + 1 + 3) * 3 * 2
    assert _ae_with_entries(sim) - before_ae <= 2 * 2  # one round, at most one retry
    before = sim.sent_by_type["AppendEntries"], sim.stats["sent"]
    sleep(sim, 1_000)
    heartbeats = sim.sent_by_type["AppendEntries"] - before[0]
    assert 2 * 20 - 2 <= heartbeats <= 2 * 20 + 2
    assert sim.stats["sent"] - before[1] <= 3 * 20 * 2
    assert terms_agree(sim) == term


def _ae_with_entries(sim: Simulation) -> int:
    return sum(1 for r in sim.trace if r.kind == "send"
               and isinstance(r.message, AppendEntries) and r.message.entries)


# ================================================================= 3C: persistence
def test_persist1() -> None:
    """TestPersist13C: crash and restart everyone, the leader, a follower — committed
    entries survive and agreement resumes at the right index."""
    sim = raft_cluster(3, seed=13)
    assert one(sim, 11, 3) == 1
    for node_id in sim.node_ids:
        start1(sim, node_id)
    for node_id in sim.node_ids:
        connect(sim, node_id)
    assert one(sim, 12, 3) == 2
    leader1 = check_one_leader(sim).node_id
    start1(sim, leader1)
    connect(sim, leader1)
    assert one(sim, 13, 3) == 3
    leader2 = check_one_leader(sim).node_id
    crash1(sim, leader2)
    assert one(sim, 14, 2) == 4
    start1(sim, leader2)
    connect(sim, leader2)
    assert wait_applied(sim, 4, 3) == 14
    i3 = peer_of(sim, check_one_leader(sim).node_id, 1)
    crash1(sim, i3)
    assert one(sim, 15, 2) == 5
    start1(sim, i3)
    connect(sim, i3)
    assert one(sim, 16, 3) == 6


def test_persist2() -> None:
    """TestPersist23C: five servers, five rounds of partitions and restarts in which
    the majority changes each time; every round's entry commits."""
    sim = raft_cluster(5, seed=14)
    index = 1
    for _ in range(5):
        assert one(sim, 10 + index, 5) == index
        index += 1
        leader1 = check_one_leader(sim).node_id
        disconnect(sim, peer_of(sim, leader1, 1), peer_of(sim, leader1, 2))
        assert one(sim, 10 + index, 3) == index
        index += 1
        disconnect(sim, leader1, peer_of(sim, leader1, 3), peer_of(sim, leader1, 4))
        for k in (1, 2):
            start1(sim, peer_of(sim, leader1, k))
            connect(sim, peer_of(sim, leader1, k))
        sleep(sim, ELECTION)
        start1(sim, peer_of(sim, leader1, 3))
        connect(sim, peer_of(sim, leader1, 3))
        assert one(sim, 10 + index, 3) == index
        index += 1
        connect(sim, leader1, peer_of(sim, leader1, 4))
    assert one(sim, 1000, 5) == index


def test_persist3() -> None:
    """TestPersist33C: a partitioned leader and one follower crash and restart; the
    leader's committed entries survive and the others catch up."""
    sim = raft_cluster(3, seed=15)
    assert one(sim, 101, 3) == 1
    leader = check_one_leader(sim).node_id
    disconnect(sim, peer_of(sim, leader, 2))
    assert one(sim, 102, 2) == 2
    crash1(sim, leader)
    crash1(sim, peer_of(sim, leader, 1))
    connect(sim, peer_of(sim, leader, 2))
    start1(sim, leader)
    connect(sim, leader)
    assert one(sim, 103, 2) == 3
    start1(sim, peer_of(sim, leader, 1))
    connect(sim, peer_of(sim, leader, 1))
    assert one(sim, 104, 3) == 4
    assert list(final_log(sim, 4).values()) == [101, 102, 103, 104]


def figure8(iterations: int, seed: int, config: RaftConfig | None = None) -> Simulation:
    """TestFigure83C: submit on the leader, wait a random while, crash the leader,
    keep three up by restarting crashed servers; at the end restart all and agree."""
    sim = raft_cluster(5, seed=seed, config=config)
    rng = sim.rng("test")
    one(sim, rng.randrange(10_000), 1)
    up = 5
    for _ in range(iterations):
        leader = None
        for node_id in sim.node_ids:
            if sim.nodes[node_id] is not None:
                _, _, ok = submit(sim, rng.randrange(10_000), node_id)
                if ok:
                    leader = node_id
        if rng.randrange(1000) < 100:
            sleep(sim, rng.randrange(ELECTION // 2))
        else:
            sleep(sim, rng.randrange(13))
        if leader is not None:
            crash1(sim, leader)
            up -= 1
        if up < 3:
            node_id = rng.choice(sim.node_ids)
            if sim.nodes[node_id] is None:
                start1(sim, node_id)
                connect(sim, node_id)
                up += 1
    for node_id in sim.node_ids:
        if sim.nodes[node_id] is None:
            start1(sim, node_id)
        connect(sim, node_id)
    one(sim, rng.randrange(10_000), 5)
    return sim


def test_figure8() -> None:
    """TestFigure83C, 100 iterations (the 1000-iteration run is test_figure8_long)."""
    sim = figure8(100, seed=16)
    assert len(sim.crashed) == 0 and sim.trace.filter(kind="nemesis")


def test_figure8_catches_commit_by_counting_old_terms() -> None:
    """Teeth: with the Figure 8 bug (``commit_current_term_only=False``) the same
    workload makes a later leader miss a committed entry within a few seeds."""
    config = RaftConfig(commit_current_term_only=False)
    for seed in range(60):
        try:
            figure8(300, seed=seed, config=config)
        except InvariantViolation as violation:
            assert violation.name == "leader completeness" and violation.seed == seed
            return
    pytest.fail("the Figure 8 bug went unnoticed for 60 seeds")


@pytest.mark.parametrize("seed", [0, *(pytest.param(s, marks=pytest.mark.slow) for s in (1, 2))])
def test_figure8_long(seed: int) -> None:
    """TestFigure83C with its full 1000 iterations."""
    figure8(1_000, seed=100 + seed)


def figure8_unreliable(iterations: int, seed: int) -> Simulation:
    """TestFigure8Unreliable3C: as Figure 8 on a lossy, reordering network (long
    reordering from a fifth of the way on), cutting leaders off instead of crashing."""
    sim = raft_cluster(5, seed=seed, network=UNRELIABLE)
    rng = sim.rng("test")
    one(sim, rng.randrange(10_000), 1)
    up = 5
    for iteration in range(iterations):
        if iteration == iterations // 5:
            sim.set_network(LONG_REORDERING.with_blocked(sim.network.blocked))
        leader = None
        for node_id in sim.node_ids:
            _, _, ok = submit(sim, rng.randrange(10_000), node_id)
            if ok and node_id in connected(sim):
                leader = node_id
        if rng.randrange(1000) < 100:
            sleep(sim, rng.randrange(ELECTION // 2))
        else:
            sleep(sim, rng.randrange(13))
        if leader is not None and rng.randrange(1000) < ELECTION // 2:
            disconnect(sim, leader)
            up -= 1
        if up < 3:
            node_id = rng.choice(sim.node_ids)
            if sim.network.is_blocked(node_id, peer_of(sim, node_id, 1)):
                connect(sim, node_id)
                up += 1
    connect(sim, *sim.node_ids)
    one(sim, rng.randrange(10_000), 5, within=30_000)
    return sim


def test_figure8_unreliable() -> None:
    """TestFigure8Unreliable3C, 100 iterations (1000: test_figure8_unreliable_long)."""
    sim = figure8_unreliable(100, seed=17)
    assert sim.stats["dropped"] > 0 and sim.stats["duplicated"] > 0


@pytest.mark.parametrize("seed", [0, *(pytest.param(s, marks=pytest.mark.slow) for s in (1, 2))])
def test_figure8_unreliable_long(seed: int) -> None:
    """TestFigure8Unreliable3C with its full 1000 iterations."""
    figure8_unreliable(1_000, seed=200 + seed)


def test_unreliable_agree() -> None:
    """TestUnreliableAgree3C: on a lossy, duplicating, reordering network, four
    concurrent clients each get 15 values committed (each retries a value until it
    sees it committed, like 6.5840's one(..., retry=true)), and every value is at the
    index its client saw in the final log."""
    sim = raft_cluster(5, seed=18, network=UNRELIABLE)
    clients = Clients(sim, count=4, retry=True, limit=15)
    clients.run(60_000, until_done=True)
    assert clients.done, f"only {len(clients.seen)} of 60 values committed by t={sim.now}"
    sim.set_network(Network(latency=(2, 10)))
    final = final_log(sim, one(sim, "end", 5))
    assert {value for _, value in clients.seen} == {
        f"{c}-v{i}" for c in clients.names for i in range(1, 16)}
    for index, value in clients.seen:
        assert final[index] == value
    assert sim.stats["dropped"] > 0 and sim.stats["duplicated"] > 0


def churn(seed: int, unreliable: bool, iterations: int = 20) -> tuple[Simulation, Clients]:
    """internalChurn (TestReliableChurn3C / TestUnreliableChurn3C): three clients
    submit all along while servers are randomly cut off, reconnected, crashed and
    restarted; at the end every value a client saw committed must be at its index
    in the final, agreed log."""
    sim = raft_cluster(5, seed=seed, network=UNRELIABLE if unreliable else None)
    rng = sim.rng("test")
    clients = Clients(sim, count=3)
    for _ in range(iterations):
        if rng.randrange(1000) < 200:
            disconnect(sim, rng.choice(sim.node_ids))
        if rng.randrange(1000) < 500:
            node_id = rng.choice(sim.node_ids)
            if sim.nodes[node_id] is None:
                start1(sim, node_id)
            connect(sim, node_id)
        if rng.randrange(1000) < 200:
            node_id = rng.choice(sim.node_ids)
            if sim.nodes[node_id] is not None:
                crash1(sim, node_id)
        clients.run(200)  # "smaller than the election timeout, but not hugely smaller"
    clients.run(ELECTION)
    sim.set_network(Network(latency=(2, 10)))
    for node_id in sim.node_ids:
        if sim.nodes[node_id] is None:
            start1(sim, node_id)
    connect(sim, *sim.node_ids)
    clients.run(ELECTION)
    last = one(sim, "final", 5, within=20_000)
    final = final_log(sim, last)
    for index, value in clients.seen:
        assert final[index] == value, f"{value} was seen committed at {index}, lost later"
    return sim, clients


@pytest.mark.parametrize("unreliable", [False, True], ids=["reliable", "unreliable"])
def test_churn(unreliable: bool) -> None:
    """TestReliableChurn3C and TestUnreliableChurn3C."""
    sim, clients = churn(seed=19 + unreliable, unreliable=unreliable)
    assert len(clients.seen) >= 20, "the clients hardly got anything committed"
    assert sim.trace.filter(kind="nemesis")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("unreliable", [False, True], ids=["reliable", "unreliable"])
def test_churn_many_seeds(seed: int, unreliable: bool) -> None:
    churn(seed=300 + seed, unreliable=unreliable, iterations=40)


# ================================================================= 3D: snapshots
SNAP = 10  # 6.5840's SnapShotInterval
MAX_LOG = 4 * SNAP  # entries a node may hold after its snapshot


def snap_common(disconnect_victim: bool, reliable: bool, crash: bool, seed: int,
                iterations: int = 12) -> Simulation:
    """snapcommon: a victim is cut off or crashed while the sender takes enough
    commands for a snapshot; when it returns it must catch up (by InstallSnapshot
    when its missing entries are compacted), and logs stay small throughout."""
    sim = raft_cluster(3, seed=seed, config=RaftConfig(snapshot_threshold=SNAP),
                       network=None if reliable else UNRELIABLE)
    rng = sim.rng("test")
    one(sim, rng.randrange(10**6), 3)
    leader1 = check_one_leader(sim).node_id
    for i in range(iterations):
        victim, sender = peer_of(sim, leader1, 1), leader1
        if i % 3 == 1:
            sender, victim = victim, sender
        if disconnect_victim:
            disconnect(sim, victim)
            one(sim, rng.randrange(10**6), 2)
        if crash:
            crash1(sim, victim)
            one(sim, rng.randrange(10**6), 2)
        for _ in range(SNAP // 2 + rng.randrange(SNAP)):
            submit(sim, rng.randrange(10**6), sender)
        quorum = 3 if not (disconnect_victim or crash) else 2
        one(sim, rng.randrange(10**6), quorum)
        assert max(len(n.log.entries) for n in sim.nodes.values() if n) <= MAX_LOG
        if disconnect_victim:
            connect(sim, victim)
        if crash:
            start1(sim, victim)
            connect(sim, victim)
        one(sim, rng.randrange(10**6), 3)
        leader1 = check_one_leader(sim).node_id
    for node in sim.nodes.values():
        assert node.log.snapshot_index > 0, f"{node.node_id} never took a snapshot"
    return sim


def test_snapshot_basic() -> None:
    """TestSnapshotBasic3D: logs are compacted and everybody still agrees."""
    sim = snap_common(False, True, False, seed=21)
    assert sim.sent_by_type.get("InstallSnapshot", 0) == 0  # nobody fell behind


@pytest.mark.parametrize(("reliable", "crash"), [(True, False), (False, False),
                                                 (True, True), (False, True)],
                         ids=["install", "install-unreliable", "install-crash",
                              "install-uncrash"])
def test_snapshot_install(reliable: bool, crash: bool) -> None:
    """TestSnapshotInstall3D and friends: a lagging (cut off or crashed) follower
    catches up through InstallSnapshot."""
    sim = snap_common(not crash, reliable, crash, seed=22 + 2 * crash + reliable)
    assert sim.sent_by_type.get("InstallSnapshot", 0) > 0


def test_snapshot_all_crash() -> None:
    """TestSnapshotAllCrash3D / TestSnapshotInit3D: crash and restart every server
    after snapshots; each comes back from its snapshot plus log and the replicated
    store equals the one the commands compute."""
    sim = raft_cluster(3, seed=23, config=RaftConfig(snapshot_threshold=SNAP))
    rng = sim.rng("test")
    expected = KVStore()
    seq = 0

    def put(value: int) -> int:
        nonlocal seq
        seq += 1
        command = Command(client="c1", seq=seq, op="append", key=f"k{value % 3}",
                          value=value)
        expected.apply(command)
        return one(sim, command, 3)

    put(0)
    for round_ in range(5):
        for _ in range(SNAP // 2 + rng.randrange(SNAP)):
            put(rng.randrange(100))
        index1 = put(round_)
        for node_id in sim.node_ids:
            crash1(sim, node_id)
        for node_id in sim.node_ids:
            start1(sim, node_id)
            connect(sim, node_id)
            assert sim.nodes[node_id].last_applied == sim.nodes[node_id].log.snapshot_index
        index2 = put(100 + round_)
        assert index2 == index1 + 1
        for node in sim.nodes.values():
            assert node.store.data == expected.data
    assert all(n.log.snapshot_index >= SNAP for n in sim.nodes.values())
