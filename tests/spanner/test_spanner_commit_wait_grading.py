"""The ``commit_wait`` exercise: its store-level checks catch the bugs that matter.

The unit checks catching every file in tests/buggy/commit_wait_*.py are in
tests/test_exercise_grading.py (KNOWN_BUGS); here: the simulated checks put
the learner's rules into every shard leader and find the external-consistency
violation, with the pair, the times and the trace.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from consensus_lab.exercises import format_report, run_checks
from consensus_lab.grading import commit_wait
from consensus_lab.grading.base import INVARIANT

REPO = Path(__file__).resolve().parents[2]
BUGGY = REPO / "tests" / "buggy"


@pytest.mark.parametrize("filename", ["commit_wait_no_wait.py", "commit_wait_waits_on_latest.py",
                                      "commit_wait_earliest_timestamp.py"])
def test_two_write_story_catches_the_bug_in_the_store(filename: str) -> None:
    [result] = run_checks("commit_wait", str(BUGGY / filename), root=REPO, only=["two_writes"],
                          isolate=False)
    assert result.status == "FAIL" and result.kind == INVARIANT, format_report([result])
    assert "External consistency needs s(T1) < s(T2)" in result.message
    assert "got its answer at t=" in result.message and result.trace


def test_solution_passes_every_check_in_process() -> None:
    results = run_checks("commit_wait", "solutions", root=REPO, isolate=False)
    assert [r.check for r in results] == [c.name for c in commit_wait.CHECKS]
    assert all(r.passed for r in results), format_report(results)


def test_replay_reruns_a_sweep_seed_with_the_chosen_answers() -> None:
    assert commit_wait.replay(3, "solutions").ok
    assert commit_wait.replay(3, str(BUGGY / "commit_wait_no_wait.py")).checked == 30
