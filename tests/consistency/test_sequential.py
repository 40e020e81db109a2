"""Sequential consistency: hand-written histories (one-line reason each) and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus_lab.consistency import History, Op, check, get_model
from consensus_lab.consistency.sequential import check_sequential

# (name, model, rows, sequentially consistent?, linearizable?, reason).
# Rows as in History.build: (process, f, value, call, ret[, status[, key]]).
CORPUS = [
    ("stale-read-after-write", "register",
     [("c1", "write", 1, 0, 1), ("c2", "read", None, 2, 3)],
     "ok", "illegal",
     "c2 reads nil after c1's write completed: order c2's read first (real time ignored)"),
    ("stale-then-fresh", "register",
     [("c1", "write", 1, 0, 1), ("c2", "read", None, 2, 3), ("c2", "read", 1, 4, 5)],
     "ok", "illegal", "c2 catches up later: read nil, write, read 1"),
    ("own-write-then-older", "register",
     [("c1", "write", 1, 0, 1), ("c2", "write", 2, 0, 1), ("c1", "read", 2, 2, 3),
      ("c1", "read", 1, 4, 5)],
     "illegal", "illegal",
     "c1 sees 2 overwrite its own 1, then reads 1 again: 1 would have to be written twice"),
    ("read-own-write-then-nil", "register",
     [("c1", "write", 1, 0, 1), ("c1", "read", 1, 2, 3), ("c1", "read", None, 4, 5)],
     "illegal", "illegal", "nothing can take c1's register back to nil after it read 1"),
    ("flip-flop-two-readers", "register",
     [("c1", "write", 1, 0, 1), ("c2", "write", 2, 0, 1), ("c3", "read", 1, 2, 3),
      ("c3", "read", 2, 4, 5), ("c4", "read", 2, 2, 3), ("c4", "read", 1, 4, 5)],
     "illegal", "illegal", "c3 sees 1 then 2, c4 sees 2 then 1: no single order for both"),
    ("readers-agree", "register",
     [("c1", "write", 1, 0, 1), ("c2", "write", 2, 0, 1), ("c3", "read", 1, 2, 3),
      ("c3", "read", 2, 4, 5), ("c4", "read", None, 2, 3), ("c4", "read", 2, 4, 5)],
     "ok", "illegal", "both readers fit the order nil, 1, 2 (c4 read nil late: stale but SC)"),
    ("dekker-two-keys", "register",
     [("p", "write", 1, 0, 1, "ok", "x"), ("p", "read", None, 2, 3, "ok", "y"),
      ("q", "write", 1, 0, 1, "ok", "y"), ("q", "read", None, 2, 3, "ok", "x")],
     "illegal", "illegal",
     "each process misses the other's write: fine per key, impossible overall (SC is not local)"),
    ("info-skipped", "register",
     [("c1", "write", 1, 0, 1, "info"), ("c2", "read", None, 2, 3)],
     "ok", "ok", "a timed-out write may never have happened"),
    ("info-took-effect", "register",
     [("c1", "write", 1, 0, 1, "info"), ("c2", "read", 1, 2, 3)],
     "ok", "ok", "... or it may have"),
    ("failed-write-dropped", "register",
     [("c1", "write", 1, 0, 1, "fail"), ("c2", "read", 1, 2, 3)],
     "illegal", "illegal", "a failed write did not happen, so nobody wrote 1"),
    ("cas-program-order", "cas-register",
     [("c1", "write", 1, 0, 1), ("c1", "cas", (1, 2), 2, 3), ("c2", "read", 2, 0, 1),
      ("c2", "read", 1, 2, 3)],
     "illegal", "illegal", "c2 reads 2 then 1, but 1 can only come before the cas to 2"),
    ("empty", "register", [], "ok", "ok", "nothing to explain"),
]


@pytest.mark.parametrize(("name", "model", "rows", "sc", "lin", "reason"), CORPUS,
                         ids=[c[0] for c in CORPUS])
def test_corpus(name: str, model: str, rows: list, sc: str, lin: str, reason: str) -> None:
    history = History.build(rows)
    result = check_sequential(history, model)
    assert result.verdict == sc, f"{name}: {reason}; got {result.explanation}"
    assert check(history, model).verdict == lin, f"{name} linearizability: {reason}"
    assert result.explanation
    if sc == "ok":
        assert_valid_order(history, model, result.witness)
    else:
        assert result.culprit and "not sequentially consistent" in result.explanation


def test_dekker_is_sequentially_consistent_per_key() -> None:
    rows = CORPUS[[c[0] for c in CORPUS].index("dekker-two-keys")][2]
    history = History.build(rows)
    for key in ("x", "y"):
        assert check_sequential([op for op in history if op.key == key]).verdict == "ok"


def test_too_many_ops_names_the_size() -> None:
    rows = [("c1", "write", i, 2 * i, 2 * i + 1) for i in range(13)]
    with pytest.raises(ValueError, match="13"):
        check_sequential(History.build(rows), "register")
    # fail ops do not count towards the limit
    rows[-1] = ("c1", "write", 12, 24, 25, "fail")
    assert check_sequential(History.build(rows), "register").verdict == "ok"


def test_explanation_names_the_stuck_op() -> None:
    rows = CORPUS[[c[0] for c in CORPUS].index("read-own-write-then-nil")][2]
    result = check_sequential(History.build(rows), "register")
    assert "c1 read -> None" in result.explanation


def assert_valid_order(history: History, model: str, witness: list[Op]) -> None:
    """Every ok op once, program order kept, the whole replay legal."""
    m = get_model(model)
    assert {op.id for op in history if op.status == "ok"} <= {op.id for op in witness}
    assert len({op.id for op in witness}) == len(witness)
    position = {op.id: n for n, op in enumerate(witness)}
    for a in witness:
        for b in witness:
            if a.process == b.process and a.call < b.call:
                assert position[a.id] < position[b.id], "program order violated"
    states: dict = {}
    for op in witness:
        ok, states[op.key] = m.step(states.get(op.key, m.init()), op)
        assert ok, f"witness step {op} illegal"


@st.composite
def small_register_runs(draw: st.DrawFn) -> History:
    """Up to 8 ops by 3 processes, each taking effect at a point inside its interval."""
    n = draw(st.integers(0, 8))
    clocks = {"a": 0, "b": 0, "c": 0}
    specs = []
    for i in range(n):
        process = draw(st.sampled_from(sorted(clocks)))
        call = clocks[process] + draw(st.integers(0, 3))
        point = call + draw(st.integers(0, 3))
        ret = point + draw(st.integers(0, 3))
        clocks[process] = ret + 1
        specs.append((point, i, process, draw(st.sampled_from(["read", "write"])), call, ret))
    history, state = History(), None
    for _point, i, process, f, call, ret in sorted(specs):
        if f == "write":
            state = i
            history.add(process, "write", i, call, ret)
        else:
            history.add(process, "read", None, call, ret, output=state)
    return history


@settings(max_examples=60, deadline=None)
@given(small_register_runs())
def test_linearizable_implies_sequentially_consistent(history: History) -> None:
    result = check_sequential(history, "register")
    assert check(history, "register").verdict == "ok"
    assert result.verdict == "ok", result.explanation
    assert_valid_order(history, "register", result.witness)
