"""Rule tests of the Dynamo-style store and its version policies (LWW and siblings).

One replica's pure steps (``DynamoStore.step``) and their exact effects, in
order and with their rule tags; the version policies are pure functions and
are tested on their own.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from consensus_lab.sim import ClientRequest, ConfigError, Simulation
from consensus_lab.sim.step import (
    CancelTimer,
    Deliver,
    Fire,
    Persist,
    Reply,
    Request,
    Send,
    SetTimer,
)
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
from consensus_lab.stores.dynamo import (
    RULE_ANTI_ENTROPY,
    RULE_DOT,
    RULE_GET,
    RULE_MERGE,
    RULE_OP_TIMEOUT,
    RULE_PUT,
    RULE_PUT_ACK,
    RULE_R,
    RULE_READ_REPAIR,
    RULE_SYNC,
    RULE_W,
    DynamoState,
    DynamoStore,
    next_gossip,
)
from consensus_lab.stores.stepping import get
from tests.stores.steps import kinds, replies, rules, sent, stored_after

PEERS = ("n2", "n3")


def started(config: DynamoConfig | None = None, node_id: str = "n1",
            peers: tuple[str, ...] = PEERS,
            stored: dict | None = None) -> tuple[DynamoStore, DynamoState]:
    store = DynamoStore(config)
    state, _ = store.start(node_id, peers, stored or {})
    return store, state


def request(f: str, key: str = "x", value: object = None, rid: int = 1) -> ClientRequest:
    return ClientRequest(id=rid, client="c1", f=f, key=key, value=value)


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
    store, state = started()
    req = request("write", value="a")
    state, effects = store.step(state, Request(req, now=40))
    assert replies(effects) == [(req, "a", True)]
    assert get(state.data, "x") == (((40, "n1"), "a"),)
    put = Put(op_id=1, key="x", versions=(((40, "n1"), "a"),))
    # timer, local merge (persisted), W reached (cancel, reply), then the other replicas
    assert kinds(effects) == ["timer:op:1", "persist:data", "cancel:op:1", "reply", "send",
                              "send"]
    assert effects[1] == Persist("data", (("x", (((40, "n1"), "a"),)),), RULE_MERGE)
    assert effects[3] == Reply(req, "a", rule=RULE_W)
    assert effects[4:] == (Send("n2", put, RULE_PUT), Send("n3", put, RULE_PUT))


def test_lww_stamps_are_local_time_and_strictly_increase_per_node() -> None:
    store, state = started()
    state, _ = store.step(state, Request(request("write", value="a", rid=1), now=10))
    state, _ = store.step(state, Request(request("write", value="b", rid=2),
                                         now=10))  # same tick
    assert get(state.data, "x") == (((11, "n1"), "b"),)


def test_replica_acks_a_put_even_when_lww_discards_it() -> None:
    """The silent loss: an older stamp is acknowledged and thrown away."""
    store, state = started()
    state, _ = store.step(state, Deliver("n2", Put(op_id=3, key="x",
                                                   versions=(((50, "n2"), "new"),))))
    state, effects = store.step(state, Deliver("n3", Put(op_id=8, key="x",
                                                         versions=(((20, "n3"), "old"),))))
    assert effects == (Send("n3", PutAck(op_id=8), RULE_PUT_ACK),)
    assert store.values_of(state, "x") == ("new",)


def test_a_replica_persists_a_merged_version_before_it_acks() -> None:
    """Durable before dependent: the Persist of data comes before the PutAck."""
    store, state = started()
    state, effects = store.step(state, Deliver("n2", Put(op_id=3, key="x",
                                                         versions=(((50, "n2"), "new"),))))
    assert kinds(effects) == ["persist:data", "send"]
    assert rules(effects) == [RULE_MERGE, RULE_PUT_ACK]
    again = store.start("n1", PEERS, stored_after({}, effects))[0]
    assert again.data == state.data and again.pending == ()


def test_write_waits_for_w_acks_and_times_out_without_an_answer() -> None:
    store, state = started(DynamoConfig(w=2))
    req = request("write", value="a")
    state, effects = store.step(state, Request(req))
    assert replies(effects) == []
    state, effects = store.step(state, Deliver("n3", PutAck(op_id=1)))
    assert effects == (CancelTimer("op:1", RULE_W), Reply(req, "a", rule=RULE_W))
    state, _ = store.step(state, Request(request("write", value="b", rid=2)))
    state, effects = store.step(state, Fire("op:2"))
    assert replies(effects) == [] and kinds(effects) == ["note"]  # the client will see info
    assert effects[0].rule == RULE_OP_TIMEOUT and state.pending == ()


def test_read_answers_from_r_replies_and_repairs_the_stale_replica() -> None:
    """R = 2: merge the two replies, answer the newest, send it to the older replica."""
    store, state = started(DynamoConfig(r=2, w=1))
    state = replace(state, data=(("x", (((5, "n1"), "old"),)),))
    req = request("read")
    state, effects = store.step(state, Request(req))
    assert Send("n2", Get(op_id=1, key="x"), RULE_GET) in effects
    state, effects = store.step(state, Deliver("n2", GetReply(
        op_id=1, versions=(((9, "n2"), "new"),))))
    repair = Put(op_id=0, key="x", versions=(((9, "n2"), "new"),))
    assert store.values_of(state, "x") == ("new",)  # its own replica was repaired locally
    assert kinds(effects) == ["cancel:op:1", "persist:data", "reply"]
    assert effects[1].rule == RULE_MERGE and effects[-1] == Reply(req, "new", rule=RULE_R)
    assert sent(effects) == []  # n2 already had the newest version: no repair for it
    _, effects = store.step(state, Deliver("n3", Put(op_id=0, key="x",
                                                     versions=repair.versions)))
    assert sent(effects) == []  # a repair wants no ack


def test_read_repair_sends_the_merged_versions_to_a_stale_peer() -> None:
    """Dynamo §5: "the coordinator updates those nodes with the latest version"."""
    store, state = started(DynamoConfig(r=2, w=1))
    state = replace(state, data=(("x", (((9, "n1"), "new"),)),))
    state, _ = store.step(state, Request(req := request("read")))
    _, effects = store.step(state, Deliver("n3", GetReply(op_id=1,
                                                          versions=(((5, "n3"), "old"),))))
    repair = Put(op_id=0, key="x", versions=(((9, "n1"), "new"),))
    assert effects == (CancelTimer("op:1", RULE_R), Send("n3", repair, RULE_READ_REPAIR),
                       Reply(req, "new", rule=RULE_R))
    store_off, no_repair = started(DynamoConfig(r=2, w=1, read_repair=False))
    no_repair = replace(no_repair, data=(("x", (((9, "n1"), "new"),)),))
    no_repair, _ = store_off.step(no_repair, Request(req))
    _, effects = store_off.step(no_repair, Deliver("n3", GetReply(
        op_id=1, versions=(((5, "n3"), "old"),))))
    assert sent(effects) == [] and replies(effects) == [(req, "new", True)]


def test_read_times_out_with_fail_naming_r() -> None:
    store, state = started(DynamoConfig(r=3))
    req = request("read")
    state, _ = store.step(state, Request(req))
    _, effects = store.step(state, Fire("op:1"))
    assert effects == (Reply(req, "only 1 of R=3 replied", ok=False, rule=RULE_OP_TIMEOUT),)


def test_siblings_read_returns_all_values_and_context_and_write_supersedes() -> None:
    store, state = started(DynamoConfig(mode="siblings"))
    state, effects = store.step(state, Request(request("write", value="a", rid=1)))
    # the new dot is persisted before the version leaves the node
    assert kinds(effects)[:3] == ["timer:op:1", "persist:counter", "persist:data"]
    assert effects[1] == Persist("counter", 1, RULE_DOT)
    state, _ = store.step(state, Deliver("n3", Put(op_id=9, key="x",
                                                   versions=(Sibling(value="b",
                                                                     dot=("n3", 1)),))))
    state, effects = store.step(state, Request(request("read", rid=2)))
    (_, answer, ok), = replies(effects)
    assert ok and answer == Versioned(values=("a", "b"), context=(("n1", 1), ("n3", 1)))
    state, _ = store.step(state, Request(request("write", value=Write(
        value="ab", context=answer.context), rid=3)))
    assert store.values_of(state, "x") == ("ab",)
    assert get(state.data, "x")[0].dot == ("n1", 2)
    assert store.start("n1", PEERS, {"counter": 2})[0].counter == 2  # the counter is durable


def test_anti_entropy_pushes_every_key_to_one_random_peer() -> None:
    store, state = started(DynamoConfig(anti_entropy_every=50))
    assert store.start("n1", PEERS, {})[1] == (SetTimer("anti-entropy", 50, 50,
                                                        RULE_ANTI_ENTROPY),)
    state = replace(state, data=(("x", (((1, "n1"), "a"),)),))
    fire = Fire("anti-entropy")
    gossip, peer = next_gossip(state.gossip, PEERS)  # the state's generator picks the peer
    after, effects = store.step(state, fire)
    assert effects[0] == SetTimer("anti-entropy", 50, 50, RULE_ANTI_ENTROPY)
    (dst, msg), = sent(effects)
    assert dst == peer and msg == Sync(items=(("x", (((1, "n1"), "a"),)),))
    assert after.gossip == gossip  # stepped once: the next round may pick another peer
    picks = set()
    for _ in range(20):
        state, effects = store.step(state, fire)
        picks |= {d for d, _ in sent(effects)}
    assert picks == set(PEERS)  # random, yet every peer gets its turn
    empty = replace(state, data=())
    assert store.step(empty, fire) == (empty, (SetTimer("anti-entropy", 50, 50,
                                                         RULE_ANTI_ENTROPY),))


def test_anti_entropy_in_the_simulator_draws_the_peer_from_the_node_stream() -> None:
    """The node draws ctx.rng.choice(peers), as before; a bare input picks the first peer."""
    sim = Simulation(lambda i, p: DynamoNode(i, p, config=DynamoConfig(anti_entropy_every=10)),
                     3, seed=1)
    sim.submit("n1", "write", "x", "a", client="c1")
    sim.run(until=100)
    syncs = [r for r in sim.trace if r.kind == "send" and isinstance(r.message, Sync)]
    assert syncs and all(r.peer != r.node for r in syncs)
    assert len({r.peer for r in syncs if r.node == "n1"}) == 2  # random, not always the first
    store, state = started(DynamoConfig(anti_entropy_every=10))
    state = replace(state, data=(("x", (((1, "n1"), "a"),)),))
    assert sent(store.step(state, Fire("anti-entropy"))[1])[0][0] == "n2"


def test_sync_merges_the_keys_it_replicates_and_persists_once() -> None:
    store, state = started()
    items = (("x", (((3, "n2"), "a"),)), ("y", (((4, "n3"), "b"),)))
    state, effects = store.step(state, Deliver("n2", Sync(items=items)))
    assert effects == (Persist("data", items, RULE_SYNC),) and state.data == items
    assert store.step(state, Deliver("n2", Sync(items=items))) == (state, ())


def test_preference_list_has_n_distinct_consecutive_nodes() -> None:
    ring = ("n1", "n2", "n3", "n4", "n5")
    node = DynamoNode("n1", ring[1:], config=DynamoConfig(n_replicas=3))
    store, state = started(DynamoConfig(n_replicas=3), peers=ring[1:])
    for key in ("x", "y", "z", 7):
        prefs = node.preference_list(key)
        assert len(set(prefs)) == 3 and store.preference_list(state, key) == prefs
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
