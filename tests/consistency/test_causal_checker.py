"""The causal-consistency checker: one history per bad pattern (Bouajjani et al. 2017), and
histories that are causal though neither linearizable nor sequential.

Rows are ``(process, f, value, call, ret[, status[, key]])`` as in ``History.build``.
"""

from __future__ import annotations

import pytest

from consensus_lab.consistency import History, check, check_sequential
from consensus_lab.consistency.causal import causal_violations, check_causal


def build(*rows: tuple) -> History:
    return History.build(rows)


def patterns(history: History) -> list[str]:
    return [v.pattern for v in causal_violations(history)]


# -- causal histories -------------------------------------------------------------------------

def test_a_stale_read_by_another_client_is_causal() -> None:
    """c2 never saw c1's write, so reading the old value breaks no causality (only
    linearizability)."""
    h = build(("c1", "write", "a", 0, 1, "ok", "x"), ("c2", "read", None, 5, 6, "ok", "x"))
    assert check_causal(h).verdict == "ok"
    assert check(h, "register").verdict == "illegal"


def test_concurrent_writes_seen_in_opposite_orders_are_causal_not_sequential() -> None:
    """c3 sees a then b, c4 sees b then a: the writes are concurrent, so causal allows it;
    no single order does."""
    h = build(("c1", "write", "a", 0, 1, "ok", "x"), ("c2", "write", "b", 0, 1, "ok", "x"),
              ("c3", "read", "a", 2, 3, "ok", "x"), ("c3", "read", "b", 4, 5, "ok", "x"),
              ("c4", "read", "b", 2, 3, "ok", "x"), ("c4", "read", "a", 4, 5, "ok", "x"))
    assert check_causal(h).verdict == "ok"
    assert check_sequential(h, "register").verdict == "illegal"


def test_reading_after_a_causal_chain_is_fine_when_values_move_forward() -> None:
    h = build(("c1", "write", "a", 0, 1, "ok", "x"), ("c2", "read", "a", 2, 3, "ok", "x"),
              ("c2", "write", "b", 4, 5, "ok", "y"), ("c3", "read", "b", 6, 7, "ok", "y"),
              ("c3", "read", "a", 8, 9, "ok", "x"))
    assert check_causal(h).verdict == "ok"


# -- the four bad patterns --------------------------------------------------------------------

def test_write_co_init_read_effect_without_its_cause() -> None:
    """c3 reads y=b, written by c2 after reading x=a, and then reads x as never written."""
    h = build(("c1", "write", "a", 0, 1, "ok", "x"), ("c2", "read", "a", 2, 3, "ok", "x"),
              ("c2", "write", "b", 4, 5, "ok", "y"), ("c3", "read", "b", 6, 7, "ok", "y"),
              ("c3", "read", None, 8, 9, "ok", "x"))
    result = check_causal(h)
    assert result.verdict == "illegal" and result.key == "x"
    assert "WriteCOInitRead" in result.explanation
    assert [(op.process, op.f) for op in result.culprit] == [
        ("c1", "write"), ("c2", "read"), ("c2", "write"), ("c3", "read"), ("c3", "read")]
    assert ("c1 write x 'a' ⇝ c2 read x → 'a' ⇝ c2 write y 'b' ⇝ c3 read y → 'b' ⇝ "
            "c3 read x → None") in result.explanation


def test_write_co_read_own_write_overwritten_by_an_older_value() -> None:
    """c2 reads a, overwrites it with b, then reads a again (LWW with a lagging clock)."""
    h = build(("c1", "write", "a", 0, 1, "ok", "x"), ("c2", "read", "a", 2, 3, "ok", "x"),
              ("c2", "write", "b", 4, 5, "ok", "x"), ("c2", "read", "a", 6, 7, "ok", "x"))
    found = causal_violations(h)
    assert [v.pattern for v in found] == ["WriteCORead"]
    assert [op.value for op in found[0].writes] == ["a", "b"]
    assert found[0].read.call == 6
    assert [(op.f, op.call) for op in found[0].chain] == [
        ("write", 0), ("read", 2), ("write", 4), ("read", 6)]
    assert ("c1 write x 'a' ⇝ c2 read x → 'a' ⇝ c2 write x 'b' ⇝ c2 read x → 'a'"
            in found[0].reason)


def test_thin_air_read() -> None:
    h = build(("c1", "write", "a", 0, 1, "ok", "x"), ("c2", "read", "z", 2, 3, "ok", "x"))
    assert patterns(h) == ["ThinAirRead"]


def test_cyclic_causal_order() -> None:
    """Each client reads the value the other writes only afterwards."""
    h = build(("c1", "read", "b", 0, 1, "ok", "x"), ("c1", "write", "a", 2, 3, "ok", "x"),
              ("c2", "read", "a", 0, 1, "ok", "x"), ("c2", "write", "b", 2, 3, "ok", "x"))
    assert patterns(h) == ["CyclicCO"]
    assert "cycle" in check_causal(h).explanation


# -- conventions and bad input ----------------------------------------------------------------

def test_failed_writes_never_happened_and_info_writes_may_have() -> None:
    failed = build(("c1", "write", "a", 0, 1, "fail", "x"), ("c2", "read", "a", 2, 3, "ok", "x"))
    assert patterns(failed) == ["ThinAirRead"]
    unknown = build(("c1", "write", "a", 0, 1, "info", "x"), ("c2", "read", "a", 2, 3, "ok", "x"))
    assert check_causal(unknown).verdict == "ok"


def test_keys_are_separate_registers() -> None:
    h = build(("c1", "write", "a", 0, 1, "ok", "x"), ("c1", "read", None, 2, 3, "ok", "y"))
    assert check_causal(h).verdict == "ok"
    h = build(("c1", "write", "a", 0, 1, "ok", "x"), ("c1", "read", None, 2, 3, "ok", "x"))
    assert patterns(h) == ["WriteCOInitRead"]


def test_bad_input_names_the_problem() -> None:
    twice = build(("c1", "write", "a", 0, 1, "ok", "x"), ("c2", "write", "a", 2, 3, "ok", "x"))
    with pytest.raises(ValueError, match="distinct written values per key; 'a' is written "
                                         "twice to key 'x'"):
        check_causal(twice)
    with pytest.raises(ValueError, match="supports read/write and get/put only"):
        check_causal(build(("c1", "cas", (1, 2), 0, 1)))
