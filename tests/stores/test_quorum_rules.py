"""Rule tests of the ABD quorum store: one replica's pure steps, exact effects in order.

Each test quotes the rule of :mod:`consensus_lab.stores.quorum` it checks
(Attiya, Bar-Noy & Dolev 1995; the multi-writer form with a query phase),
calls ``QuorumStore.step`` and asserts on the returned state and effects,
including their order and rule tags.
"""

from __future__ import annotations

from dataclasses import replace

from consensus_lab.sim import ClientRequest
from consensus_lab.sim.step import CancelTimer, Deliver, Fire, Persist, Reply, Request, Send
from consensus_lab.stores import Query, QueryReply, QuorumNode, Store, StoreAck
from consensus_lab.stores.quorum import (
    RULE_ANSWER,
    RULE_KEEP_NEWER,
    RULE_QUERY,
    RULE_QUERY_REPLY,
    RULE_STORE_ACK,
    RULE_STORE_WRITE,
    RULE_TIMEOUT,
    RULE_UNKNOWN,
    RULE_WRITE_BACK,
    ZERO,
    QuorumState,
    QuorumStore,
)
from consensus_lab.stores.stepping import RULE_UNKNOWN_OP
from tests.stores.steps import kinds, replies, rules, sent, stored_after

PEERS = ("n2", "n3")
STORE = QuorumStore()


def started(node_id: str = "n1", peers: tuple[str, ...] = PEERS,
            stored: dict | None = None) -> QuorumState:
    state, effects = STORE.start(node_id, peers, stored or {})
    assert effects == ()
    return state


def request(f: str, key: str = "x", value: object = None, rid: int = 1) -> ClientRequest:
    return ClientRequest(id=rid, client="c1", f=f, key=key, value=value)


def test_replica_answers_a_query_with_its_timestamp_and_value() -> None:
    """A replica answers Query with the (timestamp, value) it holds; (0, "") before any write."""
    state = started()
    _, effects = STORE.step(state, Deliver("n2", Query(op_id=4, key="x")))
    assert effects == (Send("n2", QueryReply(op_id=4, ts=ZERO, value=None), RULE_QUERY_REPLY),)
    state = replace(state, data=(("x", ((3, "n2"), "v")),))
    _, effects = STORE.step(state, Deliver("n3", Query(op_id=5, key="x")))
    assert sent(effects) == [("n3", QueryReply(op_id=5, ts=(3, "n2"), value="v"))]


def test_replica_keeps_only_a_newer_timestamp_and_acks_either_way() -> None:
    """"Keep the pair only if its timestamp is higher than what it has" — and persist it first."""
    state, effects = STORE.step(started(), Deliver("n2", Store(op_id=1, key="x", ts=(2, "n2"),
                                                               value="new")))
    assert kinds(effects) == ["persist:data", "send"]
    assert effects == (Persist("data", (("x", ((2, "n2"), "new")),), RULE_KEEP_NEWER),
                       Send("n2", StoreAck(op_id=1), RULE_STORE_ACK))
    assert state.value_of("x") == ((2, "n2"), "new")
    state, effects = STORE.step(state, Deliver("n3", Store(op_id=2, key="x", ts=(1, "n3"),
                                                           value="old")))
    assert effects == (Send("n3", StoreAck(op_id=2), RULE_STORE_ACK),)
    assert state.value_of("x") == ((2, "n2"), "new")
    # Ties break on the writer id: (2, "n3") > (2, "n2").
    state, _ = STORE.step(state, Deliver("n3", Store(op_id=3, key="x", ts=(2, "n3"),
                                                     value="tie")))
    assert state.value_of("x") == ((2, "n3"), "tie")


def test_write_queries_a_majority_then_stores_with_a_higher_counter() -> None:
    """Write: phase 1 asks everyone; with a majority of replies, the new timestamp is
    (highest counter + 1, coordinator); phase 2 sends Store to everyone."""
    state, effects = STORE.step(started(), Request(request("write", value="a")))
    assert kinds(effects) == ["timer:op:1", "send", "send"]  # its own query is answered locally
    assert effects[0].rule == RULE_TIMEOUT and rules(effects)[1:] == [RULE_QUERY] * 2
    assert sent(effects) == [("n2", Query(op_id=1, key="x")), ("n3", Query(op_id=1, key="x"))]
    state, effects = STORE.step(state, Deliver("n3", QueryReply(op_id=1, ts=(7, "n3"),
                                                                value="old")))
    store = Store(op_id=1, key="x", ts=(8, "n1"), value="a")
    assert state.value_of("x") == ((8, "n1"), "a")  # its own Store, applied locally
    assert kinds(effects) == ["persist:data", "send", "send"]  # persisted before it leaves
    assert sent(effects) == [("n2", store), ("n3", store)]
    assert rules(effects)[1:] == [RULE_STORE_WRITE] * 2
    assert replies(effects) == []


def test_write_answers_only_after_a_majority_of_store_acks() -> None:
    """"Only then does it answer the client": ok after acks from a majority (2 of 3)."""
    req = request("write", value="a")
    state, _ = STORE.step(started(), Request(req))
    state, _ = STORE.step(state, Deliver("n2", QueryReply(op_id=1, ts=ZERO, value=None)))
    state, effects = STORE.step(state, Deliver("n3", StoreAck(op_id=1)))
    assert effects == (CancelTimer("op:1", RULE_ANSWER), Reply(req, "a", rule=RULE_ANSWER))
    assert state.pending == ()
    _, effects = STORE.step(state, Deliver("n2", StoreAck(op_id=1)))  # a late ack: nothing
    assert effects == ()


def test_read_takes_the_highest_value_and_writes_it_back_before_answering() -> None:
    """Read: the highest (timestamp, value) of a majority, written back to a majority
    before the answer — so no later read can return something older."""
    req = request("read")
    state, _ = STORE.step(started(), Request(req))
    state, effects = STORE.step(state, Deliver("n2", QueryReply(op_id=1, ts=(5, "n2"),
                                                                value="v5")))
    store = Store(op_id=1, key="x", ts=(5, "n2"), value="v5")
    assert Send("n3", store, RULE_WRITE_BACK) in effects
    assert replies(effects) == []
    _, effects = STORE.step(state, Deliver("n3", StoreAck(op_id=1)))
    assert effects[-1] == Reply(req, "v5", rule=RULE_ANSWER)


def test_timeout_fails_a_read_but_leaves_a_stored_write_unanswered() -> None:
    """No majority within op_timeout: a read (or a write still in phase 1) fails; a write
    whose Store left may still take effect, so the client must see 'info', not 'fail'."""
    read = request("read", rid=1)
    state, _ = STORE.step(started(), Request(read))
    state, effects = STORE.step(state, Fire("op:1"))
    assert effects == (Reply(read, "no majority reachable", ok=False, rule=RULE_TIMEOUT),)
    write = request("write", value="w", rid=2)
    state, _ = STORE.step(state, Request(write))
    state, _ = STORE.step(state, Deliver("n2", QueryReply(op_id=2, ts=ZERO, value=None)))
    state, effects = STORE.step(state, Fire("op:2"))
    assert kinds(effects) == ["note"] and effects[0].rule == RULE_UNKNOWN
    write3 = request("write", value="z", rid=3)
    state, _ = STORE.step(state, Request(write3))  # phase 1 only: nothing can have happened
    state, effects = STORE.step(state, Fire("op:3"))
    assert effects[-1] == Reply(write3, "no majority reachable", ok=False, rule=RULE_TIMEOUT)
    assert STORE.step(state, Fire("op:3")) == (state, ())  # a stale timer: nothing


def test_unknown_operation_fails_and_names_the_allowed_ones() -> None:
    req = request("cas")
    _, effects = STORE.step(started(), Request(req))
    assert effects == (Reply(req, "unknown operation 'cas'; allowed: read, write", ok=False,
                             rule=RULE_UNKNOWN_OP),)


def test_store_survives_a_restart() -> None:
    """The replica's data is persisted, so a restarted node still holds its values;
    what was in flight is volatile and gone."""
    state, _ = STORE.step(started(), Request(request("read", key="y")))
    state, effects = STORE.step(state, Deliver("n2", Store(op_id=1, key="x", ts=(1, "n2"),
                                                           value="kept")))
    again = started(stored=stored_after({}, effects))
    assert again.value_of("x") == ((1, "n2"), "kept")
    assert state.pending != () and again.pending == () and again.next_op == 0


def test_node_exposes_the_state_read_only() -> None:
    node = QuorumNode("n1", PEERS)
    assert node.majority == 2 and node.describe() == ""
