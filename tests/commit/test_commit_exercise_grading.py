"""The two_phase_commit exercise: the simulated checks catch each known bug, with a
counterexample the learner can replay; the solution passes, the stub is not implemented."""

from __future__ import annotations

from pathlib import Path

import pytest

from consensus_lab.exercises import format_report, run_checks
from consensus_lab.grading import two_phase_commit as grading

REPO = Path(__file__).resolve().parents[2]
BUGGY = REPO / "tests" / "buggy"

#: buggy file -> (a simulated check that must catch it, a phrase of its message)
SIMULATED_CATCHES = {
    "two_phase_commit_majority.py": ("model_check", "committed but"),
    "two_phase_commit_forgets_prepared.py": ("model_check", "reboot p"),
    "two_phase_commit_recovers_commit.py": ("model_check", "reboot c1"),
    "two_phase_commit_commit_on_timeout.py": ("sweep", "committed but"),
}


def test_solution_passes_every_check():
    results = run_checks("two_phase_commit", "solutions", root=REPO, isolate=False)
    assert [r.check for r in results] == [c.name for c in grading.CHECKS]
    assert all(r.passed for r in results), format_report(results)


def test_stub_is_not_implemented_everywhere():
    results = run_checks("two_phase_commit", "exercises", root=REPO, isolate=False)
    assert {r.kind for r in results} == {"not_implemented"}


@pytest.mark.parametrize("filename", sorted(SIMULATED_CATCHES))
def test_simulated_checks_catch_the_bug(filename):
    check, phrase = SIMULATED_CATCHES[filename]
    [result] = run_checks("two_phase_commit", str(BUGGY / filename), root=REPO, only=[check],
                          isolate=False)
    assert result.status == "FAIL" and result.kind == "invariant", format_report([result])
    assert phrase in result.message, result.message
    assert result.trace or result.seed is not None


def test_model_check_helper_gives_the_counterexample():
    clean = grading.model_check("solutions")
    assert all(r.ok and r.complete for r in clean)
    found = grading.model_check(str(BUGGY / "two_phase_commit_majority.py"))
    cx = next(r.violation for r in found if r.violation is not None)
    assert cx.invariant == "atomicity" and len(cx) <= 10
    assert "INVARIANT atomicity VIOLATED" in cx.trace_text()


def test_a_wrong_kind_of_answer_is_reported(tmp_path):
    answers = tmp_path / "two_phase_commit.py"
    answers.write_text((REPO / "solutions" / "two_phase_commit.py").read_text().replace(
        'return "ask" if voted_yes else "abort"', 'return "wait"'))
    [result] = run_checks("two_phase_commit", str(answers), root=REPO, only=["sweep"],
                          isolate=False)
    assert result.status == "FAIL" and "participant_timeout(True) returned 'wait'" in \
        result.message


def test_learner_rules_run_inside_the_step_protocol():
    """The grader plugs the learner's functions into the pure 2PC protocol: the commit
    decision comes from ``coordinator_decision``, still logged before it is sent."""
    from consensus_lab.commit import twopc
    from consensus_lab.commit.messages import Vote
    from consensus_lab.grading.answers import load_answers
    from consensus_lab.sim.step import Deliver, Persist, Send

    rules = grading.rules_of(load_answers("two_phase_commit", "solutions"))
    protocol = grading.RuleCoordinatorProtocol(rules)
    state, _ = protocol.start("c1", ("p1", "p2", "p3"), {})
    for p in ("p1", "p2", "p3"):
        state, effects = protocol.step(state, Deliver(p, Vote(tx="T1", yes=True)))
    assert state.phase == "committed" and dict(state.votes) == {"p1": True, "p2": True,
                                                                 "p3": True}
    persist = next(i for i, e in enumerate(effects) if isinstance(e, Persist))
    first_send = next(i for i, e in enumerate(effects) if isinstance(e, Send))
    assert persist < first_send and effects[persist].rule == twopc.RULE_COMMIT_POINT
