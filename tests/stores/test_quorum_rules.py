"""Rule tests of the ABD quorum store: one node, a recording context, exact effects.

Each test quotes the rule of :mod:`consensus_lab.stores.quorum` it checks
(Attiya, Bar-Noy & Dolev 1995; the multi-writer form with a query phase).
"""

from __future__ import annotations

from consensus_lab.sim import ClientRequest
from consensus_lab.stores import Query, QueryReply, QuorumNode, Store, StoreAck
from consensus_lab.stores.quorum import ZERO
from tests.fake_context import FakeContext

PEERS = ("n2", "n3")


def started(node_id: str = "n1", peers: tuple[str, ...] = PEERS,
            stored: dict | None = None) -> tuple[QuorumNode, FakeContext]:
    ctx = FakeContext(node_id, peers, stored)
    node = QuorumNode(node_id, peers)
    node.on_start(ctx)
    ctx.clear()
    return node, ctx


def request(f: str, key: str = "x", value: object = None, rid: int = 1) -> ClientRequest:
    return ClientRequest(id=rid, client="c1", f=f, key=key, value=value)


def test_replica_answers_a_query_with_its_timestamp_and_value() -> None:
    """A replica answers Query with the (timestamp, value) it holds; (0, "") before any write."""
    node, ctx = started()
    node.on_message(ctx, "n2", Query(op_id=4, key="x"))
    assert ctx.sent() == [("n2", QueryReply(op_id=4, ts=ZERO, value=None))]
    node.data["x"] = ((3, "n2"), "v")
    ctx.clear()
    node.on_message(ctx, "n3", Query(op_id=5, key="x"))
    assert ctx.sent() == [("n3", QueryReply(op_id=5, ts=(3, "n2"), value="v"))]


def test_replica_keeps_only_a_newer_timestamp_and_acks_either_way() -> None:
    """"Keep the pair only if its timestamp is higher than what it has" — and persist it first."""
    node, ctx = started()
    node.on_message(ctx, "n2", Store(op_id=1, key="x", ts=(2, "n2"), value="new"))
    assert ctx.kinds() == ["persist:data", "send"]
    assert node.value_of("x") == ((2, "n2"), "new")
    ctx.clear()
    node.on_message(ctx, "n3", Store(op_id=2, key="x", ts=(1, "n3"), value="old"))
    assert ctx.effects == [("send", "n3", StoreAck(op_id=2))]
    assert node.value_of("x") == ((2, "n2"), "new")
    # Ties break on the writer id: (2, "n3") > (2, "n2").
    node.on_message(ctx, "n3", Store(op_id=3, key="x", ts=(2, "n3"), value="tie"))
    assert node.value_of("x") == ((2, "n3"), "tie")


def test_write_queries_a_majority_then_stores_with_a_higher_counter() -> None:
    """Write: phase 1 asks everyone; with a majority of replies, the new timestamp is
    (highest counter + 1, coordinator); phase 2 sends Store to everyone."""
    node, ctx = started()
    node.on_request(ctx, request("write", value="a"))
    assert ctx.kinds() == ["timer:op:1", "send", "send"]  # its own query is answered locally
    assert ctx.sent() == [("n2", Query(op_id=1, key="x")), ("n3", Query(op_id=1, key="x"))]
    ctx.clear()
    node.on_message(ctx, "n3", QueryReply(op_id=1, ts=(7, "n3"), value="old"))
    store = Store(op_id=1, key="x", ts=(8, "n1"), value="a")
    assert node.value_of("x") == ((8, "n1"), "a")  # its own Store, applied locally
    assert ("n2", store) in ctx.sent() and ("n3", store) in ctx.sent()
    assert not [e for e in ctx.effects if e[0] == "reply"]


def test_write_answers_only_after_a_majority_of_store_acks() -> None:
    """"Only then does it answer the client": ok after acks from a majority (2 of 3)."""
    node, ctx = started()
    req = request("write", value="a")
    node.on_request(ctx, req)
    node.on_message(ctx, "n2", QueryReply(op_id=1, ts=ZERO, value=None))
    ctx.clear()
    node.on_message(ctx, "n3", StoreAck(op_id=1))
    assert ctx.effects == [("cancel", "op:1"), ("reply", req, "a", True)]
    ctx.clear()
    node.on_message(ctx, "n2", StoreAck(op_id=1))  # a late ack changes nothing
    assert ctx.effects == []


def test_read_takes_the_highest_value_and_writes_it_back_before_answering() -> None:
    """Read: the highest (timestamp, value) of a majority, written back to a majority
    before the answer — so no later read can return something older."""
    node, ctx = started()
    req = request("read")
    node.on_request(ctx, req)
    node.on_message(ctx, "n2", QueryReply(op_id=1, ts=(5, "n2"), value="v5"))
    store = Store(op_id=1, key="x", ts=(5, "n2"), value="v5")
    assert ("n3", store) in ctx.sent()
    assert not [e for e in ctx.effects if e[0] == "reply"]
    node.on_message(ctx, "n3", StoreAck(op_id=1))
    assert ctx.effects[-1] == ("reply", req, "v5", True)


def test_timeout_fails_a_read_but_leaves_a_stored_write_unanswered() -> None:
    """No majority within op_timeout: a read (or a write still in phase 1) fails; a write
    whose Store left may still take effect, so the client must see 'info', not 'fail'."""
    node, ctx = started()
    read = request("read", rid=1)
    node.on_request(ctx, read)
    node.on_timer(ctx, "op:1")
    assert ctx.effects[-1] == ("reply", read, "no majority reachable", False)
    write = request("write", value="w", rid=2)
    node.on_request(ctx, write)
    node.on_message(ctx, "n2", QueryReply(op_id=2, ts=ZERO, value=None))
    ctx.clear()
    node.on_timer(ctx, "op:2")
    assert [e[0] for e in ctx.effects] == ["note"]
    write3 = request("write", value="z", rid=3)
    node.on_request(ctx, write3)  # phase 1 only: nothing can have happened
    node.on_timer(ctx, "op:3")
    assert ctx.effects[-1] == ("reply", write3, "no majority reachable", False)


def test_unknown_operation_fails_and_names_the_allowed_ones() -> None:
    node, ctx = started()
    req = request("cas")
    node.on_request(ctx, req)
    assert ctx.effects == [("reply", req, "unknown operation 'cas'; allowed: read, write",
                            False)]


def test_store_survives_a_restart() -> None:
    """The replica's data is persisted, so a restarted node still holds its values."""
    node, ctx = started()
    node.on_message(ctx, "n2", Store(op_id=1, key="x", ts=(1, "n2"), value="kept"))
    again, _ = started(stored=ctx.storage)
    assert again.value_of("x") == ((1, "n2"), "kept")
