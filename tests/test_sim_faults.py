"""Scenario tests of the nemesis: partitions, crashes, restarts, pauses."""

from __future__ import annotations

import pytest

from consensus_lab.sim import ConfigError, Network, Simulation
from tests.simnodes import Ping, Recorder


def make(n: int = 3) -> Simulation:
    return Simulation(Recorder, n, network=Network(latency=(5, 5)))


def all_to_all(sim: Simulation, n: int = 1) -> None:
    for node_id in sim.node_ids:
        if sim.nodes[node_id] is not None:
            for peer in sim.nodes[node_id].peers:  # type: ignore[union-attr]
                sim._outs[node_id].send(peer, Ping(n=n), "")


def received(sim: Simulation) -> set[tuple[str, str]]:
    """Every (src, dst) pair over which a message arrived."""
    return {(src, dst) for dst in sim.node_ids for src, _ in sim.nodes[dst].received}  # type: ignore[union-attr]


def test_partition_blocks_exactly_the_cut_links() -> None:
    sim = make(4)
    sim.partition(["n1", "n2"])  # the rest, n3 n4, is the other side
    all_to_all(sim)
    sim.stabilize()
    same_side = {("n1", "n2"), ("n2", "n1"), ("n3", "n4"), ("n4", "n3")}
    assert received(sim) == same_side


def test_one_way_partition_cuts_one_direction() -> None:
    sim = make(2)
    sim.partition_one_way("n1", "n2")
    all_to_all(sim)
    sim.stabilize()
    assert received(sim) == {("n2", "n1")}


def test_message_in_flight_when_partition_starts_is_dropped() -> None:
    sim = make(2)
    all_to_all(sim)
    sim.partition(["n1"], ["n2"])
    sim.stabilize()
    assert received(sim) == set()
    assert {r.detail for r in sim.trace.filter(kind="drop")} == {"partitioned"}


def test_heal_restores_every_link() -> None:
    sim = make(3)
    sim.partition(["n1"])
    sim.partition_one_way("n2", "n3")
    sim.heal()
    all_to_all(sim)
    sim.stabilize()
    assert len(received(sim)) == 6


def test_crash_keeps_only_persisted_state() -> None:
    sim = make()
    sim.submit("n1", "save", value=41)
    all_to_all(sim)
    sim.stabilize()
    assert sim.nodes["n1"].volatile == 2  # type: ignore[union-attr]
    sim.crash("n1")
    assert sim.nodes["n1"] is None and "n1" in sim.crashed
    sim.restart("n1")
    node = sim.nodes["n1"]
    assert node.durable == 41 and node.volatile == 0 and node.received == []  # type: ignore[union-attr]


def test_crashed_node_gets_nothing_and_its_timers_die() -> None:
    sim = make()
    sim._outs["n2"].set_timer("t", 3, 3)
    all_to_all(sim)
    sim.crash("n2")
    sim.stabilize()
    assert sim.stats["timers"] == 0
    assert [r.detail for r in sim.trace.filter(kind="drop")] == ["node down", "node down"]


def test_a_crashed_incarnation_leaves_nothing_behind() -> None:
    sim = make()
    sim._outs["n2"].send("n1", Ping(n=98), "")
    sim.run(until=10)  # n1 has received one ping: volatile state
    old_node, old_out = sim.nodes["n1"], sim._outs["n1"]
    assert old_node.received == [("n2", 98)]  # type: ignore[union-attr]
    sim.crash("n1")
    sim.restart("n1")
    sim.stabilize()
    # a step node acts only through the effects of its own steps: the new incarnation
    # is a new node with a new outbox, and nothing of the old one survives but storage
    assert sim.nodes["n1"] is not old_node and sim._outs["n1"] is not old_out
    assert sim.nodes["n1"].received == [] and sim._storage["n1"] == {}  # type: ignore[union-attr]


def test_paused_node_handles_nothing_until_resumed() -> None:
    sim = make()
    sim._outs["n2"].set_timer("t", 3, 3)
    sim.pause("n2")
    all_to_all(sim)
    sim.run(until=50)
    n2 = sim.nodes["n2"]
    assert n2.received == [] and n2.timers == []  # type: ignore[union-attr]
    assert len(sim.trace.filter(kind="hold", node="n2")) == 3
    sim.resume("n2")
    sim.stabilize()
    assert n2.timers == [("t", 50)]  # type: ignore[union-attr]
    assert sorted(n2.received) == [("n1", 1), ("n3", 1)]  # type: ignore[union-attr]


def test_scheduled_nemesis_fires_at_its_time() -> None:
    sim = make()
    sim.at(10, "crash", "n3")
    sim.at(20, "restart", "n3")
    sim.run(until=15)
    assert "n3" in sim.crashed
    sim.run(until=25)
    assert "n3" not in sim.crashed


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.partition(["n9"]), "unknown node 'n9'; this simulation has n1, n2, n3"),
        (lambda s: s.partition(["n1", "n2", "n3"]), "at least two non-empty groups"),
        (lambda s: s.partition(["n1"], ["n1", "n2"]), "only one partition group"),
        (lambda s: s.partition_one_way("n1", "n1"), "two different nodes"),
        (lambda s: s.restart("n1"), "n1 is not crashed"),
        (lambda s: s.resume("n1"), "n1 is not paused"),
        (lambda s: (s.crash("n1"), s.crash("n1")), "already crashed"),
        (lambda s: (s.crash("n1"), s.pause("n1")), "cannot pause n1: it is crashed"),
        (lambda s: s.at(5, "explode", "n1"), "unknown nemesis action 'explode'"),
        (lambda s: s.set_clock("n1", drift_ppm=-2_000_000), "drift_ppm must be an int"),
        (lambda s: s.submit("n1", "", 1), "operation name f"),
        (lambda s: s.submit("n1", "save", timeout=0), "timeout must be a positive int"),
        (lambda s: s.fire(12345), "no pending event #12345"),
        (lambda s: s._outs["n1"].set_timer("x", -1, -1), "delay must be an int >= 0, got -1"),
        (lambda s: s._outs["n1"].send("zz", Ping(n=1), ""), "unknown node 'zz'"),
        (lambda s: s.run(), "run\\(\\) needs until="),
    ],
)
def test_bad_nemesis_input_is_rejected_and_changes_nothing(call, message) -> None:  # type: ignore[no-untyped-def]
    sim = make()
    before = (sim.network, sim.crashed, sim.paused, sim.choice_count, len(sim.history))
    with pytest.raises(ConfigError, match=message):
        call(sim)
    after = (sim.network, sim.crashed, sim.paused, sim.choice_count, len(sim.history))
    if "already crashed" in message or "cannot pause" in message:
        assert after[1] == frozenset({"n1"})  # only the first, valid crash applied
    else:
        assert after == before


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Network(drop=1.5), r"drop must be a probability in \[0, 1\], got 1.5"),
        (lambda: Network(duplicate=-0.1), r"duplicate must be a probability"),
        (lambda: Network(latency=(-1, 3)), "latency must not be negative, got min=-1"),
        (lambda: Network(latency=(5, 2)), r"max must be >= min, got \(5, 2\)"),
        (lambda: Network(latency=(1.5, 2)), "pair of ints"),
        (lambda: Network().with_link("a", "b", jitter=3), "unknown link fault 'jitter'"),
        (lambda: Simulation(Recorder, 0), "at least one node, got 0"),
        (lambda: Simulation(Recorder, []), "at least one node"),
        (lambda: Simulation(Recorder, ["n1", "n1"]), "duplicate node id 'n1'"),
        (lambda: Simulation(Recorder, ["n1", ""]), "non-empty strings"),
        (lambda: Simulation(Recorder, 2, seed="7"), "seed must be an int"),  # type: ignore[arg-type]
        (lambda: Simulation(Recorder, 2, network=Network(blocked=[("n1", "n7")])),
         "unknown node 'n7'"),
        (lambda: Simulation(lambda i, p: object(), 2), "factory must return a Node"),  # type: ignore[arg-type, return-value]
    ],
)
def test_bad_configuration_names_the_value(build, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=message):
        build()
