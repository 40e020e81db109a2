"""The causal store: one replica's rules as pure steps, then small scenarios.

The rules are those of :mod:`consensus_lab.stores.causal`: local reads and
writes, causal delivery between replicas (BSS 1991, the rules of
:mod:`consensus_lab.clocks.broadcast`), and a conflict policy for concurrent
writes. Each rule test calls ``CausalStore.step`` and asserts on the state and
the effects (order and rule tags). The scenarios show what causal
consistency allows — replicas that apply concurrent writes in different
orders — and what it forbids — an effect seen before its cause.
"""

from __future__ import annotations

from functools import partial

import pytest

from consensus_lab.clocks import Broadcast
from consensus_lab.consistency import History, check_sequential
from consensus_lab.consistency.causal import check_causal
from consensus_lab.sim import ClientRequest, ConfigError, Network, Simulation
from consensus_lab.sim.step import Deliver, Note, Persist, Reply, Request, Send
from consensus_lab.stores import CausalNode, CausalWrite
from consensus_lab.stores.causal import (
    RULE_BROADCAST,
    RULE_DELIVER,
    RULE_DUPLICATE,
    RULE_HOLD_BACK,
    RULE_LOG,
    RULE_READ_LOCAL,
    RULE_WRITE_LOCAL,
    CausalState,
    CausalStore,
)
from consensus_lab.stores.stepping import RULE_UNKNOWN_OP
from tests.stores.steps import kinds, notes, rules, sent, stored_after

NODES = ("n1", "n2", "n3")


def started(node_id: str = "n1", conflict: str = "lww",
            stored: dict | None = None) -> tuple[CausalStore, CausalState]:
    peers = tuple(n for n in NODES if n != node_id)
    store = CausalStore(conflict)
    state, effects = store.start(node_id, peers, stored or {})
    assert effects == ()
    return store, state


def request(f: str, key: str = "x", value: object = None, rid: int = 1) -> ClientRequest:
    return ClientRequest(id=rid, client="c1", f=f, key=key, value=value)


def write(origin: str, seq: int, key: str, value: str, stamp: tuple[int, str],
          **others: int) -> CausalWrite:
    vc = tuple(sorted({**{n: 0 for n in NODES}, **others, origin: seq}.items()))
    return CausalWrite(origin=origin, text=f"{key}={value!r}", vc=vc, key=key, value=value,
                       stamp=stamp)


def test_a_write_is_applied_answered_and_broadcast_at_once() -> None:
    """"A write is applied locally at once, acknowledged, and broadcast to the other replicas"
    — stamped with the writer's vector after counting it; logged durably before it leaves."""
    store, state = started()
    state, effects = store.step(state, Request(req := request("write", value="a"), now=40))
    msg = write("n1", 1, "x", "a", (40, "n1"))
    assert kinds(effects) == ["persist:delivered", "note", "send", "send", "reply"]
    assert effects[0] == Persist("delivered", ((msg, 40),), RULE_LOG)
    assert rules(effects) == [RULE_LOG, RULE_DELIVER, RULE_BROADCAST, RULE_BROADCAST,
                              RULE_WRITE_LOCAL]
    assert sent(effects) == [("n2", msg), ("n3", msg)]
    assert effects[-1] == Reply(req, "a", rule=RULE_WRITE_LOCAL)
    assert state.value_of("x") == "a" and isinstance(msg, Broadcast)


def test_a_read_is_answered_from_the_local_copy() -> None:
    store, state = started()
    after, effects = store.step(state, Request(req := request("read")))
    assert effects == (Reply(req, None, rule=RULE_READ_LOCAL),) and after == state


def test_the_stamp_never_runs_behind_what_was_seen() -> None:
    """Stamp counter = max(local time, highest stamp seen + 1): a write made after seeing
    another gets a higher stamp even when the local clock lags."""
    store, state = started("n2")
    state, _ = store.step(state, Deliver("n1", write("n1", 1, "x", "a", (500, "n1"))))
    state, msg, _ = store.write(state, "x", "b", now=10)
    assert msg.stamp == (501, "n2")
    assert store.write(state, "y", "c", now=900)[1].stamp == (900, "n2")


def test_a_write_waits_for_its_causes() -> None:
    """Causal delivery: n2's write, made after delivering n1#1, is held back at n3 until
    n1#1 arrives; then both are applied, cause first."""
    store, state = started("n3")
    effect = write("n2", 1, "y", "b", (2, "n2"), n1=1)
    state, effects = store.step(state, Deliver("n2", effect))
    assert state.value_of("y") is None and state.held_back == (effect,)
    assert effects == (Note("hold back n2#1 \"y='b'\": waits for n1#1", RULE_HOLD_BACK),)
    state, effects = store.step(state, Deliver("n1", write("n1", 1, "x", "a", (1, "n1"))))
    assert (state.value_of("x"), state.value_of("y")) == ("a", "b")
    assert [m.value for m, _ in state.delivered] == ["a", "b"] and state.held_back == ()
    assert kinds(effects) == ["persist:delivered", "note"] * 2  # each logged as delivered
    assert notes(effects) == ["deliver n1#1 \"x='a'\" vc=[n1:1 n2:0 n3:0]",
                              "deliver n2#1 \"y='b'\" vc=[n1:1 n2:1 n3:0]"]


def test_a_duplicate_is_delivered_once() -> None:
    store, state = started("n3")
    first = write("n1", 1, "x", "a", (1, "n1"))
    state, _ = store.step(state, Deliver("n1", first))
    again, effects = store.step(state, Deliver("n1", first))
    assert effects == (Note("ignore duplicate n1#1", RULE_DUPLICATE),) and again == state


@pytest.mark.parametrize(("conflict", "kept"), [("lww", "late-stamp"),
                                                ("last-applied", "early-stamp")])
def test_the_conflict_policy_resolves_concurrent_writes(conflict: str, kept: str) -> None:
    """LWW keeps the higher stamp whatever the delivery order; last-applied keeps the last."""
    store, state = started("n3", conflict)
    state, _ = store.step(state, Deliver("n2", write("n2", 1, "x", "late-stamp", (9, "n2"))))
    state, _ = store.step(state, Deliver("n1", write("n1", 1, "x", "early-stamp", (5, "n1"))))
    assert [m.value for m, _ in state.delivered] == ["late-stamp", "early-stamp"]
    assert state.value_of("x") == kept


def test_a_restarted_replica_rebuilds_its_values_from_the_delivery_log() -> None:
    """Only the delivery log is durable; clock, values and highest are rebuilt from it,
    and a held-back message (volatile) is gone."""
    store, state = started("n2")
    state, one = store.step(state, Deliver("n1", write("n1", 1, "x", "a", (7, "n1"))))
    state, _, two = store.write(state, "x", "b", now=0)
    state, three = store.step(state, Deliver("n3", write("n3", 2, "z", "c", (9, "n3"))))
    assert state.held_back != ()
    _, again = started("n2", stored=stored_after({}, one + two + three))
    assert again.value_of("x") == "b" and again.highest == state.highest == 8
    assert again.counters() == {"n1": 1, "n2": 1, "n3": 0} and again.held_back == ()
    node = CausalNode("n2", ("n1", "n3"))
    node.state = again
    assert node.clock.as_dict() == {"n1": 1, "n2": 1, "n3": 0} and node.highest == 8


def test_bad_conflict_policy_and_unknown_operation() -> None:
    with pytest.raises(ConfigError, match="unknown conflict policy 'newest'; allowed: lww, "
                                          "last-applied"):
        CausalNode("n1", ("n2",), conflict="newest")
    store, state = started()
    _, effects = store.step(state, Request(req := request("broadcast", value="hi")))
    assert effects == (Reply(req, "unknown operation 'broadcast'; allowed: read, write",
                             ok=False, rule=RULE_UNKNOWN_OP),)


def test_sends_follow_the_persist_of_the_write_they_carry() -> None:
    """Durable before dependent: no Send of a write precedes its Persist in the log."""
    store, state = started()
    _, effects = store.step(state, Request(request("write", value="a")))
    first_send = next(i for i, e in enumerate(effects) if isinstance(e, Send))
    assert any(isinstance(e, Persist) for e in effects[:first_send])


# -- scenarios -----------------------------------------------------------------------------

def concurrent_writes(conflict: str) -> Simulation:
    """c1 at n1 and c2 at n2 write x at the same moment; links between nodes take 20 ticks."""
    sim = Simulation(partial(CausalNode, conflict=conflict), 2, seed=0,
                     network=Network(latency=(1, 1)).with_link("n1", "n2", latency=(20, 20))
                     .with_link("n2", "n1", latency=(20, 20)))
    sim.submit("n1", "write", "x", "a", client="c1")
    sim.submit("n2", "write", "x", "b", client="c2")
    sim.stabilize()
    return sim


def test_replicas_apply_concurrent_writes_in_different_orders() -> None:
    """Each replica applies its own write first: the orders differ, which causal consistency
    allows because neither write could have seen the other. LWW still converges."""
    sim = concurrent_writes("lww")
    assert sim.nodes["n1"].applied_order("x") == ["a", "b"]
    assert sim.nodes["n2"].applied_order("x") == ["b", "a"]
    assert sim.nodes["n1"].value_of("x") == sim.nodes["n2"].value_of("x") == "b"


def test_last_applied_lets_replicas_disagree_forever() -> None:
    sim = concurrent_writes("last-applied")
    assert (sim.nodes["n1"].value_of("x"), sim.nodes["n2"].value_of("x")) == ("b", "a")


def test_an_effect_is_never_seen_before_its_cause() -> None:
    """c2 reads c1's x='a' and then writes y='b'. n3's link from n1 is slow, so y='b' reaches
    n3 first; n3 holds it back, so c3 sees y='b' only together with x='a'."""
    network = (Network(latency=(1, 1)).with_link("n1", "n3", latency=(200, 200))
               .with_link("n1", "n2", latency=(5, 5)).with_link("n2", "n3", latency=(5, 5)))
    sim = Simulation(CausalNode, 3, seed=0, network=network)
    sim.submit("n1", "write", "x", "a", client="c1")
    sim.run(until=10)
    sim.submit("n2", "read", "x", client="c2")
    sim.run(until=15)
    sim.submit("n2", "write", "y", "b", client="c2")
    sim.run(until=30)
    assert sim.nodes["n3"].held_back and sim.nodes["n3"].value_of("y") is None
    sim.submit("n3", "read", "y", client="c3")
    sim.run(until=40)
    sim.stabilize()
    sim.submit("n3", "read", "y", client="c3")
    sim.submit("n3", "read", "x", client="c3")
    sim.stabilize()
    history = History.from_sim(sim.history)
    reads = [(op.process, op.key, op.output) for op in history if op.f == "read"]
    assert reads == [("c2", "x", "a"), ("c3", "y", None), ("c3", "y", "b"), ("c3", "x", "a")]
    assert check_causal(history).verdict == "ok"


def test_causal_but_not_sequential_dekker() -> None:
    """Each client writes its key and then reads the other's: both read nothing. Causal
    (the writes are concurrent) but no single order explains it (Dekker's pattern)."""
    network = Network(latency=(1, 1)).with_link("n1", "n2", latency=(50, 50)) \
        .with_link("n2", "n1", latency=(50, 50))
    sim = Simulation(CausalNode, 2, seed=0, network=network)
    sim.submit("n1", "write", "x", "1", client="c1")
    sim.submit("n2", "write", "y", "1", client="c2")
    sim.run(until=5)
    sim.submit("n1", "read", "y", client="c1")
    sim.submit("n2", "read", "x", client="c2")
    sim.stabilize()
    history = History.from_sim(sim.history)
    assert [op.output for op in history if op.f == "read"] == [None, None]
    assert check_causal(history).verdict == "ok"
    assert check_sequential(history, "register").verdict == "illegal"
