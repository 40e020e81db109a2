"""The store's leader and replica, one handler at a time, on a recording fake context.

References: Spanner (OSDI 2012) §4.1.2 (locks, Start, Commit Wait), §4.1.3
(serving reads at a timestamp: t_safe), §4.2.1 (commit wait overlapped with
Paxos communication).
"""

from __future__ import annotations

from consensus_lab.sim import ClientRequest
from consensus_lab.spanner import Commit, Replicate, Replicated, SpannerConfig, SpannerNode
from consensus_lab.spanner.cluster import keys_by_shard
from tests.fake_context import FakeContext

EPS = 10
CONFIG = SpannerConfig(epsilon=EPS)
A, B = keys_by_shard(CONFIG)[0]  # two keys on shard 0 (led by n1)
OTHER = keys_by_shard(CONFIG)[1][0]  # a key on shard 1


def leader(config: SpannerConfig = CONFIG, now: int = 100) -> tuple[SpannerNode, FakeContext]:
    ctx = FakeContext("n1", ("n2", "n3", "n4", "n5", "n6"))
    ctx.now = now
    return SpannerNode("n1", ctx.peers, config), ctx


def txn(id_: int, *writes: tuple[str, object]) -> ClientRequest:
    return ClientRequest(id=id_, client="c1", f="txn", value=tuple(writes))


def kinds(ctx: FakeContext) -> list[str]:
    return [effect[0] for effect in ctx.effects]


def test_leader_replicates_to_its_own_shard_before_anything_else() -> None:
    """The writes go to the shard's replicas (its Paxos group), not to other shards."""
    node, ctx = leader()
    node.on_request(ctx, txn(1, (A, "v")))
    assert ctx.effects == [("send", "n2", Replicate(txn=1, writes=((A, "v"),))),
                           ("send", "n3", Replicate(txn=1, writes=((A, "v"),)))]


def test_majority_then_s_is_latest_and_the_reply_waits() -> None:
    """§4.1.2 Start: s = TT.now().latest; Commit Wait: no reply until TT.after(s)."""
    node, ctx = leader(now=100)
    node.on_request(ctx, txn(1, (A, "v")))
    ctx.effects.clear()
    node.on_message(ctx, "n2", Replicated(txn=1))  # n1 + n2: a majority of 3
    assert node.active[1].ts == 100 + EPS
    assert ("timer", "wait T1", 2 * EPS + 1) in ctx.effects
    assert "reply" not in kinds(ctx)


def test_reply_once_earliest_passes_s_and_not_a_tick_before() -> None:
    """§4.1.2: the reply, the Commit to the replicas and the new version only at TT.after(s)."""
    node, ctx = leader(now=100)
    node.on_request(ctx, txn(1, (A, "v")))
    node.on_message(ctx, "n2", Replicated(txn=1))
    ctx.effects.clear()
    ctx.now = 100 + 2 * EPS  # earliest = s exactly: not yet *after* s
    node.on_timer(ctx, "wait T1")
    assert kinds(ctx) == ["timer"]
    ctx.effects.clear()
    ctx.now = 100 + 2 * EPS + 1
    node.on_timer(ctx, "wait T1")
    s = 100 + EPS
    assert ("send", "n2", Commit(txn=1, ts=s)) in ctx.effects
    assert ctx.effects[-1] == ("reply", txn(1, (A, "v")), s, True)
    assert node.read_at(A, s) == ("v", s) and node.read_at(A, s - 1) == (None, 0)
    assert not node.locked


def test_without_commit_wait_the_reply_is_immediate() -> None:
    """The broken variant: answer as soon as the writes are durable."""
    node, ctx = leader(SpannerConfig(epsilon=EPS, commit_wait=False))
    node.on_request(ctx, txn(1, (A, "v")))
    node.on_message(ctx, "n3", Replicated(txn=1))
    assert ctx.effects[-1] == ("reply", txn(1, (A, "v")), 100 + EPS, True)


def test_overlap_picks_s_first_and_sends_it_with_the_writes() -> None:
    """§4.2.1: the wait "is typically overlapped with Paxos communication"."""
    node, ctx = leader(SpannerConfig(epsilon=EPS, overlap=True))
    node.on_request(ctx, txn(1, (A, "v")))
    assert ctx.effects[1] == ("send", "n2", Replicate(txn=1, writes=((A, "v"),), ts=110))
    ctx.effects.clear()
    ctx.now = 100 + 2 * EPS + 1  # the wait is already over when the majority answers
    node.on_message(ctx, "n2", Replicated(txn=1))
    assert ctx.effects[-1][0] == "reply"


def test_conflicting_transaction_waits_for_the_lock() -> None:
    """§4.1.2: s is assigned "after all locks have been acquired"; a writer of the same
    key waits in line, a writer of another key does not."""
    node, ctx = leader()
    node.on_request(ctx, txn(1, (A, 1)))
    node.on_request(ctx, txn(2, (A, 2)))
    node.on_request(ctx, txn(3, (B, 3)))
    sent = [e[2].txn for e in ctx.effects if e[0] == "send"]
    assert sent == [1, 1, 3, 3]
    node.on_message(ctx, "n2", Replicated(txn=1))
    ctx.now += 2 * EPS + 1
    ctx.effects.clear()
    node.on_timer(ctx, "wait T1")
    assert ("send", "n2", Replicate(txn=2, writes=((A, 2),))) in ctx.effects


def test_timestamps_rise_even_when_the_clock_stands_still() -> None:
    """§4.1.1: monotonicity within a Paxos group."""
    node, ctx = leader(SpannerConfig(epsilon=EPS, commit_wait=False))
    for i in (1, 2):
        node.on_request(ctx, txn(i, (A, i)))
        node.on_message(ctx, "n2", Replicated(txn=i))
    replies = [e[2] for e in ctx.effects if e[0] == "reply"]
    assert replies == [110, 111]


def test_snapshot_read_waits_until_its_timestamp_is_safe() -> None:
    """§4.1.3: a read at t is served once t <= t_safe; here: TT.after(t) and no
    transaction at or below t still waiting to apply."""
    node, ctx = leader(now=100)
    read = ClientRequest(id=9, client="c2", f="read", key=A, value=105)
    node.on_request(ctx, read)
    assert kinds(ctx) == ["timer"] and ctx.effects[0][1] == "reads"
    ctx.now = 100 + EPS + 6  # earliest = 106 > 105
    node.on_timer(ctx, "reads")
    assert ctx.effects[-1] == ("reply", read, (None, 0), True)


def test_read_at_returns_the_newest_version_at_or_below_ts() -> None:
    node, _ = leader()
    node._apply(((A, "old"),), 10)
    node._apply(((A, "new"),), 20)
    assert [node.read_at(A, t) for t in (9, 10, 19, 20, 99)] == [
        (None, 0), ("old", 10), ("old", 10), ("new", 20), ("new", 20)]


def test_replica_logs_acknowledges_then_applies_at_the_leaders_timestamp() -> None:
    ctx = FakeContext("n2", ("n1", "n3"))
    replica = SpannerNode("n2", ctx.peers, CONFIG)
    replica.on_message(ctx, "n1", Replicate(txn=4, writes=((A, "v"),)))
    assert ctx.effects == [("send", "n1", Replicated(txn=4))]
    replica.on_message(ctx, "n1", Commit(txn=4, ts=77))
    assert replica.read_at(A, 77) == ("v", 77)


def test_bad_requests_fail_with_the_reason_and_change_nothing() -> None:
    node, ctx = leader()
    cases = [
        (txn(1, (OTHER, 1)), f"key {OTHER!r} is not on shard 0"),
        (ClientRequest(id=2, client="c1", f="txn", value=()), "non-empty tuple"),
        (ClientRequest(id=3, client="c1", f="txn", value=(("k",),)), "(key, value) pair"),
        (ClientRequest(id=4, client="c1", f="cas", key=A), "allowed: txn, read"),
        (ClientRequest(id=5, client="c1", f="read", key=A, value=-1), "int >= 0 or None"),
    ]
    for request, phrase in cases:
        ctx.effects.clear()
        node.on_request(ctx, request)
        [(kind, _, value, ok)] = ctx.effects
        assert kind == "reply" and not ok and phrase in value["error"]
    assert not node.active and not node.queue and not node.locked and not node.reads


def test_a_replica_sends_clients_to_the_leader() -> None:
    ctx = FakeContext("n5", ("n4", "n6"))
    replica = SpannerNode("n5", ctx.peers, CONFIG)
    replica.on_request(ctx, txn(1, (OTHER, 1)))
    [(_, _, value, ok)] = ctx.effects
    assert not ok and value["leader"] == "n4"
