"""The embedded backend under faults: determinism, CP behaviour, leases, failover.

All times here are simulated (ticks of 1 ms), so the assertions on
durations are exact properties of the run, not wall-clock measurements.
"""

from __future__ import annotations

import pytest

from consensus_lab.etcd import (
    EmbeddedCluster,
    InvalidRequest,
    OutcomeUnknown,
    Unavailable,
)
from consensus_lab.raft.node import RaftConfig
from consensus_lab.sim import ConfigError


def scripted_run(seed: int) -> tuple[str, list[object]]:
    """A short script with a leader pause; its trace digest and outcomes."""
    cluster = EmbeddedCluster(3, seed=seed, trace=True)
    client = cluster.client()
    outcomes: list[object] = [client.put("k", "1"), client.lease_grant(3)]
    cluster.pause(cluster.wait_for_leader())
    for call in (lambda: client.put("k", "2"), lambda: client.get("k"),
                 lambda: client.get("k")):
        try:
            outcomes.append(call())
        except (OutcomeUnknown, Unavailable) as error:
            outcomes.append(str(error))
    return cluster.sim.trace.digest(), outcomes


def test_same_seed_same_run() -> None:
    """Same seed and same calls → the same trace, event for event."""
    assert scripted_run(3) == scripted_run(3)
    assert scripted_run(3)[0] != scripted_run(4)[0]


def test_paused_leader_gives_unknown_not_failure() -> None:
    """A write stuck at a frozen leader times out as 'unknown'; a new leader takes over."""
    cluster = EmbeddedCluster(3, seed=2)
    old = cluster.wait_for_leader()
    client = cluster.client(member=old, timeout=1.0)
    client.put("k", "before")
    cluster.pause(old)
    with pytest.raises(OutcomeUnknown, match="put"):
        client.put("k", "during")
    paused_at = cluster.now
    new = cluster.wait_for_leader(timeout=5.0)
    assert new != old
    others = cluster.client(member=new)
    assert others.get_value("k") == "before"
    others.put("k", "after")
    cluster.resume(old)
    cluster.advance(1.0)
    assert client.get_value("k") == "after"  # the old leader stepped down and caught up
    assert cluster.now - paused_at < 5


def test_failover_time_is_within_an_election_timeout_range() -> None:
    """After the leader is killed, a new one leads within ~2 election timeouts (sim time)."""
    times = []
    for seed in range(10):
        cluster = EmbeddedCluster(3, seed=seed, invariants=False)
        cluster.kill(cluster.wait_for_leader())
        killed_at = cluster.sim.now
        cluster.wait_for_leader()
        times.append(cluster.sim.now - killed_at)
    # Followers notice after 150-300 ms without heartbeats; one round of votes then wins
    # (a split vote costs another timeout).
    assert all(100 <= t <= 1_000 for t in times), times


def test_minority_member_refuses_writes_but_serves_stale_reads() -> None:
    """CP: a member cut off from the majority cannot write, and its serializable reads
    can be stale, while linearizable reads on the majority side are not."""
    cluster = EmbeddedCluster(3, seed=5)
    leader = cluster.wait_for_leader()
    follower = next(m for m in cluster.members if m != leader)
    majority = [m for m in cluster.members if m != follower]
    cluster.client().put("k", "old")
    cluster.advance(0.5)  # the follower applies it
    cluster.partition([follower], majority)
    cluster.client(member=majority[0]).put("k", "new")
    isolated = cluster.client(member=follower, timeout=1.0)
    assert isolated.get_value("k", serializable=True) == "old"  # stale
    with pytest.raises((OutcomeUnknown, Unavailable)):
        isolated.get_value("k")  # linearizable: needs the majority
    with pytest.raises((OutcomeUnknown, Unavailable)):
        isolated.put("k", "minority")
    assert cluster.client(member=majority[1]).get_value("k") == "new"
    cluster.heal()
    cluster.advance(2.0)
    assert isolated.get_value("k", serializable=True) == "new"


def test_no_leader_is_a_definite_failure() -> None:
    """A lone survivor that knows it has no leader says so: Unavailable, not unknown."""
    cluster = EmbeddedCluster(3, seed=1)
    leader = cluster.wait_for_leader()
    survivor = next(m for m in cluster.members if m != leader)
    for member in cluster.members:
        if member != survivor:
            cluster.kill(member)
    cluster.advance(1.0)  # the survivor's election timer fires: it knows no leader
    with pytest.raises(Unavailable, match="no leader"):
        cluster.client(member=survivor, timeout=0.5).put("k", "v")


def test_lease_expires_in_simulated_time() -> None:
    """A 5 s lease's key lives about 5 s of simulated time after its last keep-alive."""
    cluster = EmbeddedCluster(3, seed=4)
    client = cluster.client()
    lease = client.lease_grant(5)
    client.put("k", "v", lease=lease.id)
    client.sleep(3)
    client.lease_keep_alive(lease.id)
    renewed_at = cluster.now
    client.sleep(4.8)
    assert client.get_value("k") == "v"
    while client.get_value("k") is not None:
        client.sleep(0.01)
    assert 5.0 <= cluster.now - renewed_at <= 5.3


def test_lease_outlives_a_leader_change() -> None:
    """A new leader gives leases a full TTL from its election: never an early expiry."""
    cluster = EmbeddedCluster(3, seed=6)
    old = cluster.wait_for_leader()
    client = cluster.client(member=next(m for m in cluster.members if m != old))
    lease = client.lease_grant(2)
    client.put("k", "v", lease=lease.id)
    granted_at = cluster.now
    cluster.kill(old)
    cluster.wait_for_leader()
    elected_at = cluster.now
    client.sleep(max(0.0, granted_at + 2 - cluster.now) + 0.1)
    assert client.get_value("k") == "v"  # the old deadline passed; the lease was renewed
    while client.get_value("k") is not None:
        client.sleep(0.05)
    assert cluster.now >= elected_at + 2


def test_acknowledged_writes_survive_kill_and_restart() -> None:
    """kill -9 of every member after acknowledged writes loses none of them (Raft persists)."""
    cluster = EmbeddedCluster(3, seed=8)
    client = cluster.client()
    revisions = [client.put(f"k{i}", str(i)).revision for i in range(5)]
    for member in cluster.members:
        cluster.kill(member)
    for member in cluster.members:
        cluster.restart(member)
    cluster.wait_for_leader()
    found = client.get_prefix("k")
    assert [kv.value for kv in found.kvs] == ["0", "1", "2", "3", "4"]
    assert [kv.mod_revision for kv in found.kvs] == revisions


def test_bad_cluster_arguments() -> None:
    """Bad sizes, members and durations are refused with the allowed values."""
    with pytest.raises(ConfigError, match="1 to 9"):
        EmbeddedCluster(0)
    cluster = EmbeddedCluster(3)
    with pytest.raises(ConfigError, match="n9"):
        cluster.client(member="n9")
    with pytest.raises(InvalidRequest, match="-1"):
        cluster.client().sleep(-1)
    with pytest.raises(InvalidRequest, match="timeout"):
        cluster.client(timeout=0)


def test_lagging_member_catches_up_from_a_snapshot() -> None:
    """With log compaction, a restarted member gets the MVCC store by InstallSnapshot (§7)."""
    cluster = EmbeddedCluster(3, seed=3, config=RaftConfig(snapshot_threshold=5))
    leader = cluster.wait_for_leader()
    lagging = next(m for m in cluster.members if m != leader)
    client = cluster.client(member=leader)
    cluster.kill(lagging)
    for i in range(20):
        client.put(f"k{i}", str(i))
    cluster.restart(lagging)
    cluster.advance(1.0)
    node = cluster.node(lagging)
    assert node is not None and node.log.snapshot_index > 0
    assert node.store.range("k", prefix=True).count == 20
    assert node.store.revision == cluster.node(leader).store.revision == 21


def test_a_client_name_in_use_is_refused_and_fresh_names_skip_it() -> None:
    cluster = EmbeddedCluster(3, seed=1)
    named = cluster.client("c1")
    with pytest.raises(InvalidRequest, match="client name 'c1' is already in use"):
        cluster.client("c1")
    other = cluster.client()  # the automatic name skips the taken c1
    assert other.name == "c2"
    named.put("k", "from c1")
    assert other.get("k").kvs[0].value == "from c1"
