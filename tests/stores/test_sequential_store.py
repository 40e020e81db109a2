"""The sequential store: one replica's rules as pure steps, then small scenarios.

Each rule test quotes the rule of :mod:`consensus_lab.stores.sequential` it
checks, calls ``SequentialStore.step`` and asserts on the returned state and
effects (their order and rule tags); the scenarios show the one anomaly
sequential consistency allows (a stale read, Lamport 1979) and the one it
forbids (replicas disagreeing on the order of writes).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from consensus_lab.consistency import History, check, check_sequential, read_your_writes
from consensus_lab.sim import ClientRequest, ConfigError, Network, Simulation
from consensus_lab.sim.step import Deliver, Note, Reply, Request, Send
from consensus_lab.stores import ApplyWrite, OrderWrite, SequentialNode
from consensus_lab.stores.sequential import (
    RULE_ACK,
    RULE_DUPLICATE,
    RULE_FORWARD,
    RULE_IN_ORDER,
    RULE_NOT_SEQUENCER,
    RULE_ORDER,
    RULE_READ_LOCAL,
    SeqState,
    SequentialStore,
)
from consensus_lab.stores.stepping import RULE_UNKNOWN_OP, get
from tests.stores.steps import kinds, rules, sent

PEERS = ("n2", "n3")
STORE = SequentialStore()


def started(node_id: str = "n1") -> SeqState:
    peers = tuple(n for n in ("n1", "n2", "n3") if n != node_id)
    state, effects = STORE.start(node_id, peers, {})
    assert effects == ()
    return state


def request(f: str, key: str = "x", value: object = None, rid: int = 1) -> ClientRequest:
    return ClientRequest(id=rid, client="c1", f=f, key=key, value=value)


def apply(seq: int, value: str, origin: str = "n3", op_id: int = 1) -> ApplyWrite:
    return ApplyWrite(seq=seq, origin=origin, op_id=op_id, key="x", value=value)


def test_the_first_node_is_the_sequencer_unless_named() -> None:
    assert SequentialNode("n2", ("n1", "n3")).sequencer == "n1"
    assert SequentialNode("n2", ("n1", "n3"), sequencer="n3").sequencer == "n3"
    assert SequentialStore("n3").start("n2", ("n1", "n3"), {})[0].sequencer == "n3"


def test_a_read_is_answered_at_once_from_the_local_copy() -> None:
    """"A read is answered at once from that replica's copy: no message leaves the node"."""
    state = started("n2")
    after, effects = STORE.step(state, Request(req := request("read")))
    assert effects == (Reply(req, None, rule=RULE_READ_LOCAL),) and after == state
    state = replace(state, data=(("x", "old"),))
    _, effects = STORE.step(state, Request(req := request("read", rid=2)))
    assert effects == (Reply(req, "old", rule=RULE_READ_LOCAL),)


def test_a_write_goes_to_the_sequencer_and_is_not_acknowledged_yet() -> None:
    """"A write goes from the home replica to the sequencer (OrderWrite)"."""
    state, effects = STORE.step(started("n2"), Request(request("write", value="a")))
    assert effects == (Send("n1", OrderWrite(origin="n2", op_id=1, key="x", value="a"),
                            RULE_FORWARD),)
    assert get(state.data, "x") is None and dict(state.waiting)[1].value == "a"


def test_the_sequencer_numbers_a_write_applies_it_and_sends_it_to_everyone() -> None:
    """"The sequencer numbers it with the next sequence number and sends ApplyWrite to every
    replica (itself included)"."""
    state, one = STORE.step(started("n1"),
                            Deliver("n2", OrderWrite(origin="n2", op_id=7, key="x", value="a")))
    state, two = STORE.step(state,
                            Deliver("n3", OrderWrite(origin="n3", op_id=1, key="x", value="b")))
    first = ApplyWrite(seq=1, origin="n2", op_id=7, key="x", value="a")
    second = ApplyWrite(seq=2, origin="n3", op_id=1, key="x", value="b")
    assert sent(one + two) == [("n2", first), ("n3", first), ("n2", second), ("n3", second)]
    assert rules(one + two) == [RULE_ORDER] * 4
    assert state.log == (first, second) and get(state.data, "x") == "b"
    assert state.next_seq == 2


def test_a_write_at_the_sequencer_is_acknowledged_at_once() -> None:
    """Applied (and answered) at the sequencer before the ApplyWrites leave."""
    _, effects = STORE.step(started("n1"), Request(req := request("write", value="a")))
    assert effects[0] == Reply(req, "a", rule=RULE_ACK)
    assert [e.dst for e in effects[1:] if isinstance(e, Send)] == ["n2", "n3"]
    assert kinds(effects) == ["reply", "send", "send"]


def test_a_replica_applies_in_sequence_order_holding_early_writes() -> None:
    """"One that arrives early waits in held until the gap before it is filled"."""
    state, effects = STORE.step(started("n2"), Deliver("n1", apply(2, "b")))
    assert get(state.data, "x") is None and [m.seq for m in state.held] == [2]
    assert effects == (Note("hold #2: waits for #1", RULE_IN_ORDER),)
    state, effects = STORE.step(state, Deliver("n1", apply(1, "a")))
    assert [m.value for m in state.log] == ["a", "b"] and get(state.data, "x") == "b"
    assert state.held == () and state.applied_seq == 2 and effects == ()


def test_a_duplicate_apply_is_ignored() -> None:
    """"A duplicate is ignored" — already applied, or already held."""
    state, _ = STORE.step(started("n2"), Deliver("n1", apply(1, "a")))
    state, _ = STORE.step(state, Deliver("n1", apply(3, "c")))
    again, one = STORE.step(state, Deliver("n1", apply(1, "a")))
    again, three = STORE.step(again, Deliver("n1", apply(3, "c")))
    assert one + three == (Note("ignore duplicate #1", RULE_DUPLICATE),
                           Note("ignore duplicate #3", RULE_DUPLICATE))
    assert [m.seq for m in again.log] == [1] and again == state


def test_the_home_replica_acknowledges_a_write_when_it_applies_it() -> None:
    """"The home replica acknowledges a write when it applies it itself" — not before,
    and no other replica answers."""
    state, _ = STORE.step(started("n2"), Request(req := request("write", value="a")))
    applied = ApplyWrite(seq=1, origin="n2", op_id=1, key="x", value="a")
    state, effects = STORE.step(state, Deliver("n1", applied))
    assert effects == (Reply(req, "a", rule=RULE_ACK),) and state.waiting == ()
    other, effects = STORE.step(started("n3"), Deliver("n1", applied))
    assert effects == () and get(other.data, "x") == "a"


def test_a_replica_that_is_not_the_sequencer_ignores_order_requests() -> None:
    state = started("n2")
    after, effects = STORE.step(state, Deliver("n3", OrderWrite(origin="n3", op_id=1, key="x",
                                                                 value="a")))
    assert effects == (Note("ignore Order(n3#1 x='a'): n1 is the sequencer",
                            RULE_NOT_SEQUENCER),)
    assert after.log == () and after == state


def test_bad_sequencer_and_unknown_operation() -> None:
    with pytest.raises(ConfigError, match=r"sequencer must be one of the nodes n1, n2, n3, "
                                          r"got 'n9'"):
        SequentialNode("n1", PEERS, sequencer="n9")
    _, effects = STORE.step(started(), Request(req := request("cas")))
    assert effects == (Reply(req, "unknown operation 'cas'; allowed: read, write", ok=False,
                             rule=RULE_UNKNOWN_OP),)


def test_nothing_is_durable_a_restart_starts_empty() -> None:
    """Not fault tolerant (deliberately): no step persists anything."""
    state, effects = STORE.step(started("n1"), Request(request("write", value="a")))
    assert "persist" not in " ".join(kinds(effects))
    assert STORE.start("n1", PEERS, {})[0] == started("n1") != state


def test_equal_inputs_give_equal_states_and_effects() -> None:
    """A step is a function: the same state and input give the same result, twice."""
    state = started("n2")
    event = Deliver("n1", apply(2, "b"))
    assert STORE.step(state, event) == STORE.step(state, event)
    assert hash(STORE.step(state, event)[0]) == hash(STORE.step(state, event)[0])


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
