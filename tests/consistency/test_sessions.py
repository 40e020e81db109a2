"""Session guarantees: each one violated and satisfied by a hand-written history."""

from __future__ import annotations

import pytest

from consensus_lab.consistency import History, check
from consensus_lab.consistency.sessions import (
    GUARANTEES,
    check_sessions,
    monotonic_reads,
    monotonic_writes,
    read_your_writes,
    version_order,
    writes_follow_reads,
)

# (name, guarantee, rows, explicit version order or None (= inferred), violated?, reason).
# Rows as in History.build: (process, f, value, call, ret[, status[, key]]).
CORPUS = [
    ("ryw-violated", "read-your-writes",
     [("c1", "write", 1, 0, 1), ("c1", "read", None, 2, 3)],
     None, True, "c1's read after its own acknowledged write returns the initial value"),
    ("ryw-others-stale-ok", "read-your-writes",
     [("c1", "write", 1, 0, 1), ("c2", "read", None, 2, 3), ("c1", "read", 1, 4, 5)],
     None, False, "c2's stale read is not c2's own write: RYW holds (linearizability does not)"),
    ("mr-violated", "monotonic-reads",
     [("c1", "write", 1, 0, 1), ("c1", "write", 2, 2, 3), ("c2", "read", 2, 4, 5),
      ("c2", "read", 1, 6, 7)],
     None, True, "c2 sees 2 and then the older 1"),
    ("mr-stale-but-monotonic", "monotonic-reads",
     [("c1", "write", 1, 0, 1), ("c1", "write", 2, 2, 3), ("c2", "read", 1, 4, 5),
      ("c2", "read", 2, 6, 7)],
     None, False, "c2 reads a stale 1 but never goes backwards"),
    ("mw-violated", "monotonic-writes",
     [("c1", "write", 1, 0, 1), ("c1", "write", 2, 2, 3)],
     {None: [2, 1]}, True, "the store applied c1's second write before its first"),
    ("mw-satisfied", "monotonic-writes",
     [("c1", "write", 1, 0, 1), ("c1", "write", 2, 2, 3)],
     {None: [1, 2]}, False, "the store kept c1's writes in session order"),
    ("mw-inferred-holds", "monotonic-writes",
     [("c1", "write", 1, 0, 1), ("c1", "write", 2, 2, 3), ("c2", "read", 2, 4, 5),
      ("c2", "read", 1, 6, 7)],
     None, False, "an inferred order never breaks MW (program order implies completion order)"),
    ("wfr-violated", "writes-follow-reads",
     [("c1", "write", 1, 0, 1), ("c2", "read", 1, 2, 3), ("c2", "write", 2, 4, 5)],
     {None: [2, 1]}, True, "c2 wrote 2 after reading 1, yet the store ordered 2 before 1"),
    ("wfr-satisfied", "writes-follow-reads",
     [("c1", "write", 1, 0, 1), ("c2", "read", 1, 2, 3), ("c2", "write", 2, 4, 5)],
     {None: [1, 2]}, False, "c2's write is ordered after the write it read"),
    ("wfr-violated-inferred", "writes-follow-reads",
     [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 2), ("c2", "write", 2, 3, 4),
      ("c3", "read", 1, 11, 12), ("c3", "read", 2, 13, 14)],
     None, True, "not linearizable, so completion order: 2 (acked t=4) before 1 (acked t=10)"),
    ("wfr-read-initial", "writes-follow-reads",
     [("c2", "read", None, 0, 1), ("c2", "write", 2, 2, 3)],
     None, False, "the initial value is older than every write"),
    ("ryw-kv-per-key", "read-your-writes",
     [("c1", "put", "a", 0, 1, "ok", "x"), ("c1", "get", "", 2, 3, "ok", "y"),
      ("c1", "get", "", 4, 5, "ok", "x")],
     None, True, "kv: c1's get of x misses its own put (its get of y is fine)"),
    # --- across keys (module docstring: only MW and WFR relate writes to different keys) ---
    ("ryw-other-key-unobservable", "read-your-writes",
     [("c1", "write", 1, 0, 1, "ok", "x"), ("c1", "read", None, 2, 3, "ok", "y")],
     None, False, "a read of y cannot show whether c1's write to x reached the server"),
    ("mr-other-key-unobservable", "monotonic-reads",
     [("c1", "write", 1, 0, 1, "ok", "x"), ("c2", "read", 1, 2, 3, "ok", "x"),
      ("c2", "read", None, 4, 5, "ok", "y")],
     None, False, "reading x then an unwritten y: no write of x is missed"),
    ("mw-across-keys", "monotonic-writes",
     [("c1", "write", 1, 0, 1, "ok", "x"), ("c1", "write", 2, 2, 3, "ok", "y"),
      ("c2", "read", 2, 4, 5, "ok", "y"), ("c2", "read", None, 6, 7, "ok", "x")],
     None, True, "c2 saw c1's second write (y=2) and then missed its first (x=1)"),
    ("mw-across-keys-in-order", "monotonic-writes",
     [("c1", "write", 1, 0, 1, "ok", "x"), ("c1", "write", 2, 2, 3, "ok", "y"),
      ("c2", "read", 2, 4, 5, "ok", "y"), ("c2", "read", 1, 6, 7, "ok", "x")],
     None, False, "c2 saw both writes, in c1's order"),
    ("mw-across-keys-read-first-write-first", "monotonic-writes",
     [("c1", "write", 1, 0, 1, "ok", "x"), ("c1", "write", 2, 2, 3, "ok", "y"),
      ("c2", "read", None, 4, 5, "ok", "x"), ("c2", "read", 2, 6, 7, "ok", "y")],
     None, False, "missing x before seeing y is just staleness, not an order breach"),
    ("wfr-across-keys", "writes-follow-reads",
     [("c0", "write", 1, 0, 1, "ok", "x"), ("c1", "read", 1, 2, 3, "ok", "x"),
      ("c1", "write", 2, 4, 5, "ok", "y"), ("c2", "read", 2, 6, 7, "ok", "y"),
      ("c2", "read", None, 8, 9, "ok", "x")],
     None, True, "the answer (y=2) without the question it followed (x=1)"),
    ("wfr-across-keys-holds", "writes-follow-reads",
     [("c0", "write", 1, 0, 1, "ok", "x"), ("c1", "read", 1, 2, 3, "ok", "x"),
      ("c1", "write", 2, 4, 5, "ok", "y"), ("c2", "read", 2, 6, 7, "ok", "y"),
      ("c2", "read", 1, 8, 9, "ok", "x")],
     None, False, "c2 saw the question and then the answer"),
]


@pytest.mark.parametrize(("name", "guarantee", "rows", "versions", "violated", "reason"),
                         CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus(name: str, guarantee: str, rows: list, versions: dict | None, violated: bool,
                reason: str) -> None:
    history = History.build(rows)
    found = GUARANTEES[guarantee](history, versions)
    assert bool(found) == violated, f"{name}: {reason}; got {[str(v) for v in found]}"
    for v in found:
        assert v.guarantee == guarantee and v.first.process == v.second.process == v.process
        assert v.first.call < v.second.call
        assert str(v) == v.reason and v.reason.startswith(v.process)
        if v.observed_by:  # across keys: another session saw the second write, then missed
            saw, missed = v.observed_by
            assert v.first.key != v.second.key and saw.process == missed.process != v.process
            assert saw.output == v.second.value and missed.key == v.first.key
            assert saw.call < missed.call
        else:
            assert v.first.key == v.second.key


def test_violation_names_the_ops() -> None:
    rows = [("c1", "write", 1, 0, 1), ("c1", "write", 2, 2, 3), ("c2", "read", 2, 4, 5),
            ("c2", "read", 1, 6, 7)]
    [v] = monotonic_reads(History.build(rows))
    assert (v.process, v.first.output, v.second.output) == ("c2", 2, 1)
    assert "c2 read 2" in v.reason and "later read 1" in v.reason


def test_one_violation_per_later_op_naming_the_newest_missed_write() -> None:
    rows = [("c1", "write", 1, 0, 1), ("c1", "write", 2, 2, 3), ("c1", "read", None, 4, 5)]
    [v] = read_your_writes(History.build(rows))
    assert v.first.value == 2


def test_linearizable_history_uses_the_witness_order() -> None:
    # completion order would be [2, 1]; the only linearization puts 1 before 2
    rows = [("q", "write", 1, 0, 10), ("r", "write", 2, 1, 2), ("p", "read", 1, 0.5, 0.8),
            ("p", "read", 2, 3, 4)]
    history = History.build(rows)
    assert check(history, "register").verdict == "ok"
    assert version_order(history) == {None: [1, 2]}
    assert monotonic_reads(history) == []
    assert monotonic_reads(history, {None: [2, 1]}), "under completion order p went backwards"


def test_non_linearizable_key_uses_completion_order() -> None:
    rows = [("c1", "write", 1, 0, 10), ("c2", "write", 2, 3, 4), ("c3", "read", 1, 11, 12),
            ("c3", "read", 2, 13, 14), ("c4", "write", 3, 20, 21, "info")]
    history = History.build(rows)
    assert check(history, "register").verdict == "illegal"
    assert version_order(history) == {None: [2, 1, 3]}, "by ret; info writes last"


def test_linearizable_histories_satisfy_every_guarantee() -> None:
    rows = [("c1", "write", 1, 0, 1), ("c2", "read", 1, 2, 3), ("c2", "write", 2, 4, 5),
            ("c1", "read", 2, 6, 7), ("c1", "write", 3, 8, 9), ("c2", "read", 3, 10, 11)]
    assert all(v == [] for v in check_sessions(History.build(rows)).values())


def test_check_sessions_reports_every_guarantee() -> None:
    rows = [("c1", "write", 1, 0, 1), ("c1", "read", None, 2, 3)]
    result = check_sessions(History.build(rows))
    assert set(result) == set(GUARANTEES)
    assert len(result["read-your-writes"]) == 1 and result["monotonic-writes"] == []


def test_fail_and_unknown_ops_ignored() -> None:
    rows = [("c1", "write", 1, 0, 1, "fail"), ("c1", "read", None, 2, 3),
            ("c1", "read", 7, 4, 5, "info"), ("c2", "read", 1, 6, 7)]
    assert all(v == [] for v in check_sessions(History.build(rows)).values())


def test_across_keys_names_the_observer() -> None:
    rows = [("c0", "write", 1, 0, 1, "ok", "x"), ("c1", "read", 1, 2, 3, "ok", "x"),
            ("c1", "write", 2, 4, 5, "ok", "y"), ("c2", "read", 2, 6, 7, "ok", "y"),
            ("c2", "read", None, 8, 9, "ok", "x")]
    [v] = writes_follow_reads(History.build(rows))
    assert v.reason == ("c1 read 1 of key 'x' and then wrote 2 of key 'y', but c2 read 2 of "
                        "key 'y' and then None of key 'x', which is older than 1: the write "
                        "arrived without the write it followed")
    assert [op.id for op in v.observed_by] == [3, 4]
    assert monotonic_writes(History.build(rows)) == [], "c1 wrote only once"


def test_duplicate_write_values_rejected() -> None:
    rows = [("c1", "write", 1, 0, 1), ("c2", "write", 1, 2, 3)]
    with pytest.raises(ValueError, match="unique"):
        writes_follow_reads(History.build(rows))


def test_unsupported_ops_rejected() -> None:
    rows = [("c1", "cas", (None, 1), 0, 1)]
    with pytest.raises(ValueError, match="read/write"):
        monotonic_writes(History.build(rows))
