"""``consensus-lab demo 2pc | 3pc | saga``: narrative, table, digest, exit codes."""

from __future__ import annotations

import re

import pytest

from consensus_lab.cli import main

DIGEST = re.compile(r"trace digest: ([0-9a-f]{64})\s*$")


def run(capsys, *argv):
    code = main(["demo", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_2pc_coordinator_crash_shows_blocking(capsys):
    code, out, _ = run(capsys, "2pc", "--crash", "coordinator-after-prepare", "--seed", "3")
    assert code == 0 and DIGEST.search(out)
    assert "** crash c1" in out and "recover: no decision logged" in out
    rows = re.findall(r"^\s+(p\d)\s+(\w+)\s+(\d+)\s+(\d+)$", out, re.M)
    assert len(rows) == 3 and all(int(doubt) >= 500 for _, _, doubt, _ in rows)


def test_2pc_same_seed_same_digest(capsys):
    first = DIGEST.search(run(capsys, "2pc", "--seed", "7")[1]).group(1)
    again = DIGEST.search(run(capsys, "2pc", "--seed", "7")[1]).group(1)
    other = DIGEST.search(run(capsys, "2pc", "--seed", "8")[1]).group(1)
    assert first == again != other


def test_2pc_vote_no_and_replicated(capsys):
    code, out, _ = run(capsys, "2pc", "--vote-no", "p2")
    assert code == 0 and out.count("aborted") >= 3
    code, out, _ = run(capsys, "2pc", "--replicated", "--crash", "coordinator-after-prepare")
    assert code == 0 and "committed" in out and "every participant decided" in out


def test_3pc_partition_reports_violation(capsys):
    code, out, _ = run(capsys, "3pc", "--partition", "--seed", "1")
    assert code == 0 and "VIOLATION atomicity" in out and DIGEST.search(out)


def test_saga_table(capsys):
    code, out, _ = run(capsys, "saga", "--fail-step", "2")
    assert code == 0 and "outcome compensated" in out and "undone" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["2pc", "--crash", "bogus"], "argument --crash: must be one of none, "),
    (["2pc", "--crash", "coordinator-after-prepare", "--vote-no", "p1"], "one at a time"),
    (["2pc", "--vote-no", "p9"], "argument --vote-no: must be one of p1, p2, p3, got 'p9'"),
    (["saga", "--fail-step", "7"], "argument --fail-step: must be a step from 1 to --steps (3)"),
])
def test_bad_arguments_exit_2(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err
