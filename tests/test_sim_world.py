"""The world as a value (sim.world) and the step interface (sim.step)."""

from __future__ import annotations

import pytest

from consensus_lab.sim import (
    ConfigError,
    Persist,
    Send,
    SetTimer,
    Simulation,
    StepNode,
    Value,
    frozen,
)
from consensus_lab.sim.world import Move
from tests.explore.steptoys import HEARD_RULE, HELLO_RULE, Greeters, Hello, greeters


def test_initial_world_carries_out_start_effects() -> None:
    model = greeters(3)
    world = model.initial()
    assert world.timers == (("go",), ("go",), ("go",))
    assert world.net == () and world.stored == ((), (), ())
    assert [m.kind for m in model.moves(world)] == ["fire"] * 3


def test_fire_sends_to_every_peer_and_deliver_persists() -> None:
    model = greeters(3)
    world, effects = model.apply(model.initial(), Move("fire", "n1", name="go"))
    assert [type(e) for e in effects] == [Send, Send]
    assert {e.rule for e in effects} == {HELLO_RULE}
    assert world.timers[0] == () and sorted(p[0] for p in world.net) == ["n2", "n3"]
    world, effects = model.apply(world, Move("deliver", "n2", ("n2", "n1", Hello(1))))
    assert effects == (Persist("heard", ("n1",), HEARD_RULE),)
    assert world.stored[1] == (("heard", ("n1",)),)
    assert model.node(world, "n2").heard == frozenset({"n1"})
    assert [p[0] for p in world.net] == ["n3"]


def test_worlds_equal_whatever_the_order_of_independent_moves() -> None:
    model = greeters(3)
    w = model.initial()
    a, b = Move("fire", "n1", name="go"), Move("fire", "n2", name="go")
    ab = model.apply(model.apply(w, a)[0], b)[0]
    ba = model.apply(model.apply(w, b)[0], a)[0]
    assert ab == ba and hash(ab) == hash(ba)
    assert ab != model.apply(w, a)[0]


def test_two_copies_of_a_message_are_one_move_and_two_packets() -> None:
    model = greeters(2)
    w = model.apply(model.initial(), Move("fire", "n1", name="go"))[0]
    packet = w.net[0]
    w2 = model.apply(w, Move("duplicate", "n2", packet))[0]
    assert w2.net == (packet,)  # duplicate delivers and keeps the copy
    w3 = w2._replace(net=(packet, packet))
    assert [m.kind for m in model.moves(w3)].count("deliver") == 1
    assert model.apply(w3, Move("deliver", "n2", packet))[0].net == (packet,)


def test_crash_keeps_exactly_what_was_persisted() -> None:
    for forget, expect in ((False, frozenset({"n1"})), (True, frozenset())):
        model = greeters(2, forget=forget)
        w = model.apply(model.initial(), Move("fire", "n1", name="go"))[0]
        w = model.apply(w, Move("deliver", "n2", w.net[0]))[0]
        crashed = model.apply(w, Move("crash", "n2"))[0]
        assert crashed.states[1] is None and crashed.timers[1] == ()
        assert model.up(crashed) == ("n1",)
        back = model.apply(crashed, Move("restart", "n2"))[0]
        assert back.states[1].heard == expect and back.timers[1] == ("go",)
        assert model.apply(w, Move("reboot", "n2"))[0] == back


def test_bad_moves_say_what_is_allowed() -> None:
    model = greeters(2)
    w = model.initial()
    with pytest.raises(ConfigError, match="no live timer 'nope'; live: go"):
        model.apply(w, Move("fire", "n1", name="nope"))
    with pytest.raises(ConfigError, match="unknown move kind 'teleport'; allowed: deliver"):
        model.apply(w, Move("teleport", "n1"))
    with pytest.raises(ConfigError, match="n1 is up: only a crashed node restarts"):
        model.apply(w, Move("restart", "n1"))
    with pytest.raises(ConfigError, match="no message"):
        model.apply(w, Move("deliver", "n2", ("n2", "n1", Hello(7))))
    with pytest.raises(ConfigError, match="unknown node 'n9'"):
        model.node(w, "n9")
    with pytest.raises(ValueError, match="need 0 <= low <= high"):
        SetTimer("t", 5, 1)


def test_frozen_remembers_its_hash_and_keeps_equality() -> None:
    a, b = Hello(1), Hello(1)
    assert a == b and hash(a) == hash(b) and a != Hello(2)
    assert hash(a) == hash(a)
    with pytest.raises(TypeError, match="needs a subclass of Value"):
        @frozen
        class Plain:  # noqa: F841
            x: int

    @frozen
    class Point(Value):
        x: int

    assert Point(1) == Point(1) and {Point(1): 1}[Point(1)] == 1


def test_step_node_runs_a_protocol_in_the_simulation() -> None:
    sim = Simulation(lambda n, peers: StepNode(n, peers, Greeters()), 3, seed=4)
    sim.run(until=50)
    for node_id in sim.node_ids:
        node = sim.nodes[node_id]
        assert isinstance(node, StepNode)
        assert node.state is not None and node.state.heard == set(node.peers)
        assert sim.stored(node_id)["heard"] == node.peers  # persisted before anything else
    assert sim.nodes["n1"].view() == {"heard": 2, "greeted": True}
    sim.crash("n2")
    sim.restart("n2")
    assert sim.nodes["n2"].state.heard == frozenset({"n1", "n3"})


def test_the_trace_keeps_the_rule_of_every_send() -> None:
    sim = Simulation(lambda n, peers: StepNode(n, peers, Greeters()), 2, seed=1)
    sim.run(until=20)
    sends = sim.trace.filter("send").records
    assert sends and all(r.rule == HELLO_RULE for r in sends)
    assert f"[{HELLO_RULE}]" in str(sends[0])
    assert sim.trace.rows()[0].keys() >= {"rule"}
    plain = sends[0]._replace(rule="")
    assert plain.canonical().count("\t") == 8  # no rule, no field: old digests hold


def test_a_message_to_a_crashed_node_is_lost_or_waits() -> None:
    model = greeters(2)
    w = model.apply(model.initial(), Move("fire", "n1", name="go"))[0]
    down = model.apply(w, Move("crash", "n2"))[0]
    [lose] = [m for m in model.moves(down) if m.kind == "deliver"]
    assert model.apply(down, lose)[0].net == ()  # lost there, as in the simulator
    back = model.apply(down, Move("restart", "n2"))[0]
    assert model.apply(back, lose)[0].states[1].heard == frozenset({"n1"})  # or it waited
