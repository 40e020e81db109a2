"""Verdicts on Porcupine's test histories match EXPECTED.tsv (data beside the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

from consensus_lab.consistency.bench import read_expected
from consensus_lab.consistency.formats import default_model, guess_format, load
from consensus_lab.consistency.linearizability import check
from tests.shared_data import shared_missing, shared_path

# ../shared/bench-data/porcupine (or $CONSENSUS_LAB_SHARED/bench-data/porcupine)
DATA = shared_path("bench-data/porcupine", needs="EXPECTED.tsv") or Path("/nonexistent")
ROWS = read_expected(DATA) if (DATA / "EXPECTED.tsv").is_file() else []
SKIP = pytest.mark.skipif(not ROWS, reason=shared_missing("bench-data/porcupine",
                                                          needs="EXPECTED.tsv"))
# A fast, mixed subset: both verdicts, both formats, one file with many unknown outcomes.
FAST = {"test_data/jepsen/etcd_000.log", "test_data/jepsen/etcd_002.log",
        "test_data/jepsen/etcd_050.log", "test_data/jepsen/etcd_098.log",
        "test_data/kv/c01-ok.txt", "test_data/kv/c01-bad.txt", "test_data/kv/c10-ok.txt",
        "test_data/kv/c10-bad.txt"}


def _verdict(rel: str) -> str:
    path = DATA / rel
    fmt = guess_format(path)
    return check(load(path, fmt), default_model(fmt)).verdict


@SKIP
@pytest.mark.parametrize(("rel", "n_ops", "expected"),
                         [r for r in ROWS if r[0] in FAST] or [("", 0, True)])
def test_fast_subset_matches_expected(rel: str, n_ops: int, expected: bool) -> None:
    path = DATA / rel
    fmt = guess_format(path)
    history = load(path, fmt)
    assert len(history) == n_ops  # every invocation became one op (fail and info included)
    result = check(history, default_model(fmt))
    assert result.verdict == ("ok" if expected else "illegal")
    if not expected:  # the culprit prefix is not linearizable on its own, and is shorter
        assert check(result.culprit, default_model(fmt)).verdict == "illegal"
        assert len(result.culprit) < len(load(path, fmt))


@SKIP
def test_every_file_matches_expected() -> None:
    """All 109 files; about 3-4 s here, so not marked slow (the brief's bar is 20 s)."""
    wrong = [(rel, v) for rel, _n_ops, expected in ROWS
             if (v := _verdict(rel)) != ("ok" if expected else "illegal")]
    assert not wrong
    assert len(ROWS) == 109 and all(Path(DATA / rel).is_file() for rel, _, _ in ROWS)
