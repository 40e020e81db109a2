"""Rule-by-rule tests of the logical clocks and the causal delivery condition.

Each unit test quotes the rule it checks (Lamport 1978 IR1/IR2; Fidge 1988 /
Mattern 1989 vector clocks; Birman-Schiper-Stephenson 1991 causal delivery).
Property tests use Hypothesis, derandomized so every run draws the same cases.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus_lab.clocks import (
    ClockError,
    ClockTypeError,
    LamportClock,
    VectorClock,
    blocking_reason,
    can_deliver,
    is_stale,
)

DETERMINISTIC = settings(derandomize=True, database=None, deadline=None, max_examples=200)

counters = st.dictionaries(st.sampled_from("ABCD"), st.integers(0, 4), max_size=4)
clocks = counters.map(VectorClock)


# -- Lamport clocks -------------------------------------------------------------


def test_lamport_tick_increments_between_events() -> None:
    """IR1: each process increments its clock between any two successive events."""
    clock = LamportClock("n1")
    assert [clock.tick(), clock.tick(), clock.send()] == [1, 2, 3]


def test_lamport_receive_takes_max_plus_one() -> None:
    """IR2: on receipt of Tm the receiver sets its clock past both its own value and Tm."""
    behind, ahead = LamportClock("n1", time=2), LamportClock("n2", time=9)
    assert behind.receive(7) == 8
    assert ahead.receive(7) == 10


def test_lamport_clock_condition_along_a_message() -> None:
    """Clock condition: a → b implies C(a) < C(b), here send → receive."""
    a, b = LamportClock("A"), LamportClock("B", time=0)
    sent = a.send()
    assert b.receive(sent) > sent


def test_lamport_stamp_breaks_ties_by_node_id() -> None:
    """Total order: (time, node id) pairs compare lexicographically."""
    a3, b3, a4 = LamportClock("A", 3), LamportClock("B", 3), LamportClock("A", 4)
    assert a3.stamp() < b3.stamp() < a4.stamp()


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_lamport_rejects_bad_timestamps(bad: object) -> None:
    """Timestamps are ints >= 0; the error names the bad value."""
    with pytest.raises(ClockError, match=repr(bad).replace(".", r"\.")):
        LamportClock("n1").receive(bad)  # type: ignore[arg-type]


# -- vector clocks: the rules -----------------------------------------------------


def test_increment_ticks_own_entry() -> None:
    """Rule 1: a local event or send at node i does V[i] += 1."""
    clock = VectorClock(nodes="ABC")
    clock.increment("A")
    clock.increment("A")
    assert clock.as_dict() == {"A": 2, "B": 0, "C": 0}


def test_merge_is_elementwise_max_over_both_clocks() -> None:
    """Rule 2, first half: V[k] = max(V[k], W[k]) for every k in either clock."""
    clock = VectorClock({"A": 1, "B": 5})
    clock.merge(VectorClock({"A": 3, "B": 2, "C": 1}))
    assert clock == {"A": 3, "B": 5, "C": 1}


def test_update_merges_then_ticks() -> None:
    """Rule 2: receive = merge, *then* tick own entry (ticking first loses the tick in the max)."""
    clock = VectorClock({"A": 2, "B": 1})
    clock.update(VectorClock({"B": 5}), "B")
    assert clock == {"A": 2, "B": 6}


def test_chapter_example() -> None:
    """The chapter's three nodes: [1,0,0] → [1,1,0] → [1,2,0] → [1,2,1]; Alice → Charlie."""
    alice, bob, charlie = (VectorClock(nodes="ABC") for _ in range(3))
    alice.increment("A")
    bob.update(alice, "B")
    assert str(bob) == "[A:1 B:1 C:0]"
    bob.increment("B")
    charlie.update(bob, "C")
    assert str(charlie) == "[A:1 B:2 C:1]"
    assert alice.happens_before(charlie) and not charlie.happens_before(alice)


def test_happens_before_is_strict() -> None:
    """Rule 3: V → W iff V <= W entry-wise and V != W; a clock never happens before itself."""
    v = VectorClock({"A": 1, "B": 2})
    assert not v.happens_before(v.copy())
    assert v.happens_before({"A": 1, "B": 3})
    assert v < VectorClock({"A": 2, "B": 2}) and not v < v


def test_concurrent_is_symmetric_and_not_reflexive() -> None:
    """V ‖ W iff neither V <= W nor W <= V; equal clocks are the same event, not concurrent."""
    a, b = VectorClock({"A": 2, "B": 1}), VectorClock({"A": 1, "B": 2})
    assert a.concurrent(b) and b.concurrent(a)
    assert not a.concurrent(a.copy())


def test_missing_entries_are_zero() -> None:
    """A node the clock has never heard of has counter 0, for ==, <=, [] and comparisons."""
    assert VectorClock({"A": 1}) == VectorClock({"A": 1, "B": 0})
    assert VectorClock({"A": 1})["Z"] == 0
    assert VectorClock({"A": 1}).happens_before({"A": 1, "B": 1})
    assert not VectorClock({"A": 1, "B": 1}) <= VectorClock({"A": 1})


def test_str_is_compact_and_sorted() -> None:
    """Traces show clocks as [A:1 B:2 C:0], sorted by node id."""
    assert str(VectorClock({"C": 0, "B": 2, "A": 1})) == "[A:1 B:2 C:0]"
    assert str(VectorClock()) == "[]"


def test_as_dict_and_copy_are_independent() -> None:
    """as_dict() returns a new dict and copy() a new clock: changing them leaves the clock alone."""
    clock = VectorClock({"A": 1})
    clock.as_dict()["A"] = 99
    twin = clock.copy()
    twin.increment("A")
    assert clock == {"A": 1} and twin == {"A": 2}


def test_stamp_is_immutable_and_round_trips() -> None:
    """Messages carry as_pairs(): a tuple of sorted (node, counter) pairs, usable as a clock."""
    clock = VectorClock({"B": 2, "A": 1})
    stamp = clock.as_pairs()
    assert stamp == (("A", 1), ("B", 2))
    assert VectorClock(stamp) == clock


def test_vector_clock_is_unhashable_like_dict() -> None:
    """A mutable clock must not be a dict key or set member (its hash would change)."""
    with pytest.raises(TypeError):
        hash(VectorClock())


@pytest.mark.parametrize(
    ("counters_in", "error", "named"),
    [({"A": -1}, ClockError, "-1"), ({3: 1}, ClockTypeError, "3"), ({"A": 1.0}, ClockTypeError,
     "1.0"), ({"A": True}, ClockTypeError, "True"), ({"": 1}, ClockError, "''")],
)
def test_bad_input_raises_naming_the_value(counters_in: dict, error: type, named: str) -> None:
    """Negative counters, non-int counters and non-str or empty node ids are rejected by name."""
    with pytest.raises(error, match=named.replace(".", r"\.")):
        VectorClock(counters_in)


def test_bad_node_ids_in_operations() -> None:
    """increment / update / [] refuse a node id that is not a non-empty str (TypeError too)."""
    clock = VectorClock()
    with pytest.raises(TypeError, match="got 7"):
        clock.increment(7)  # type: ignore[arg-type]
    with pytest.raises(ClockTypeError, match="None"):
        clock.update({"A": 1}, None)  # type: ignore[arg-type]
    with pytest.raises(ClockTypeError, match="expected a VectorClock"):
        clock.merge("AB")  # type: ignore[arg-type]


# -- vector clocks: properties -----------------------------------------------------


@DETERMINISTIC
@given(clocks, clocks, clocks)
def test_happens_before_is_a_strict_partial_order(a: VectorClock, b: VectorClock,
                                                  c: VectorClock) -> None:
    """→ is irreflexive, asymmetric and transitive."""
    assert not a.happens_before(a)
    assert not (a.happens_before(b) and b.happens_before(a))
    if a.happens_before(b) and b.happens_before(c):
        assert a.happens_before(c)


@DETERMINISTIC
@given(clocks, clocks)
def test_exactly_one_relation_holds(a: VectorClock, b: VectorClock) -> None:
    """For any two clocks exactly one of a == b, a → b, b → a, a ‖ b holds; ‖ is symmetric."""
    relations = [a == b, a.happens_before(b), b.happens_before(a), a.concurrent(b)]
    assert sum(relations) == 1
    assert a.concurrent(b) == b.concurrent(a)


@DETERMINISTIC
@given(clocks, clocks, st.sampled_from("ABCD"))
def test_update_dominates_both_inputs(a: VectorClock, b: VectorClock, node: str) -> None:
    """After a.update(b, i), the old a and the message b both happen before the new a."""
    updated = a.copy()
    updated.update(b, node)
    assert a.happens_before(updated) and b.happens_before(updated)
    assert updated[node] == max(a[node], b[node]) + 1


@DETERMINISTIC
@given(clocks, clocks, clocks)
def test_merge_is_the_least_upper_bound(a: VectorClock, b: VectorClock, c: VectorClock) -> None:
    """merge is commutative, associative, idempotent, and the smallest clock >= both."""
    ab, ba = a.copy(), b.copy()
    ab.merge(b)
    ba.merge(a)
    assert ab == ba and a <= ab and b <= ab
    again = ab.copy()
    again.merge(b)
    assert again == ab
    if a <= c and b <= c:
        assert ab <= c


# -- the causal delivery condition -------------------------------------------------


def test_deliverable_when_next_from_sender_and_nothing_missing() -> None:
    """BSS: deliver m from j when V[j] == local[j] + 1 and V[k] <= local[k] for k != j."""
    assert can_deliver("B", {"A": 1, "B": 1}, {"A": 1, "B": 0})


def test_held_back_when_a_cause_is_missing() -> None:
    """The Everest answer {A:1, B:1} waits at a node that has not delivered A#1."""
    assert not can_deliver("B", {"A": 1, "B": 1}, {"A": 0, "B": 0})
    assert blocking_reason("B", {"A": 1, "B": 1}, {"A": 0, "B": 0}) == "waits for A#1"


def test_held_back_on_a_gap_from_the_sender() -> None:
    """V[j] > local[j] + 1: an earlier message from j is missing (FIFO per sender)."""
    assert not can_deliver("A", {"A": 3}, {"A": 1})
    assert blocking_reason("A", {"A": 3}, {"A": 1}) == "waits for A#2"


def test_duplicates_are_stale_not_deliverable() -> None:
    """V[j] <= local[j]: already delivered; neither deliverable nor worth holding."""
    assert not can_deliver("A", {"A": 1}, {"A": 1})
    assert is_stale("A", {"A": 1}, {"A": 1}) and not is_stale("A", {"A": 2}, {"A": 1})


@DETERMINISTIC
@given(st.sampled_from("ABCD"), counters, counters)
def test_condition_matches_one_step_formulation(sender: str, msg_vc: dict, local: dict) -> None:
    """Deliverable iff counting one more message from j makes local equal-or-above msg_vc,
    with equality on j."""
    after = VectorClock(local)
    after.increment(sender)
    expected = msg_vc.get(sender, 0) == after[sender] and VectorClock(msg_vc) <= after
    assert can_deliver(sender, msg_vc, local) == expected
    assert (blocking_reason(sender, msg_vc, local) is None) == expected
