"""Scenario and seed-sweep tests of causal broadcast on the simulator.

The Everest scenario is the chapter's example (DDIA ch. 9, 因果一致性): the
answer reaches Charlie before the question. A causal node (Birman-Schiper-
Stephenson 1991) holds it back; a naive node shows it out of order.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import pytest

from consensus_lab.clocks import (
    ANSWER,
    QUESTION,
    WEATHER,
    Broadcast,
    CausalBroadcastNode,
    NaiveBroadcastNode,
    causal_order_invariant,
    delivered_texts,
    everest,
    held_back_notes,
    random_broadcasts,
)
from consensus_lab.exercises import load_answers
from consensus_lab.sim import InvariantViolation, Network, Simulation

SWEEP = range(60)


def test_everest_charlie_holds_back_the_answer_until_the_question() -> None:
    """Charlie receives the answer at t=15 but delivers it only after the question (t=45)."""
    sim = everest(run=False)
    sim.run(until=15)
    charlie = sim.nodes["Charlie"]
    assert [m.text for m in charlie.held_back] == [ANSWER]
    assert charlie.view() == {"vc": "[Alice:0 Bob:0 Charlie:1]", "held": "Bob#1",
                              "delivered": "Charlie#1"}
    assert "waits for Alice#1" in held_back_notes(sim)[0].detail
    sim.stabilize()
    assert delivered_texts(sim)["Charlie"] == [WEATHER, QUESTION, ANSWER]
    assert charlie.held_back == () and str(charlie.clock) == "[Alice:1 Bob:1 Charlie:1]"


def test_everest_every_node_sees_the_question_before_the_answer() -> None:
    """Causal order: every node delivers the question before the answer; the weather floats."""
    texts = delivered_texts(everest())
    for node, order in texts.items():
        assert order.index(QUESTION) < order.index(ANSWER), node
    assert sorted(texts["Alice"]) == sorted(texts["Bob"]) == sorted([QUESTION, ANSWER, WEATHER])


def test_everest_weather_is_concurrent_with_question_and_answer() -> None:
    """The weather remark is sent by Charlie before he delivers anything: concurrent with both."""
    from consensus_lab.clocks import VectorClock

    stamps = {m.text: VectorClock(m.vc) for m in everest().nodes["Charlie"].delivered}
    assert stamps[QUESTION].happens_before(stamps[ANSWER])
    assert stamps[WEATHER].concurrent(stamps[QUESTION])
    assert stamps[WEATHER].concurrent(stamps[ANSWER])


def test_naive_node_delivers_the_answer_before_the_question() -> None:
    """Delivering on receipt shows the anomaly the chapter warns about."""
    sim = everest(NaiveBroadcastNode)
    assert delivered_texts(sim)["Charlie"] == [WEATHER, ANSWER, QUESTION]
    problem = causal_order_invariant()(sim)
    assert problem is not None and "before its cause" in problem and QUESTION in problem


def test_broadcast_message_is_frozen_and_compact() -> None:
    """Messages are frozen, slotted, keyword-only dataclasses with a one-line str."""
    msg = Broadcast(origin="A", text="hi", vc=(("A", 2), ("B", 0)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        msg.text = "bye"  # type: ignore[misc]
    assert not hasattr(msg, "__dict__")
    assert str(msg) == "Bcast(A#2 'hi' [A:2 B:0])" and msg.msg_id == ("A", 2)
    with pytest.raises(TypeError):
        Broadcast("A", "hi", ())  # type: ignore[misc]


def test_unknown_request_fails_and_broadcast_replies_with_stamp() -> None:
    """on_request answers f='broadcast' with the message's stamp and refuses anything else."""
    sim = Simulation(CausalBroadcastNode, 2, network=Network(latency=(1, 1)))
    sim.submit("n1", "broadcast", value="x")
    sim.submit("n1", "put", key="k", value=1)
    sim.stabilize()
    outcomes = [(op.type, op.value) for op in sim.history if op.type != "invoke"]
    assert ("ok", "[n1:1 n2:0]") in outcomes
    assert any(kind == "fail" and "unknown operation 'put'" in value for kind, value in outcomes)


def test_duplicated_messages_are_delivered_once() -> None:
    """With every message duplicated, each broadcast is still delivered exactly once per node."""
    net = Network(latency=(1, 5), duplicate=1.0)
    sim = random_broadcasts(3, network=net, messages=5)
    assert sim.stats["duplicated"] > 0
    for texts in delivered_texts(sim).values():
        assert sorted(texts) == [f"m{i}" for i in range(1, 6)]


def test_seed_sweep_keeps_causal_order_with_reordering_and_duplicates() -> None:
    """Safety and liveness over 60 seeds; the sweep really reorders, duplicates and holds back."""
    held = duplicated = 0
    for seed in SWEEP:
        sim = random_broadcasts(seed)  # raises InvariantViolation on any violation
        held += len(held_back_notes(sim))
        duplicated += sim.stats["duplicated"]
    assert held > 50 and duplicated > 20


def test_seed_sweep_catches_the_naive_node() -> None:
    """The same sweep finds the naive node's causal-order violation, with seed and trace."""
    caught = []
    for seed in SWEEP:
        try:
            random_broadcasts(seed, factory=NaiveBroadcastNode)
        except InvariantViolation as exc:
            caught.append(exc)
    assert len(caught) > len(SWEEP) // 2
    first = caught[0]
    assert first.name.startswith("causal order") and "before its cause" in first.message
    assert first.seed == 0 and "INVARIANT" in first.trace.tail(1)


def test_replay_by_seed_gives_the_same_trace_digest() -> None:
    """Same seed, same run: the trace digest is identical; another seed differs."""
    digests = [random_broadcasts(seed).trace.digest() for seed in (7, 7, 8)]
    assert digests[0] == digests[1] != digests[2]


def test_everest_with_the_reference_solution_plugged_in() -> None:
    """The node accepts a learner's clock class and condition through functools.partial."""
    clock_answers = load_answers("vector_clock", "solutions")
    causal_answers = load_answers("causal_delivery", "solutions")
    factory = partial(CausalBroadcastNode, clock_cls=clock_answers.VectorClock,
                      condition=causal_answers.can_deliver)
    assert delivered_texts(everest(factory))["Charlie"] == [WEATHER, QUESTION, ANSWER]
    random_broadcasts(5, factory=factory)


def test_restarted_node_recovers_its_delivery_log_and_numbering() -> None:
    """A crash loses held-back messages but not what was delivered (it was persisted)."""
    from consensus_lab.clocks import everest

    sim = everest()
    before = [m.msg_id for m in sim.nodes["Bob"].delivered]  # type: ignore[union-attr]
    clock = sim.nodes["Bob"].clock.as_dict()  # type: ignore[union-attr]
    sim.crash("Bob")
    sim.restart("Bob")
    bob = sim.nodes["Bob"]
    assert [m.msg_id for m in bob.delivered] == before  # type: ignore[union-attr]
    assert bob.clock.as_dict() == clock  # type: ignore[union-attr]
    sim.submit("Bob", "broadcast", value="still here")
    sim.stabilize()
    assert ("Bob", 2) in [m.msg_id for m in sim.nodes["Alice"].delivered]  # type: ignore[union-attr]
