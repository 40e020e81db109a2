"""Histories from the AP store with vector-clock siblings, fed to the checkers."""

from __future__ import annotations

import pytest

from consensus_lab.consistency import History, Op, check, check_sessions
from consensus_lab.consistency.models import Siblings, plain
from consensus_lab.consistency.sessions import monotonic_reads, read_your_writes
from consensus_lab.stores import Versioned, Write, partition_experiment


def _read(i: int, process: str, values: tuple, call: float, ret: float, key: str = "x") -> Op:
    return Op(id=i, process=process, f="read", key=key, output=Versioned(values=values),
              call=call, ret=ret)


def _write(i: int, process: str, value: str, call: float, ret: float, key: str = "x") -> Op:
    return Op(id=i, process=process, f="write", key=key, value=Write(value=value), call=call,
              ret=ret)


def test_plain_unwraps_writes_and_reads() -> None:
    assert plain(_write(0, "c1", "a", 0, 1)).value == "a"
    assert plain(_read(1, "c1", (), 0, 1)).output is None, "no sibling: never written"
    assert plain(_read(2, "c1", ("a",), 0, 1)).output == "a"
    two = plain(_read(3, "c1", ("a", "b"), 0, 1)).output
    assert two == Siblings(("a", "b")) and str(two) == "{'a', 'b'}"
    op = Op(id=4, process="c1", f="read", output=3)
    assert plain(op) is op, "nothing to unwrap: the same op"


def test_one_sibling_reads_are_judged_like_plain_reads() -> None:
    ops = [_write(0, "c1", "a", 0, 1), _read(1, "c2", ("a",), 2, 3), _read(2, "c3", (), 0, 1)]
    assert check(ops, "register").verdict == "ok"


def test_two_siblings_are_not_linearizable_and_the_explanation_says_so() -> None:
    ops = [_write(0, "c1", "a", 0, 2), _write(1, "c2", "b", 0, 2),
           _read(2, "c3", ("a", "b"), 3, 4), _read(3, "c1", ("a",), 5, 6, key="y")]
    result = check(ops, "register")
    assert result.verdict == "illegal" and result.key == "x"
    assert {op.id for op in result.culprit} == {0, 1, 2}, "the read and the two writes it saw"
    assert "c3 read x -> {'a', 'b'} @[3,4] returned 2 siblings" in result.explanation
    assert "holds one value at a time" in result.explanation


def test_a_siblings_read_observes_every_write_among_them() -> None:
    ops = [_write(0, "c1", "a", 0, 1), _write(1, "c2", "b", 0, 2),
           _read(2, "c1", ("a", "b"), 3, 4), _read(3, "c2", ("a", "b"), 5, 6)]
    assert read_your_writes(ops) == [], "each client's own write is among the siblings"
    later = [*ops, _read(4, "c1", ("a",), 7, 8)]
    [v] = monotonic_reads(later, {"x": ["a", "b"]})
    assert v.first.id == 2 and v.second.id == 4
    assert "c1 read {'a', 'b'} of key 'x' and later read 'a'" in v.reason


@pytest.fixture(scope="module")
def siblings_run() -> History:
    return History.from_sim(partition_experiment("ap-siblings", seed=1).history)


def test_real_ap_siblings_run(siblings_run: History) -> None:
    multi = [op for op in siblings_run if isinstance(plain(op).output, Siblings)]
    assert multi, "the partition made concurrent writes that a read returned together"
    result = check(siblings_run, "register")
    assert result.verdict == "illegal" and result.minimal
    assert "siblings" in result.explanation
    assert [op for op in result.culprit if isinstance(op.output, Siblings)]
    sessions = check_sessions(siblings_run)
    assert set(sessions) == {"read-your-writes", "monotonic-reads", "monotonic-writes",
                             "writes-follow-reads"}
    for violations in sessions.values():
        for v in violations:
            assert v.reason.startswith(v.process)


def test_real_cp_run_is_linearizable() -> None:
    history = History.from_sim(partition_experiment("cp", seed=1).history)
    result = check(history, "register")
    assert result.verdict == "ok", result.explanation
    assert all(v == [] for v in check_sessions(history).values())
