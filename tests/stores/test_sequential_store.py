"""The sequential store: one node's rules with a recording context, then small scenarios.

Each rule test quotes the rule of :mod:`consensus_lab.stores.sequential` it
checks; the scenarios show the one anomaly sequential consistency allows
(a stale read, Lamport 1979) and the one it forbids (replicas disagreeing
on the order of writes).
"""

from __future__ import annotations

import pytest

from consensus_lab.consistency import History, check, check_sequential, read_your_writes
from consensus_lab.sim import ClientRequest, ConfigError, Network, Simulation
from consensus_lab.stores import ApplyWrite, OrderWrite, SequentialNode
from tests.fake_context import FakeContext

PEERS = ("n2", "n3")


def started(node_id: str = "n1") -> tuple[SequentialNode, FakeContext]:
    peers = tuple(n for n in ("n1", "n2", "n3") if n != node_id)
    ctx = FakeContext(node_id, peers)
    node = SequentialNode(node_id, peers)
    node.on_start(ctx)
    return node, ctx


def request(f: str, key: str = "x", value: object = None, rid: int = 1) -> ClientRequest:
    return ClientRequest(id=rid, client="c1", f=f, key=key, value=value)


def apply(seq: int, value: str, origin: str = "n3", op_id: int = 1) -> ApplyWrite:
    return ApplyWrite(seq=seq, origin=origin, op_id=op_id, key="x", value=value)


def test_the_first_node_is_the_sequencer_unless_named() -> None:
    assert SequentialNode("n2", ("n1", "n3")).sequencer == "n1"
    assert SequentialNode("n2", ("n1", "n3"), sequencer="n3").sequencer == "n3"


def test_a_read_is_answered_at_once_from_the_local_copy() -> None:
    """"A read is answered at once from that replica's copy: no message leaves the node"."""
    node, ctx = started("n2")
    node.on_request(ctx, req := request("read"))
    assert ctx.effects == [("reply", req, None, True)]
    node.data["x"] = "old"
    ctx.clear()
    node.on_request(ctx, req := request("read", rid=2))
    assert ctx.effects == [("reply", req, "old", True)]


def test_a_write_goes_to_the_sequencer_and_is_not_acknowledged_yet() -> None:
    """"A write goes from the home replica to the sequencer (OrderWrite)"."""
    node, ctx = started("n2")
    node.on_request(ctx, request("write", value="a"))
    assert ctx.effects == [("send", "n1", OrderWrite(origin="n2", op_id=1, key="x", value="a"))]
    assert node.value_of("x") is None


def test_the_sequencer_numbers_a_write_applies_it_and_sends_it_to_everyone() -> None:
    """"The sequencer numbers it with the next sequence number and sends ApplyWrite to every
    replica (itself included)"."""
    node, ctx = started("n1")
    node.on_message(ctx, "n2", OrderWrite(origin="n2", op_id=7, key="x", value="a"))
    node.on_message(ctx, "n3", OrderWrite(origin="n3", op_id=1, key="x", value="b"))
    first = ApplyWrite(seq=1, origin="n2", op_id=7, key="x", value="a")
    second = ApplyWrite(seq=2, origin="n3", op_id=1, key="x", value="b")
    assert ctx.sent() == [("n2", first), ("n3", first), ("n2", second), ("n3", second)]
    assert node.log == [first, second] and node.value_of("x") == "b"


def test_a_write_at_the_sequencer_is_acknowledged_at_once() -> None:
    node, ctx = started("n1")
    node.on_request(ctx, req := request("write", value="a"))
    assert ctx.effects[0] == ("reply", req, "a", True)
    assert [e[1] for e in ctx.effects[1:]] == ["n2", "n3"]


def test_a_replica_applies_in_sequence_order_holding_early_writes() -> None:
    """"One that arrives early waits in held until the gap before it is filled"."""
    node, ctx = started("n2")
    node.on_message(ctx, "n1", apply(2, "b"))
    assert node.value_of("x") is None and sorted(node.held) == [2]
    assert ctx.effects == [("note", "hold #2: waits for #1")]
    node.on_message(ctx, "n1", apply(1, "a"))
    assert [m.value for m in node.log] == ["a", "b"] and node.value_of("x") == "b"
    assert node.held == {} and node.applied_seq == 2


def test_a_duplicate_apply_is_ignored() -> None:
    """"A duplicate is ignored" — already applied, or already held."""
    node, ctx = started("n2")
    node.on_message(ctx, "n1", apply(1, "a"))
    node.on_message(ctx, "n1", apply(3, "c"))
    ctx.clear()
    node.on_message(ctx, "n1", apply(1, "a"))
    node.on_message(ctx, "n1", apply(3, "c"))
    assert ctx.effects == [("note", "ignore duplicate #1"), ("note", "ignore duplicate #3")]
    assert [m.seq for m in node.log] == [1]


def test_the_home_replica_acknowledges_a_write_when_it_applies_it() -> None:
    """"The home replica acknowledges a write when it applies it itself" — not before,
    and no other replica answers."""
    node, ctx = started("n2")
    node.on_request(ctx, req := request("write", value="a"))
    ctx.clear()
    node.on_message(ctx, "n1", ApplyWrite(seq=1, origin="n2", op_id=1, key="x", value="a"))
    assert ctx.effects == [("reply", req, "a", True)]
    other, octx = started("n3")
    other.on_message(octx, "n1", ApplyWrite(seq=1, origin="n2", op_id=1, key="x", value="a"))
    assert octx.effects == [] and other.value_of("x") == "a"


def test_a_replica_that_is_not_the_sequencer_ignores_order_requests() -> None:
    node, ctx = started("n2")
    node.on_message(ctx, "n3", OrderWrite(origin="n3", op_id=1, key="x", value="a"))
    assert ctx.effects == [("note", "ignore Order(n3#1 x='a'): n1 is the sequencer")]
    assert node.log == []


def test_bad_sequencer_and_unknown_operation() -> None:
    with pytest.raises(ConfigError, match=r"sequencer must be one of the nodes n1, n2, n3, "
                                          r"got 'n9'"):
        SequentialNode("n1", PEERS, sequencer="n9")
    node, ctx = started()
    node.on_request(ctx, req := request("cas"))
    assert ctx.effects == [("reply", req, "unknown operation 'cas'; allowed: read, write", False)]


# -- scenarios -----------------------------------------------------------------------------

def slow_link_sim() -> Simulation:
    """Two replicas; the sequencer n1 reaches n2 only after 100 ticks."""
    network = Network(latency=(1, 1)).with_link("n1", "n2", latency=(100, 100))
    return Simulation(SequentialNode, 2, seed=0, network=network)


def test_stale_read_is_sequential_but_not_linearizable() -> None:
    """c1 writes at the sequencer and is answered; c2 then reads at n2, which has not heard:
    the read is stale in real time, yet one order (read, then write) explains it."""
    sim = slow_link_sim()
    sim.submit("n1", "write", "x", "a", client="c1")
    sim.run(until=10)
    write = sim.history.ops[-1]
    assert (write.type, write.time) == ("ok", 2)
    sim.submit("n2", "read", "x", client="c2")
    sim.stabilize()
    history = History.from_sim(sim.history)
    assert [op.output for op in history if op.f == "read"] == [None]
    assert check(history, "register").verdict == "illegal"
    assert check_sequential(history, "register").verdict == "ok"
    assert sim.nodes["n2"].value_of("x") == "a"  # it arrives later


def test_a_client_reads_its_own_write_at_a_lagging_replica() -> None:
    """c2's write is acknowledged only once its own replica applied it (read-your-writes)."""
    sim = slow_link_sim()
    sim.submit("n2", "write", "x", "b", client="c2")
    sim.run(until=50)
    assert sim.history.ops[-1].type == "invoke"  # n1 ordered it; n2 has not applied it yet
    sim.stabilize()
    sim.submit("n2", "read", "x", client="c2")
    sim.stabilize()
    history = History.from_sim(sim.history)
    assert [op.output for op in history if op.f == "read"] == ["b"]
    assert read_your_writes(history) == []


def test_every_replica_applies_the_same_order_under_reordering() -> None:
    """Concurrent writes through three replicas over a reordering network: one order."""
    network = Network(latency=(1, 30), reorder=0.5, reorder_delay=60)
    sim = Simulation(SequentialNode, 3, seed=5, network=network)
    for i in range(12):
        node = f"n{i % 3 + 1}"
        sim.submit(node, "write", "xy"[i % 2], f"v{i}", client=f"c{i % 3 + 1}")
        sim.run(until=sim.now + 3)
    sim.stabilize()
    logs = [[m.seq for m in sim.nodes[n].log] for n in sim.node_ids]
    assert logs == [list(range(1, 13))] * 3
    assert len({repr(sim.nodes[n].log) for n in sim.node_ids}) == 1
    assert all(op.type != "fail" for op in sim.history.ops)
    assert sum(op.type == "ok" for op in sim.history.ops) == 12
