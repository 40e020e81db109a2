"""The values Multi-Paxos states are made of: the persistent map, the store, the nodes'
read-only views of their state."""

from __future__ import annotations

import random

import pytest

from consensus_lab.kv import Command
from consensus_lab.paxos import Acceptor, Learner, Proposer
from consensus_lab.paxos.multi import MultiPaxosServer, PMap, StoreValue
from consensus_lab.paxos.multi.pmap import EMPTY


def test_a_pmap_behaves_like_a_dict_and_lists_slots_in_order() -> None:
    """Random sets and removals agree with a dict; slots come out sorted, ``items_from``
    skips what is below, and equal contents make equal, equally hashed values."""
    rng, pmap, plain = random.Random(1), EMPTY, {}
    for i in range(3_000):
        key = rng.randrange(5_000)
        if rng.random() < 0.2:
            pmap, _ = pmap.without(key), plain.pop(key, None)
        else:
            pmap, plain[key] = pmap.set(key, i), i
    assert len(pmap) == len(plain) and dict(pmap.items()) == plain
    assert list(pmap) == sorted(plain) and pmap.last() == max(plain)
    for low in (0, 63, 64, 2_500, 4_096, 5_000):
        assert [k for k, _ in pmap.items_from(low)] == [k for k in sorted(plain) if k >= low]
    again = PMap.of(plain)
    assert again == pmap and hash(again) == hash(pmap)
    for key in list(plain):
        pmap = pmap.without(key)
    assert pmap == EMPTY and pmap.root is None and pmap.last() == 0
    with pytest.raises(KeyError):
        EMPTY[1]  # noqa: B018


def test_the_store_value_keeps_sessions_and_changes_only_by_apply() -> None:
    """The same operations and client sessions as Raft's store: a retried command
    answers from memory and is not applied twice; the old value is untouched."""
    store = StoreValue()
    put = Command(client="c1", seq=1, op="append", key="k", value="a")
    once, result = store.apply(put)
    twice, again = once.apply(put)
    assert (result, again) == ("a", "a") and twice == once and once.data == {"k": "a"}
    assert store.data == {} and store.apply("plain") == (store, "plain")


def test_nodes_show_a_fresh_state_before_their_first_step() -> None:
    """Every Paxos node reads its attributes from its state, or a new node's before it
    has started, so a table of a fresh cluster needs no special case."""
    server = MultiPaxosServer("n1", ("n2", "n3"))
    assert server.describe() == "passive b=0.n1 out=1" and server.replica.slot_out == 1
    assert server.servers == ("n1", "n2", "n3") and server.acceptor.promised is None
    assert Acceptor("a1", ("a2",)).promised is None and Learner("l1", ("a1",)).learned is None
    proposer = Proposer("p1", ("a1",), value="x")
    assert (proposer.value, proposer.phase, proposer.nacks, proposer.promises) == (
        "x", "idle", 0, {})
