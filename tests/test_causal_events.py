"""Application events of a causal-broadcast run and happens-before between them.

The Everest example (DDIA ch. 9, 因果一致性): the answer is caused by the
question; Charlie's weather remark is concurrent with both.
"""

from __future__ import annotations

import pytest

from consensus_lab.clocks import (
    ANSWER,
    QUESTION,
    WEATHER,
    CausalEvent,
    NaiveBroadcastNode,
    VectorClock,
    causal_events,
    compare_entries,
    delivery_label,
    event_labels,
    everest,
    everest_nodes,
    explain_relation,
    find_event,
    random_broadcasts,
    relation,
    submit_everest,
    vector_text,
)
from consensus_lab.clocks.scenarios import EVEREST_NETWORK, EVEREST_NODES, _before
from consensus_lab.sim import Simulation
from consensus_lab.viz.experiments import events_table


@pytest.fixture(scope="module")
def events() -> list[CausalEvent]:
    return causal_events(everest())


def broadcast(events: list[CausalEvent], text: str) -> CausalEvent:
    return find_event(events, kind="broadcast", text=text)


def test_everest_question_happens_before_answer(events: list[CausalEvent]) -> None:
    """Bob answers after delivering the question: question → answer."""
    question, answer = broadcast(events, QUESTION), broadcast(events, ANSWER)
    assert relation(question, answer) == "a → b"
    assert relation(answer, question) == "b → a"


def test_everest_weather_is_concurrent_with_question_and_answer(events: list[CausalEvent]) -> None:
    """Charlie spoke before hearing anything: weather ‖ question, weather ‖ answer."""
    weather = broadcast(events, WEATHER)
    assert relation(weather, broadcast(events, QUESTION)) == "a ‖ b"
    assert relation(weather, broadcast(events, ANSWER)) == "a ‖ b"
    assert relation(broadcast(events, ANSWER), weather) == "a ‖ b"


def test_an_event_is_the_same_event_as_itself_only(events: list[CausalEvent]) -> None:
    """Event clocks tick on every event, so no two events share a clock."""
    assert relation(events[0], events[0]) == "same event"
    clocks = [e.vc for e in events]
    assert len(set(clocks)) == len(clocks)


def test_everest_events_per_node_with_ids_times_and_clocks(events: list[CausalEvent]) -> None:
    """Ids "Node.k", node order, local times, and the clocks of the vector-clock rules."""
    rows = [(e.id, e.time, e.what, vector_text(e.vc)) for e in events]
    assert rows == [
        ("Alice.1", 5, f"broadcast {QUESTION!r}", "[1,0,0]"),
        ("Alice.2", 10, f"deliver Charlie#1 {WEATHER!r}", "[2,0,1]"),
        ("Alice.3", 15, f"deliver Bob#1 {ANSWER!r}", "[3,2,1]"),
        ("Bob.1", 10, f"deliver Alice#1 {QUESTION!r}", "[1,1,0]"),
        ("Bob.2", 10, f"broadcast {ANSWER!r}", "[1,2,0]"),
        ("Bob.3", 25, f"deliver Charlie#1 {WEATHER!r}", "[1,3,1]"),
        ("Charlie.1", 5, f"broadcast {WEATHER!r}", "[0,0,1]"),
        ("Charlie.2", 45, f"deliver Alice#1 {QUESTION!r}", "[1,0,2]"),
        ("Charlie.3", 45, f"deliver Bob#1 {ANSWER!r}", "[1,2,3]"),
    ]


def test_clocks_follow_merge_then_tick(events: list[CausalEvent]) -> None:
    """A delivery's clock = (node's previous clock merged with the broadcast's) + own tick."""
    by_id = {e.id: e for e in events}
    expected = VectorClock(by_id["Charlie.1"].vc)
    expected.update(VectorClock(broadcast(events, QUESTION).vc), "Charlie")
    assert by_id["Charlie.2"].clock == expected


def test_program_order_and_message_chains_are_happens_before(events: list[CausalEvent]) -> None:
    """Earlier at the same node → later; a broadcast → every delivery of it."""
    by_id = {e.id: e for e in events}
    assert relation(by_id["Alice.1"], by_id["Alice.3"]) == "a → b"
    for e in events:
        if e.kind == "deliver":
            cause = find_event(events, node=e.message.origin, kind="broadcast",
                               text=e.message.text)
            assert relation(cause, e) == "a → b"
    # Two deliveries of the answer, at Alice and at Charlie: concurrent.
    assert relation(by_id["Alice.3"], by_id["Charlie.3"]) == "a ‖ b"


def test_naive_run_shows_the_answer_delivered_without_its_cause_at_charlie() -> None:
    """Delivered on receipt: Charlie's delivery of the answer precedes that of the question."""
    events = causal_events(everest(NaiveBroadcastNode))
    answer_at_charlie = find_event(events, node="Charlie", kind="deliver", text=ANSWER)
    question_at_charlie = find_event(events, node="Charlie", kind="deliver", text=QUESTION)
    assert relation(answer_at_charlie, question_at_charlie) == "a → b"
    assert answer_at_charlie.index < question_at_charlie.index


def test_relation_matches_the_protocol_stamps_on_broadcasts() -> None:
    """On broadcasts, event clocks and message stamps give the same happens-before."""
    for seed in range(5):
        sim = random_broadcasts(seed)
        sends = [e for e in causal_events(sim) if e.kind == "broadcast"]
        for a in sends:
            for b in sends:
                by_stamp = _before(dict(a.message.vc), dict(b.message.vc))
                assert (relation(a, b) == "a → b") == by_stamp, (seed, a, b)


def test_compare_and_explain_name_the_deciding_entries(events: list[CausalEvent]) -> None:
    """The explanation cites the entries that decide the relation."""
    question, weather = broadcast(events, QUESTION), broadcast(events, WEATHER)
    assert compare_entries(question, weather) == [
        ("Alice", 1, 0, ">"), ("Bob", 0, 0, "="), ("Charlie", 0, 1, "<")]
    text = explain_relation(question, weather)
    assert text.startswith("Alice.1 ‖ Charlie.1")
    assert "Alice (1 > 0)" in text and "Charlie (0 < 1)" in text
    assert "Bob (0 < 2)" in explain_relation(question, broadcast(events, ANSWER))
    assert relation({"A": 1}, {"A": 1, "B": 0}) == "same event"


def test_find_event_and_table(events: list[CausalEvent]) -> None:
    """find_event raises on no match; the table has one row per event, indexed by id."""
    with pytest.raises(ValueError, match="no event"):
        find_event(events, node="Dave")
    table = events_table(events)
    assert list(table.index) == [e.id for e in events]
    assert table.loc["Bob.2", "vector clock"] == "[Alice:1 Bob:2 Charlie:0]"


def test_event_labels_mark_app_events_and_hold_backs() -> None:
    """The space-time label shows "Bob.2 [1,2,0]" on deliver notes and "held Bob#1"."""
    sim = everest()
    label = event_labels(causal_events(sim))
    labels = [label(r) for r in sim.trace if label(r)]
    assert "Bob.2 [1,2,0]" in labels and "held Bob#1" in labels
    assert len([x for x in labels if not x.startswith("held")]) == 9


def test_a_crashed_origin_cannot_be_placed() -> None:
    """Bob's log is gone, so Alice's and Charlie's deliveries of Bob#1 cannot be placed."""
    sim = everest()
    sim.crash("Bob")
    with pytest.raises(ValueError, match="no live node remembers"):
        causal_events(sim)
    assert causal_events(everest(run=False)) == []


def test_delivery_label_shows_the_protocol_vector_after_each_delivery() -> None:
    """Charlie's labels: weather, held answer, question, then the released answer."""
    sim = everest()
    labels = [delivery_label(r) for r in sim.trace if r.node == "Charlie" and delivery_label(r)]
    assert labels == ["Charlie#1 [0,0,1]", "held Bob#1", "Alice#1 [1,0,1]", "Bob#1 [1,1,1]"]


def test_everest_parts_build_the_same_run_as_everest() -> None:
    """everest_nodes + submit_everest (a player's factory and setup) = everest()."""
    sim = Simulation(everest_nodes(), EVEREST_NODES, seed=3, network=EVEREST_NETWORK)
    submit_everest(sim)
    sim.stabilize()
    assert sim.trace.digest() == everest(seed=3).trace.digest()
