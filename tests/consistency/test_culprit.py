"""The minimal culprit of an illegal history: shrinking, 1-minimality, budget, explanation."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus_lab.consistency import History, check, get_model
from consensus_lab.consistency.bench import read_expected
from consensus_lab.consistency.culprit import remove
from consensus_lab.consistency.formats import default_model, guess_format, load
from tests.shared_data import shared_missing, shared_path

GOOD_READ = [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3), ("c3", "read", 1, 4, 5)]
STALE_READ = [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3), ("c3", "read", None, 4, 5)]


def _ids(ops) -> set[int]:
    return {op.id for op in ops}


def test_chapter_good_read_is_linearizable() -> None:
    result = check(History.build(GOOD_READ), "register")
    assert result.verdict == "ok" and result.culprit == [] and result.prefix == []


def test_chapter_stale_read_culprit_is_exactly_the_three_ops() -> None:
    history = History.build(STALE_READ)
    result = check(history, "register")
    assert result.verdict == "illegal" and result.minimal
    assert _ids(result.culprit) == {0, 1, 2}
    assert [str(op) for op in result.culprit] == [str(op) for op in history]  # as recorded
    text = result.explanation
    assert text.startswith("not linearizable: c3 read -> None @[4,5] returned None")
    assert "c1 write(1) @[0,10] had already taken effect" in text
    assert "c2 read -> 1 @[1,3] saw it" in text and "t=3" in text and "t=4" in text


def test_culprit_strictly_smaller_than_the_prefix() -> None:
    # c3's read of 1 after write(2) completed; the earlier ops on the key are innocent
    rows = [("c1", "write", 1, 0, 1), ("c2", "read", 1, 2, 3), ("c1", "write", 2, 4, 5),
            ("c2", "read", 2, 6, 7), ("c3", "read", 1, 8, 9), ("c4", "write", 3, 20, 21)]
    result = check(History.build(rows), "register")
    assert result.verdict == "illegal" and result.minimal
    assert len(result.prefix) == 5, "every op called by t=9"
    assert _ids(result.culprit) == {0, 2, 4}, "write(1), write(2), the stale read of 1"
    assert result.explanation == (
        "not linearizable: c3 read -> 1 @[8,9] returned 1, but c1 write(2) @[4,5] had completed "
        "at t=5, before the read began at t=8, and no operation that could take effect in "
        "between leads from 2 to 1")


def test_stale_pair_of_reads_after_concurrent_writes() -> None:
    rows = [("c1", "write", 1, 0, 5), ("c2", "write", 2, 0, 5), ("c3", "read", 1, 6, 7),
            ("c4", "read", 2, 8, 9)]
    result = check(History.build(rows), "register")
    assert _ids(result.culprit) == {0, 1, 2, 3}
    assert ("c4 read -> 2 @[8,9] returned 2, but c3 read -> 1 @[6,7] had returned 1 at t=7, "
            "before c4's read began at t=8") in result.explanation


def test_other_small_culprits_enumerate_every_order() -> None:
    """Two cas that each need the other's value first (etcd_010's culprit)."""
    rows = [("c1", "cas", (4, 0), 32, 35), ("c3", "cas", (0, 4), 34, 36)]
    result = check(History.build(rows), "cas-register")
    assert _ids(result.culprit) == {0, 1} and result.minimal
    assert result.explanation == (
        "not linearizable: no order of these 2 operations works (c1 cas(4, 0) -> True @[32,35], "
        "c3 cas(0, 4) -> True @[34,36]): every order left fails: c1 cas(4, 0) -> True @[32,35] "
        "fails while the value is still None (nothing written before it); c3 cas(0, 4) -> True "
        "@[34,36] fails while the value is still None (nothing written before it)")
    rows = [("c1", "write", 1, 0, 1), ("c1", "write", 2, 2, 3), ("c2", "cas", (1, 3), 4, 5)]
    text = check(History.build(rows), "cas-register").explanation
    assert text.startswith("not linearizable: real time allows only one order of these 3 "
                           "operations, c1 write(1) @[0,1], c1 write(2) @[2,3], c2 cas(1, 3)")
    assert "c2 cas(1, 3) -> True @[4,5] fails after c1 write(2) @[2,3] (the value is then 2)" \
        in text


def test_read_after_completed_write_sentence() -> None:
    rows = [("c1", "write", 1, 0, 1), ("c2", "read", None, 2, 3)]
    result = check(History.build(rows), "register")
    assert result.explanation == ("not linearizable: c2 read -> None @[2,3] returned None, but "
                                  "c1 write(1) @[0,1] had completed at t=1, before the read "
                                  "began at t=2")


def test_value_nobody_wrote_is_a_culprit_of_one() -> None:
    rows = [("c1", "write", 1, 0, 2), ("c2", "read", 7, 3, 4), ("c3", "read", 1, 5, 6)]
    result = check(History.build(rows), "register")
    assert _ids(result.culprit) == {1}
    assert "returned 7, but no operation invoked by t=4 wrote 7" in result.explanation


def test_removing_a_write_removes_the_reads_that_depended_on_it() -> None:
    ops = History.build(STALE_READ).ops
    model = get_model("register")
    assert _ids(remove(ops, [ops[0]], model)) == {2}, "c2's read of 1 has no writer left"
    assert _ids(remove(ops, [ops[2]], model)) == {0, 1}
    lone = History.build([("c2", "read", 7, 0, 1), ("c1", "write", 1, 2, 3)]).ops
    assert _ids(remove(lone, [lone[1]], model)) == {0}, "unexplained from the start: it stays"


def test_budget_hit_keeps_an_illegal_set_and_says_so() -> None:
    rows = [(f"w{i}", "write", i, 0, 1) for i in range(6)]
    rows += [("r", "read", 0, 2, 3), ("r", "read", 1, 4, 5)]
    history = History.build(rows)
    full = check(history, "register")
    assert full.minimal and len(full.culprit) < len(full.prefix)
    cut = check(history, "register", shrink_nodes=1)
    assert cut.verdict == "illegal" and not cut.minimal
    assert len(full.culprit) < len(cut.culprit) <= len(cut.prefix)
    assert "shrinking stopped after 1 re-checks" in cut.explanation
    assert "may not be a minimal set" in cut.explanation
    assert check(cut.culprit, "register").verdict == "illegal"
    none = check(history, "register", shrink_nodes=0)
    assert not none.minimal and _ids(none.culprit) == _ids(history.ops)


@st.composite
def small_register_history(draw: st.DrawFn) -> History:
    """Random reads and writes (values 1-2, reads of None/1/2), some unknown outcomes."""
    history = History()
    for i in range(draw(st.integers(1, 6))):
        call = draw(st.integers(0, 8))
        ret = call + draw(st.integers(0, 5))
        status = draw(st.sampled_from(["ok", "ok", "ok", "info"]))
        if draw(st.booleans()):
            history.add(f"c{i}", "read", None, call, ret,
                        output=draw(st.sampled_from([None, 1, 2])), status=status)
        else:
            history.add(f"c{i}", "write", draw(st.integers(1, 2)), call, ret, status=status)
    return history


@settings(max_examples=300, deadline=None)
@given(small_register_history())
def test_culprit_is_illegal_and_one_minimal(history: History) -> None:
    """Whenever check says illegal: the culprit is illegal, and taking out any one op (with
    the ops that depended on it, see culprit.remove) leaves a linearizable history."""
    result = check(history, "register")
    if result.verdict != "illegal":
        return
    model = get_model("register")
    assert result.minimal and result.culprit
    assert check(result.culprit, model).verdict == "illegal"
    assert check(result.prefix, model).verdict == "illegal"
    for op in result.culprit:
        rest = remove(result.culprit, [op], model)
        assert check(rest, model).verdict == "ok", f"without {op} still illegal: {rest}"


DATA = shared_path("bench-data/porcupine", needs="EXPECTED.tsv") or Path("/nonexistent")
ROWS = read_expected(DATA) if (DATA / "EXPECTED.tsv").is_file() else []
NO_DATA = shared_missing("bench-data/porcupine", needs="EXPECTED.tsv")


@pytest.mark.skipif(not ROWS, reason=NO_DATA)
@pytest.mark.parametrize(("rel", "size", "sentence"), [
    ("test_data/kv/c10-bad.txt", 5, "had returned 'x 3 0 yx 3 1 yx 4 0 y' at t=51"),
    ("test_data/jepsen/etcd_000.log", 3, "had already taken effect"),
    ("test_data/jepsen/etcd_001.log", 4, "the only operation that could write it"),
    ("test_data/jepsen/etcd_030.log", 2, "had completed at t=36"),
])
def test_real_histories_shrink_to_a_few_ops(rel: str, size: int, sentence: str) -> None:
    fmt = guess_format(DATA / rel)
    model = get_model(default_model(fmt))
    result = check(load(DATA / rel, fmt), model)
    assert result.verdict == "illegal" and result.minimal
    assert len(result.culprit) == size < len(result.prefix)
    assert check(result.culprit, model).verdict == "illegal"
    assert check(result.prefix, model).verdict == "illegal"
    for op in result.culprit:
        assert check(remove(result.culprit, [op], model), model).verdict == "ok"
    assert sentence in result.explanation


@pytest.mark.skipif(not ROWS, reason=NO_DATA)
def test_big_kv_history_stays_fast_and_says_when_shrinking_stopped() -> None:
    """c50-bad: the default budget stops shrinking early (a smaller illegal set, flagged);
    a bigger budget reaches the 1-minimal 11 ops: a put the get began after, and the appends
    that built the older string it returned."""
    history = load(DATA / "test_data/kv/c50-bad.txt")
    quick = check(history, "kv")
    assert quick.verdict == "illegal" and not quick.minimal
    assert len(quick.culprit) < len(quick.prefix)
    assert check(quick.culprit, "kv").verdict == "illegal"
    assert "shrinking stopped after" in quick.explanation
    full = check(history, "kv", shrink_nodes=300_000)
    assert full.minimal and len(full.culprit) == 11
    assert [op.f for op in full.culprit].count("append") == 9
    assert "3 put 1('x 3 8 y') @[716,731] had completed at t=731" in full.explanation


def test_a_failed_compare_against_nil_needs_some_write() -> None:
    ops = History.build([("c1", "write", 2, 0, 1), ("c2", "cas", (None, 1), 2, 3, "false"),
                         ("c3", "cas", (5, 1), 4, 5, "false")]).ops
    model = get_model("cas-register")
    assert _ids(remove(ops, [ops[0]], model)) == {2}, "compare with nil fails only after a write"
