"""The store's leader and replica, one step at a time: returned states and effects, in order.

References: Spanner (OSDI 2012) §4.1.2 (locks, Start, Commit Wait), §4.1.3
(serving reads at a timestamp: t_safe), §4.2.1 (commit wait overlapped with
Paxos communication). Every effect cites its rule (the ``*_RULE`` constants).
"""

from __future__ import annotations

import dataclasses

import pytest

from consensus_lab.sim import ClientRequest
from consensus_lab.sim.step import (
    Deliver,
    Effects,
    Fire,
    Note,
    Reply,
    Request,
    Send,
    SetTimer,
    timer,
)
from consensus_lab.spanner import Commit, Replicate, Replicated, SpannerConfig
from consensus_lab.spanner.cluster import keys_by_shard
from consensus_lab.spanner.state import SpannerState, apply_writes, read_at
from consensus_lab.spanner.store import (
    ACK_RULE,
    BAD_REQUEST_RULE,
    COMMIT_WAIT_RULE,
    NO_WAIT_RULE,
    NOT_LEADER_RULE,
    READ_RULE,
    REPLICATE_RULE,
    TIMESTAMP_RULE,
    VISIBLE_RULE,
    SpannerStore,
)

EPS = 10
CONFIG = SpannerConfig(epsilon=EPS)
A, B = keys_by_shard(CONFIG)[0]  # two keys on shard 0 (led by n1)
OTHER = keys_by_shard(CONFIG)[1][0]  # a key on shard 1


class Node:
    """One store member driven by hand: ``state`` and the ``effects`` of the last step."""

    def __init__(self, node_id: str = "n1", config: SpannerConfig = CONFIG, now: int = 100) -> None:
        self.store = SpannerStore(config)
        self.state, effects = self.store.start(node_id, ("n2", "n3", "n4", "n5", "n6"), {})
        assert effects == ()
        self.now = now
        self.effects: Effects = ()

    def step(self, event: Deliver | Fire | Request) -> Effects:
        timed = dataclasses.replace(event, now=self.now)
        self.state, self.effects = self.store.step(self.state, timed)
        return self.effects

    def request(self, request: ClientRequest) -> Effects:
        return self.step(Request(request))

    def deliver(self, src: str, msg: object) -> Effects:
        return self.step(Deliver(src, msg))

    def fire(self, name: str) -> Effects:
        return self.step(Fire(name))


def txn(id_: int, *writes: tuple[str, object]) -> ClientRequest:
    return ClientRequest(id=id_, client="c1", f="txn", value=tuple(writes))


def kinds(effects: Effects) -> list[str]:
    return [type(e).__name__ for e in effects]


def shape(effects: Effects) -> list[tuple[str, str]]:
    """(kind, rule) of every effect, in order."""
    return [(type(e).__name__, e.rule) for e in effects]


def test_the_state_is_an_immutable_hashable_value() -> None:
    """Equal inputs from equal states give equal states; the old state is never changed."""
    node = Node()
    before = node.state
    node.request(txn(1, (A, "v")))
    assert before.active == () and len(node.state.active) == 1
    other = Node()
    other.request(txn(1, (A, "v")))
    assert other.state == node.state and hash(other.state) == hash(node.state)
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.state.last_ts = 5  # type: ignore[misc]


def test_leader_replicates_to_its_own_shard_before_anything_else() -> None:
    """The writes go to the shard's replicas (its Paxos group), not to other shards."""
    node = Node()
    effects = node.request(txn(1, (A, "v")))
    assert effects == (Send("n2", Replicate(txn=1, writes=((A, "v"),)), REPLICATE_RULE),
                       Send("n3", Replicate(txn=1, writes=((A, "v"),)), REPLICATE_RULE))
    assert node.state.locked == {A}


def test_majority_then_s_is_latest_and_the_reply_waits() -> None:
    """§4.1.2 Start: s = TT.now().latest; Commit Wait: no reply until TT.after(s)."""
    node = Node(now=100)
    node.request(txn(1, (A, "v")))
    effects = node.deliver("n2", Replicated(txn=1))  # n1 + n2: a majority of 3
    [(_, txn1)] = node.state.active
    assert txn1.ts == 100 + EPS
    assert shape(effects) == [("Note", TIMESTAMP_RULE), ("SetTimer", COMMIT_WAIT_RULE)]
    assert effects[1] == timer("wait T1", 2 * EPS + 1, COMMIT_WAIT_RULE)
    assert "Reply" not in kinds(effects)


def test_reply_once_earliest_passes_s_and_not_a_tick_before() -> None:
    """§4.1.2: the reply, the Commit to the replicas and the new version only at TT.after(s)."""
    node = Node(now=100)
    node.request(txn(1, (A, "v")))
    node.deliver("n2", Replicated(txn=1))
    node.now = 100 + 2 * EPS  # earliest = s exactly: not yet *after* s
    assert kinds(node.fire("wait T1")) == ["SetTimer"]
    node.now = 100 + 2 * EPS + 1
    effects = node.fire("wait T1")
    s = 100 + EPS
    assert shape(effects) == [("Send", VISIBLE_RULE), ("Send", VISIBLE_RULE),
                              ("Note", VISIBLE_RULE), ("Reply", VISIBLE_RULE)]
    assert Send("n2", Commit(txn=1, ts=s), VISIBLE_RULE) in effects
    assert effects[-1] == Reply(txn(1, (A, "v")), s, rule=VISIBLE_RULE)
    assert read_at(node.state, A, s) == ("v", s) and read_at(node.state, A, s - 1) == (None, 0)
    assert not node.state.locked


def test_the_visible_note_comes_with_the_step_that_releases_the_lock() -> None:
    """The note names the commit; the trace labels it with the state after the whole
    step (one rule for every protocol), where the txn holds no lock any more."""
    node = Node(now=100)
    node.request(txn(1, (A, "v")))
    node.deliver("n2", Replicated(txn=1))
    node.now = 200
    note = next(e for e in node.fire("wait T1") if isinstance(e, Note))
    assert note.text == "T1 visible at s=110 (TT.now()=[190, 210])"
    assert "active=0" in node.store.describe(node.state) and not node.state.locked


def test_without_commit_wait_the_reply_is_immediate() -> None:
    """The broken variant: answer as soon as the writes are durable."""
    node = Node(config=SpannerConfig(epsilon=EPS, commit_wait=False))
    node.request(txn(1, (A, "v")))
    effects = node.deliver("n3", Replicated(txn=1))
    assert effects[-1] == Reply(txn(1, (A, "v")), 100 + EPS, rule=NO_WAIT_RULE)
    assert "SetTimer" not in kinds(effects)


def test_overlap_picks_s_first_and_sends_it_with_the_writes() -> None:
    """§4.2.1: the wait "is typically overlapped with Paxos communication"."""
    node = Node(config=SpannerConfig(epsilon=EPS, overlap=True))
    effects = node.request(txn(1, (A, "v")))
    assert shape(effects)[0] == ("Note", TIMESTAMP_RULE)
    assert effects[1] == Send("n2", Replicate(txn=1, writes=((A, "v"),), ts=110), REPLICATE_RULE)
    node.now = 100 + 2 * EPS + 1  # the wait is already over when the majority answers
    effects = node.deliver("n2", Replicated(txn=1))
    assert isinstance(effects[-1], Reply)


def test_conflicting_transaction_waits_for_the_lock() -> None:
    """§4.1.2: s is assigned "after all locks have been acquired"; a writer of the same
    key waits in line, a writer of another key does not."""
    node = Node()
    sent = []
    for request in (txn(1, (A, 1)), txn(2, (A, 2)), txn(3, (B, 3))):
        sent += [e.msg.txn for e in node.request(request) if isinstance(e, Send)]
    assert sent == [1, 1, 3, 3]
    assert [t.id for t in node.state.queue] == [2]
    node.deliver("n2", Replicated(txn=1))
    node.now += 2 * EPS + 1
    effects = node.fire("wait T1")
    assert Send("n2", Replicate(txn=2, writes=((A, 2),)), REPLICATE_RULE) in effects
    assert kinds(effects).index("Reply") < kinds(effects).index("Send", 3)  # reply, then start
    assert node.state.queue == ()


def test_timestamps_rise_even_when_the_clock_stands_still() -> None:
    """§4.1.1: monotonicity within a Paxos group."""
    node = Node(config=SpannerConfig(epsilon=EPS, commit_wait=False))
    replies = []
    for i in (1, 2):
        node.request(txn(i, (A, i)))
        replies += [e.value for e in node.deliver("n2", Replicated(txn=i)) if isinstance(e, Reply)]
    assert replies == [110, 111]


def test_snapshot_read_waits_until_its_timestamp_is_safe() -> None:
    """§4.1.3: a read at t is served once t <= t_safe; here: TT.after(t) and no
    transaction at or below t still waiting to apply."""
    node = Node(now=100)
    read = ClientRequest(id=9, client="c2", f="read", key=A, value=105)
    effects = node.request(read)
    assert effects == (SetTimer("reads", 16, 16, READ_RULE),)
    node.now = 100 + EPS + 6  # earliest = 106 > 105
    effects = node.fire("reads")
    assert effects[-1] == Reply(read, (None, 0), rule=READ_RULE)
    assert node.state.reads == ()


def test_read_at_returns_the_newest_version_at_or_below_ts() -> None:
    state = Node().state
    versions = apply_writes(apply_writes((), ((A, "new"),), 20), ((A, "old"),), 10)
    state = dataclasses.replace(state, versions=versions)
    assert [read_at(state, A, t) for t in (9, 10, 19, 20, 99)] == [
        (None, 0), ("old", 10), ("old", 10), ("new", 20), ("new", 20)]


def test_replica_logs_acknowledges_then_applies_at_the_leaders_timestamp() -> None:
    replica = Node("n2")
    effects = replica.deliver("n1", Replicate(txn=4, writes=((A, "v"),)))
    assert effects == (Send("n1", Replicated(txn=4), ACK_RULE),)
    assert replica.state.log == ((4, ((A, "v"),)),)
    assert replica.deliver("n1", Commit(txn=4, ts=77)) == ()
    assert read_at(replica.state, A, 77) == ("v", 77) and replica.state.log == ()


def test_bad_requests_fail_with_the_reason_and_change_nothing() -> None:
    node = Node()
    start: SpannerState = node.state
    cases = [
        (txn(1, (OTHER, 1)), f"key {OTHER!r} is not on shard 0"),
        (ClientRequest(id=2, client="c1", f="txn", value=()), "non-empty tuple"),
        (ClientRequest(id=3, client="c1", f="txn", value=(("k",),)), "(key, value) pair"),
        (ClientRequest(id=4, client="c1", f="cas", key=A), "allowed: txn, read"),
        (ClientRequest(id=5, client="c1", f="read", key=A, value=-1), "int >= 0 or None"),
    ]
    for request, phrase in cases:
        [reply] = node.request(request)
        assert isinstance(reply, Reply) and not reply.ok and phrase in reply.value["error"]
        assert reply.rule == BAD_REQUEST_RULE
    assert node.state == start


def test_a_replica_sends_clients_to_the_leader() -> None:
    replica = Node("n5")
    [reply] = replica.request(txn(1, (OTHER, 1)))
    assert isinstance(reply, Reply) and not reply.ok and reply.value["leader"] == "n4"
    assert reply.rule == NOT_LEADER_RULE


def test_start_ignores_storage_and_a_step_needs_the_local_time() -> None:
    """Nothing is durable in this model; the clock comes with the input, never from a call."""
    store = SpannerStore(CONFIG)
    fresh, _ = store.start("n1", (), {})
    assert store.start("n1", (), {"anything": 1})[0] == fresh
    early, late = Node(now=100), Node(now=300)  # the same inputs, two clock readings
    for node in (early, late):
        node.request(txn(1, (A, "v")))
        node.deliver("n2", Replicated(txn=1))
    assert early.state.active[0][1].ts == 100 + EPS and late.state.active[0][1].ts == 300 + EPS
