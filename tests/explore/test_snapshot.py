"""The simulator hooks the model checker stands on: clone, fingerprint, duplicate, freeze."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from consensus_lab.raft import raft_cluster
from consensus_lab.raft.cluster import check_one_leader, one
from consensus_lab.sim import ConfigError, Network, Node, Simulation
from consensus_lab.sim.node import freeze
from tests.explore.toys import NET, Pinger, ping_pong
from tests.simnodes import Gossip


def raft_run() -> Simulation:
    sim = raft_cluster(3, seed=4)
    check_one_leader(sim)
    one(sim, "x=1", 3)
    return sim


def test_a_clone_goes_on_exactly_as_the_original_would() -> None:
    a = raft_run()
    b = a.clone()
    a.run(until=a.now + 3_000)
    b.run(until=b.now + 3_000)
    assert a.trace.digest() == b.trace.digest()
    assert a.choices == b.choices
    assert a.fingerprint() == b.fingerprint()


def test_the_original_is_untouched_by_what_its_clone_does() -> None:
    a = raft_run()
    before = (a.fingerprint(), a.steps, len(a.trace), a.choice_count)
    b = a.clone()
    b.run(until=b.now + 3_000)
    b.crash("n1")
    assert (a.fingerprint(), a.steps, len(a.trace), a.choice_count) == before
    twin = raft_run()  # the original still continues as a fresh run would
    a.run(until=a.now + 1_000)
    twin.run(until=twin.now + 1_000)
    assert a.trace.digest() == twin.trace.digest()


def test_random_draws_continue_the_same_in_a_clone() -> None:
    sim = Simulation(Gossip, 4, seed=9)
    sim.run(until=50)
    copy = sim.clone()
    sim.run(until=400)
    copy.run(until=400)
    assert sim.choices == copy.choices and sim.trace.digest() == copy.trace.digest()


def test_a_partial_clone_copies_only_the_touched_node() -> None:
    sim = raft_run()
    follower = next(i for i, n in sim.nodes.items() if n.role == "follower")
    others = [i for i in sim.node_ids if i != follower]
    twin = sim.clone(touch=[follower])
    assert all(twin.nodes[i] is sim.nodes[i] for i in others)
    assert twin.nodes[follower] is not sim.nodes[follower]
    # the state is an immutable value: the twin may share it until it steps
    assert twin.nodes[follower].state == sim.nodes[follower].state
    timer = next(e for e in twin.pending() if e.node == follower and e.name == "election")
    twin.fire(timer.id)  # it stands for election in the twin only
    assert twin.nodes[follower].role == "candidate" and sim.nodes[follower].role == "follower"


def test_the_fingerprint_ignores_time_and_ids() -> None:
    a, b = ping_pong(), ping_pong()
    to_n2, to_n3 = (e.id for e in a.pending())
    a.fire(to_n3)  # out of order, at t=0
    a.fire(to_n2)
    b.step()  # in order, as time passes
    b.step()
    assert a.fingerprint() == b.fingerprint()
    assert a.now != b.now
    ids_a = {e.src: e.id for e in a.pending()}
    ids_b = {e.src: e.id for e in b.pending()}
    assert ids_a != ids_b and set(ids_a.values()) == set(ids_b.values())


def test_the_fingerprint_tells_different_states_apart() -> None:
    sim = ping_pong()
    start = sim.fingerprint()
    sim.fire(sim.pending()[0].id)
    assert sim.fingerprint() != start
    assert sim.fingerprint(ignore={e.id for e in sim.pending()}) != start  # n2 changed


def test_the_fingerprint_counts_copies_of_a_message() -> None:
    sim = ping_pong()
    once = sim.fingerprint()
    sim.duplicate(sim.pending()[0].id)
    assert sim.fingerprint() != once


def test_duplicate_puts_a_second_copy_in_flight_and_replays() -> None:
    sim = ping_pong()
    first = sim.pending()[0]
    copy_id = sim.duplicate(first.id)
    copies = [e for e in sim.pending() if e.msg == first.msg and e.node == first.node]
    assert [e.id for e in copies] == [first.id, copy_id]
    sim.fire(first.id)
    sim.fire(copy_id)
    assert sim.nodes[first.node].pings == 2
    again = Simulation.replay(Pinger, 3, sim.choices, sim.steps, network=NET)
    assert again.trace.digest() == sim.trace.digest()


def test_duplicate_refuses_a_timer_and_an_unknown_event() -> None:
    sim = Simulation(Gossip, 3, seed=1)
    timer = sim.pending()[0]
    with pytest.raises(ConfigError, match="only message deliveries can be duplicated"):
        sim.duplicate(timer.id)
    with pytest.raises(ConfigError, match="no pending event #999"):
        sim.duplicate(999)
    assert sim.choices["inputs"] == []  # nothing half-applied


@dataclass
class Box:
    items: list[int] = field(default_factory=list)


class Holder(Node):
    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers)
        self.table: dict[str, int] = {}
        self.seen: set[str] = set()
        self.box = Box()


def test_state_key_is_equal_for_equal_state_whatever_the_order() -> None:
    a, b = Holder("n1", ()), Holder("n1", ())
    a.table = {"x": 1, "y": 2}
    b.table = {"y": 2, "x": 1}
    a.seen, b.seen = {"p", "q"}, {"q", "p"}
    a.box.items.append(3)
    b.box.items.append(3)
    assert a.state_key() == b.state_key() and hash(a.state_key()) == hash(b.state_key())
    b.box.items.append(4)
    assert a.state_key() != b.state_key()


def test_freeze_names_methods_and_keeps_frozen_values() -> None:
    @dataclass(frozen=True)
    class Msg:
        n: int

    class Step:
        def go(self) -> None: ...

    assert freeze([Msg(n=1), (2, [3])]) == (Msg(n=1), (2, (3,)))
    assert freeze(Step().go) == ("callable", "test_freeze_names_methods_and_keeps_frozen_values"
                                 ".<locals>.Step.go")


def test_freeze_refuses_an_object_it_cannot_compare() -> None:
    with pytest.raises(TypeError, match="override Node.state_key"):
        freeze(object())


def test_clone_keeps_an_invariant_with_memory_apart() -> None:
    class Counting:
        def __init__(self) -> None:
            self.events = 0

        def check(self, sim: Simulation) -> None:
            self.events += 1

    sim = Simulation(Gossip, 3, seed=2, network=Network(latency=(1, 3)))
    watcher = Counting()
    sim.add_invariant("count", watcher.check)
    sim.run(max_steps=5)
    twin = sim.clone()
    twin.run(max_steps=5)
    owner: Any = twin.invariants[0][1].__self__
    assert watcher.events == 5 and owner.events == 10 and owner is not watcher
