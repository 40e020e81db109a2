"""Rule tests of the Dynamo-style store and its version policies (LWW and siblings).

One node, a recording context, the exact effects; the version policies are
pure functions and are tested on their own.
"""

from __future__ import annotations

import pytest

from consensus_lab.sim import ClientRequest, ConfigError
from consensus_lab.stores import (
    DynamoConfig,
    DynamoNode,
    Get,
    GetReply,
    Put,
    PutAck,
    Sibling,
    Sync,
    Versioned,
    Write,
    join_context,
    lww_merge,
    sibling_merge,
)
from tests.fake_context import FakeContext

PEERS = ("n2", "n3")


def started(config: DynamoConfig | None = None, node_id: str = "n1",
            peers: tuple[str, ...] = PEERS) -> tuple[DynamoNode, FakeContext]:
    ctx = FakeContext(node_id, peers)
    node = DynamoNode(node_id, peers, config=config)
    node.on_start(ctx)
    ctx.clear()
    return node, ctx


def request(f: str, key: str = "x", value: object = None, rid: int = 1) -> ClientRequest:
    return ClientRequest(id=rid, client="c1", f=f, key=key, value=value)


def replies(ctx: FakeContext) -> list[tuple]:
    return [e[1:] for e in ctx.effects if e[0] == "reply"]


# -- version policies ---------------------------------------------------------------

def test_lww_keeps_the_higher_stamp_time_first_then_node_id() -> None:
    assert lww_merge(((5, "n2"), "a"), ((4, "n9"), "b")) == ((5, "n2"), "a")
    assert lww_merge(((5, "n2"), "a"), ((5, "n3"), "b")) == ((5, "n3"), "b")
    assert lww_merge(None, ((1, "n1"), "c")) == ((1, "n1"), "c")


def test_concurrent_writes_stay_siblings_and_a_write_with_their_context_supersedes() -> None:
    """Dynamo §4.4: versions neither of which has seen the other are both kept; a write
    whose context covers both replaces them."""
    a = Sibling(value="a", dot=("n1", 1))
    b = Sibling(value="b", dot=("n4", 1))
    both = sibling_merge((a,), (b,))
    assert [s.value for s in both] == ["a", "b"]
    context = join_context(both)
    assert context == (("n1", 1), ("n4", 1))
    c = Sibling(value="c", dot=("n2", 1), context=context)
    assert sibling_merge(both, (c,)) == (c,)
    assert sibling_merge((c,), both) == (c,)  # order of arrival does not matter


def test_two_blind_writes_through_one_node_are_still_siblings() -> None:
    """A dot per version: (n1, 2) written without context has not seen (n1, 1)."""
    first = Sibling(value="a", dot=("n1", 1))
    second = Sibling(value="b", dot=("n1", 2))
    assert [s.value for s in sibling_merge((first,), (second,))] == ["a", "b"]


# -- node rules ---------------------------------------------------------------------

def test_w1_write_is_acknowledged_by_the_coordinators_own_replica_at_once() -> None:
    """W = 1: the local replica's ack is enough — no other node needs to be reachable."""
    node, ctx = started()
    ctx.now = 40
    req = request("write", value="a")
    node.on_request(ctx, req)
    assert replies(ctx) == [(req, "a", True)]
    assert node.data["x"] == (((40, "n1"), "a"),)
    put = Put(op_id=1, key="x", versions=(((40, "n1"), "a"),))
    assert ("n2", put) in ctx.sent() and ("n3", put) in ctx.sent()


def test_lww_stamps_are_local_time_and_strictly_increase_per_node() -> None:
    node, ctx = started()
    ctx.now = 10
    node.on_request(ctx, request("write", value="a", rid=1))
    node.on_request(ctx, request("write", value="b", rid=2))  # same tick
    assert node.data["x"] == (((11, "n1"), "b"),)


def test_replica_acks_a_put_even_when_lww_discards_it() -> None:
    """The silent loss: an older stamp is acknowledged and thrown away."""
    node, ctx = started()
    node.on_message(ctx, "n2", Put(op_id=3, key="x", versions=(((50, "n2"), "new"),)))
    ctx.clear()
    node.on_message(ctx, "n3", Put(op_id=8, key="x", versions=(((20, "n3"), "old"),)))
    assert ctx.effects == [("send", "n3", PutAck(op_id=8))]
    assert node.values_of("x") == ("new",)


def test_write_waits_for_w_acks_and_times_out_without_an_answer() -> None:
    node, ctx = started(DynamoConfig(w=2))
    req = request("write", value="a")
    node.on_request(ctx, req)
    assert replies(ctx) == []
    node.on_message(ctx, "n3", PutAck(op_id=1))
    assert replies(ctx) == [(req, "a", True)]
    ctx.clear()
    node.on_request(ctx, request("write", value="b", rid=2))
    node.on_timer(ctx, "op:2")
    assert replies(ctx) == [] and ctx.effects[-1][0] == "note"  # the client will see info


def test_read_answers_from_r_replies_and_repairs_the_stale_replica() -> None:
    """R = 2: merge the two replies, answer the newest, send it to the older replica."""
    node, ctx = started(DynamoConfig(r=2, w=1))
    node.data["x"] = (((5, "n1"), "old"),)
    req = request("read")
    node.on_request(ctx, req)
    assert ("n2", Get(op_id=1, key="x")) in ctx.sent()
    ctx.clear()
    node.on_message(ctx, "n2", GetReply(op_id=1, versions=(((9, "n2"), "new"),)))
    repair = Put(op_id=0, key="x", versions=(((9, "n2"), "new"),))
    assert node.values_of("x") == ("new",)  # its own replica was repaired locally
    assert replies(ctx) == [(req, "new", True)]
    assert ctx.sent() == []  # n2 already had the newest version: no repair for it
    ctx.clear()
    node.on_message(ctx, "n3", Put(op_id=0, key="x", versions=repair.versions))
    assert ctx.sent() == []  # a repair wants no ack


def test_read_times_out_with_fail_naming_r() -> None:
    node, ctx = started(DynamoConfig(r=3))
    req = request("read")
    node.on_request(ctx, req)
    node.on_timer(ctx, "op:1")
    assert replies(ctx) == [(req, "only 1 of R=3 replied", False)]


def test_siblings_read_returns_all_values_and_context_and_write_supersedes() -> None:
    node, ctx = started(DynamoConfig(mode="siblings"))
    node.on_request(ctx, request("write", value="a", rid=1))
    node.on_message(ctx, "n3", Put(op_id=9, key="x",
                                   versions=(Sibling(value="b", dot=("n3", 1)),)))
    ctx.clear()
    node.on_request(ctx, request("read", rid=2))
    (_, answer, ok), = replies(ctx)
    assert ok and answer == Versioned(values=("a", "b"), context=(("n1", 1), ("n3", 1)))
    node.on_request(ctx, request("write", value=Write(value="ab", context=answer.context),
                                 rid=3))
    assert node.values_of("x") == ("ab",)
    assert node.data["x"][0].dot == ("n1", 2)


def test_anti_entropy_pushes_every_key_to_one_random_peer() -> None:
    node, ctx = started(DynamoConfig(anti_entropy_every=50))
    node.data["x"] = (((1, "n1"), "a"),)
    node.on_timer(ctx, "anti-entropy")
    assert ctx.effects[0] == ("timer", "anti-entropy", 50)
    (dst, msg), = ctx.sent()
    assert dst in PEERS and msg == Sync(items=(("x", (((1, "n1"), "a"),)),))


def test_preference_list_has_n_distinct_consecutive_nodes() -> None:
    ring = ("n1", "n2", "n3", "n4", "n5")
    node = DynamoNode("n1", ring[1:], config=DynamoConfig(n_replicas=3))
    for key in ("x", "y", "z", 7):
        prefs = node.preference_list(key)
        assert len(set(prefs)) == 3
        start = ring.index(prefs[0])
        assert prefs == tuple(ring[(start + i) % 5] for i in range(3))
    assert DynamoNode("n1", ring[1:]).preference_list("x") == ring


@pytest.mark.parametrize(("config", "message"), [
    (DynamoConfig(r=4), "r must be in [1, N=3], got 4"),
    (DynamoConfig(w=0), "w must be in [1, N=3], got 0"),
    (DynamoConfig(n_replicas=2, w=3), "w must be in [1, N=2], got 3"),
    (DynamoConfig(n_replicas=5), "n_replicas must be in [1, 3] (the cluster size), got 5"),
    (DynamoConfig(mode="crdt"), "unknown mode 'crdt'; allowed: lww, siblings"),
])
def test_bad_config_names_the_value_and_what_is_allowed(config: DynamoConfig,
                                                        message: str) -> None:
    with pytest.raises(ConfigError) as err:
        DynamoNode("n1", PEERS, config=config)
    assert str(err.value) == message
