"""The external-consistency checker on small hand-made histories, each with its reason.

Spanner §4.1.2: "if the start of a transaction T2 occurs after the commit of
a transaction T1, then the commit timestamp of T2 must be greater than the
commit timestamp of T1."
"""

from __future__ import annotations

import pytest

from consensus_lab.sim import History
from consensus_lab.spanner import CommittedTxn, check_external_consistency, committed_transactions


def t(name: str, start: int, end: int, ts: int) -> CommittedTxn:
    return CommittedTxn(name=name, client="c1", start=start, end=end, ts=ts)


GOOD = [
    ([t("T1", 0, 10, 5), t("T2", 11, 20, 15)], "in real-time order, rising timestamps"),
    ([t("T1", 0, 10, 50), t("T2", 5, 20, 15)], "they overlap: any order is fine"),
    ([t("T1", 0, 10, 50), t("T2", 10, 20, 15)], "T2 starts the instant T1 ends: not after"),
    ([], "nothing to check"),
]
BAD = [
    ([t("T1", 0, 10, 50), t("T2", 11, 20, 15)], ("T1", "T2"), "T2 after T1, smaller s"),
    ([t("T1", 0, 10, 15), t("T2", 11, 20, 15)], ("T1", "T2"), "equal timestamps"),
    ([t("T1", 0, 10, 40), t("T3", 0, 12, 60), t("T2", 13, 30, 50)], ("T3", "T2"),
     "the culprit is the largest s finished before T2 began"),
]


@pytest.mark.parametrize(("txns", "reason"), GOOD)
def test_externally_consistent_histories_pass(txns: list[CommittedTxn], reason: str) -> None:
    result = check_external_consistency(txns)
    assert result.ok and result.explanation == "", reason


@pytest.mark.parametrize(("txns", "pair", "reason"), BAD)
def test_violations_name_the_pair(txns: list[CommittedTxn], pair: tuple[str, str],
                                  reason: str) -> None:
    result = check_external_consistency(txns)
    assert not result.ok, reason
    first = result.violations[0]
    assert (first.first.name, first.second.name) == pair, reason


def test_explanation_gives_the_times_and_what_a_snapshot_read_sees() -> None:
    result = check_external_consistency([t("T1", 0, 10, 50), t("T2", 11, 20, 15)])
    assert result.explanation == (
        "T1 (c1) got its answer at t=10 with s=50; T2 (c1) started later, at t=11, yet got "
        "s=15, a smaller timestamp than T1's. External consistency needs s(T1) < s(T2) "
        "(Spanner §4.1.2). A snapshot read at any timestamp in [15, 49] sees T2's writes but "
        "not T1's, though T1 finished first.")


def test_history_of_a_run_is_read_from_ok_txns_only() -> None:
    history = History()
    history.add("c1", "invoke", "txn", None, (("x", 1),), 0, 1)
    history.add("c1", "ok", "txn", None, 30, 10, 1)
    history.add("c2", "invoke", "txn", None, (("y", 1),), 11, 2)
    history.add("c2", "ok", "txn", None, 20, 15, 2)
    history.add("c3", "invoke", "txn", None, (("z", 1),), 12, 3)
    history.add("c3", "fail", "txn", None, {"error": "no"}, 14, 3)
    assert [x.name for x in committed_transactions(history)] == ["T1", "T2"]
    assert not check_external_consistency(history).ok


def test_bad_records_are_refused() -> None:
    with pytest.raises(ValueError, match="T1 ends at t=3 before it starts at t=5"):
        t("T1", 5, 3, 1)
    with pytest.raises(TypeError, match="T1.ts must be an int"):
        t("T1", 0, 3, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected CommittedTxn records, got tuple"):
        check_external_consistency([(0, 1, 2)])  # type: ignore[list-item]
