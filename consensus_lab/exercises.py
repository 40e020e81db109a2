"""Exercise registry: which learner file is graded by which checks, and the front ends.

Theory of operation: an exercise ``name`` has a learner stub
``exercises/<name>.py`` (functions raising ``NotImplementedError`` with a
TODO) and a reference answer ``solutions/<name>.py``. Its checks live in the
grading module ``consensus_lab.grading.<name>``. This module names the
exercises (title, notebook) and checks a name before anything runs; the
machinery is in :mod:`consensus_lab.grading` (this module imports it, never
the reverse): :mod:`~consensus_lab.grading.answers` finds and imports the
answers file, :mod:`~consensus_lab.grading.runner` runs the checks in the
trusted judge against a proxy of the learner's module whose functions run in
a sandboxed oracle process (:mod:`~consensus_lab.grading.oracle`) — one
import per oracle, a timeout per check, memory and CPU limits, and every
process the learner's code left behind stopped and reported. A class the
checks build and use (``VectorClock``) is passed *by reference*: it lives in
the oracle and the judge holds handles to its instances.

Points: every check is worth 1, a check that runs a simulator or a search
(a sweep, a model check, a scenario, a story on a cluster) 3
(:func:`points_for`), unless the grading module set its own.

Entry points: ``check("vector_clock")`` in a notebook, :func:`run_checks`,
:func:`list_exercises`; the command line ``consensus-lab check`` is
:mod:`consensus_lab.cli.check`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from consensus_lab.grading import (
    answers as _answers,
)
from consensus_lab.grading import (
    causal_delivery,
    commit_wait,
    consistency_choice,
    fencing_lock,
    paxos_acceptor,
    paxos_proposer,
    raft_append_entries,
    raft_commit_rule,
    raft_request_vote,
    register_model,
    runner,
    two_phase_commit,
    vector_clock,
)
from consensus_lab.grading.answers import ANSWER_SETS, AnswersNotFound, SettingError, default_root
from consensus_lab.grading.base import SLOW_CHECK_S, Check, CheckResult, GradingFailure
from consensus_lab.grading.report import format_report, report_html

__all__ = [
    "ANSWER_SETS", "AnswersNotFound", "CheckResult", "Exercise", "GradingFailure",
    "SettingError", "answers_path", "check", "default_root", "format_report", "get_exercise",
    "list_exercises", "load_answers", "parts_of", "run_check_in_process", "run_checks",
]

DEFAULT_TIMEOUT_S = 10.0
#: Check names (or name prefixes) that run a simulator, a search or a cluster: 3 points.
_SCENARIO_WORDS = ("sweep", "model_check", "scenario_", "figure8", "everest", "causal_broadcast",
                   "pause_story", "real_etcd", "porcupine", "brute_force_random", "split_vote",
                   "lost_commit", "two_writes")


def points_for(check: Check) -> Check:
    """``check`` with its points: as set, else 3 for a scenario or sweep check, 1 otherwise."""
    if check.points != 1:
        return check
    big = check.name.startswith(_SCENARIO_WORDS) or (check.timeout_s or 0) >= SLOW_CHECK_S
    return replace(check, points=3) if big else check


@dataclass(frozen=True, slots=True, kw_only=True)
class Exercise:
    """One exercise: the learner file ``exercises/<name>.py`` and the checks that grade it."""

    name: str  # stem of exercises/<name>.py and solutions/<name>.py
    module: str  # the grading module that defines ``checks``
    title: str
    notebook: str  # the notebook that introduces the exercise
    checks: tuple[Check, ...]
    by_reference: tuple[str, ...] = ()  # learner classes that live in the oracle

    def __post_init__(self) -> None:
        object.__setattr__(self, "checks", tuple(points_for(c) for c in self.checks))

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts its checks belong to, in order ("" is no part)."""
        return tuple(sorted({c.part for c in self.checks if c.part}))

    def check_named(self, check_name: str) -> Check:
        """The check called ``check_name``; ValueError listing the valid names otherwise."""
        for candidate in self.checks:
            if candidate.name == check_name:
                return candidate
        names = ", ".join(c.name for c in self.checks)
        raise ValueError(f"exercise {self.name!r} has no check {check_name!r}; checks: {names}")


_EXERCISES: dict[str, Exercise] = {
    ex.name: ex
    for ex in (
        Exercise(name="register_model", module=register_model.__name__,
                 title="The CAS register's model (線性一致性): read, write, cas; a brute-force "
                 "checker",
                 notebook="notebooks/01-consistency-models.ipynb",
                 checks=register_model.CHECKS),
        Exercise(name="vector_clock", module=vector_clock.__name__,
                 title="Vector clocks (向量時鐘): merge, update, happens-before, concurrent",
                 notebook="notebooks/03-causality.ipynb",
                 checks=vector_clock.CHECKS, by_reference=("VectorClock",)),
        Exercise(name="causal_delivery", module=causal_delivery.__name__,
                 title="Causal delivery (因果一致性): when may a broadcast be delivered?",
                 notebook="notebooks/03-causality.ipynb",
                 checks=causal_delivery.CHECKS),
        Exercise(name="raft_request_vote", module=raft_request_vote.__name__,
                 title="Raft's vote (Leader 選舉): stale terms, one vote per term, "
                 "the election restriction",
                 notebook="notebooks/05-raft-election.ipynb",
                 checks=raft_request_vote.CHECKS),
        Exercise(name="raft_append_entries", module=raft_append_entries.__name__,
                 title="Raft's AppendEntries (日誌複製): the consistency check, the hint, "
                 "the merge",
                 notebook="notebooks/06-raft-replication.ipynb",
                 checks=raft_append_entries.CHECKS),
        Exercise(name="raft_commit_rule", module=raft_commit_rule.__name__,
                 title="Raft's commit rule (安全性保證): a majority, and an entry of the "
                 "leader's own term",
                 notebook="notebooks/07-raft-safety.ipynb",
                 checks=raft_commit_rule.CHECKS),
        Exercise(name="paxos_acceptor", module=paxos_acceptor.__name__,
                 title="The Paxos acceptor (接受者): promise, accept, and what a Promise "
                 "reports",
                 notebook="notebooks/08-paxos.ipynb",
                 checks=paxos_acceptor.CHECKS),
        Exercise(name="paxos_proposer", module=paxos_proposer.__name__,
                 title="The Paxos proposer's value (提議者, rule P2c): the highest-ballot "
                 "accepted value, else your own",
                 notebook="notebooks/08-paxos.ipynb",
                 checks=paxos_proposer.CHECKS),
        Exercise(name="consistency_choice", module=consistency_choice.__name__,
                 title="Pick the consistency model (練習 1): social post, bank transfer, "
                 "DNS update",
                 notebook="notebooks/12-exercise-consistency-choice.ipynb",
                 checks=consistency_choice.CHECKS),
        Exercise(name="two_phase_commit", module=two_phase_commit.__name__,
                 title="Two-phase commit (兩階段提交): the coordinator's decision and "
                 "recovery, the in-doubt participant",
                 notebook="notebooks/09-atomic-commit.ipynb",
                 checks=two_phase_commit.CHECKS),
        Exercise(name="commit_wait", module=commit_wait.__name__,
                 title="Spanner's commit wait (提交等待): s = TT.now().latest, then wait "
                 "until TT.after(s)",
                 notebook="notebooks/10-spanner-truetime.ipynb",
                 checks=commit_wait.CHECKS),
        Exercise(name="fencing_lock", module=fencing_lock.__name__,
                 title="A distributed lock with a fencing token (練習 2): acquire by txn on a "
                 "lease, release your own, reject stale tokens",
                 notebook="notebooks/13-exercise-distributed-lock.ipynb",
                 checks=fencing_lock.CHECKS),
    )
}


def list_exercises() -> list[Exercise]:
    """Every registered exercise, in teaching order."""
    return list(_EXERCISES.values())


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name``; ValueError listing the valid names otherwise."""
    try:
        return _EXERCISES[name]
    except KeyError:
        raise ValueError(
            f"no exercise {name!r}; exercises: {', '.join(_EXERCISES)}"
        ) from None


def answers_path(name: str, answers: str = "exercises", root: str | Path | None = None) -> Path:
    """The file graded for exercise ``name``: ``<root>/<answers>/<name>.py`` for an answer set,
    ``<answers>/<name>.py`` for a folder, or ``answers`` itself for a ``.py`` file."""
    get_exercise(name)
    return _answers.answers_path(name, answers, root)


def load_answers(name: str, answers: str = "exercises",
                 root: str | Path | None = None) -> ModuleType:
    """Import the answers of exercise ``name`` by path, as a fresh module every call."""
    return _answers.load_file(name, answers_path(name, answers, root))


def run_check_in_process(name: str, check_name: str, answers: str = "exercises",
                         root: str | Path | None = None) -> CheckResult:
    """Load the answers and run one check here (no timeout, no sandbox)."""
    get_exercise(name).check_named(check_name)
    return runner.run_check_in_process(name, check_name, answers, root)


def parts_of(name: str) -> tuple[str, ...]:
    """The parts of exercise ``name`` ("A", "B", ...); () when it has none."""
    return get_exercise(name).parts


def select_checks(name: str, only: Sequence[str] | None = None,
                  part: str | None = None) -> list[Check]:
    """The checks to run: ``only`` these, or those of ``part``; ValueError names the allowed."""
    exercise = get_exercise(name)
    checks = [exercise.check_named(c) for c in only] if only is not None else list(exercise.checks)
    if part is not None:
        if part not in exercise.parts:
            allowed = ", ".join(exercise.parts) or "none (its checks have no parts)"
            raise ValueError(f"exercise {name!r} has no part {part!r}; parts: {allowed}")
        checks = [c for c in checks if c.part == part]
    return checks


def run_checks(name: str, answers: str = "exercises", *, timeout_s: float = DEFAULT_TIMEOUT_S,
               root: str | Path | None = None, only: Sequence[str] | None = None,
               jobs: int | None = None, isolate: bool = True,
               memory_mb: int | None = None, part: str | None = None) -> list[CheckResult]:
    """Run every check of exercise ``name`` (or those in ``only``, or of ``part``).

    Judged (the default, ``isolate=True``): each check runs in this process
    against a proxy of the answers, whose functions run in a sandboxed oracle
    process; ``jobs`` oracles at a time (default: the number of CPUs), each
    importing the answers once; a check whose learner code has not answered
    after ``timeout_s`` seconds (or the check's own longer ``Check.timeout_s``)
    is TIMEOUT and its oracle killed; a module that does not import (or loops
    at import) gives one result saying so. ``memory_mb`` caps each oracle's
    memory (default ``$CONSENSUS_LAB_MEMORY_MB`` or 2048). With
    ``isolate=False`` the answers are imported here and the checks run one by
    one without a timeout (fast, and a debugger can step into them; never for
    code you do not trust). Each result carries its check's points and part.
    """
    exercise = get_exercise(name)
    checks = select_checks(name, only, part)
    if not isinstance(timeout_s, (int, float)) or not 0 < timeout_s <= 3600:
        raise ValueError(f"timeout_s must be a number of seconds in (0, 3600], got {timeout_s!r}")
    path = answers_path(name, answers, root)
    if not isolate:
        results = [run_check_in_process(name, c.name, answers, root) for c in checks]
        return _scored(results, checks)
    if not path.is_file():
        raise FileNotFoundError(f"no answers file for exercise {name!r}: {path} does not exist")
    shown = _answers.shown_path(path, root)
    results = runner.run_judged(name, checks, path, shown, timeout_s=timeout_s,
                                jobs=jobs or os.cpu_count() or 1, memory_mb=memory_mb,
                                by_reference=exercise.by_reference)
    return _scored(results, checks)


def _scored(results: list[CheckResult], checks: list[Check]) -> list[CheckResult]:
    """The results with their checks' points and parts (an import failure: all the points)."""
    by_name = {c.name: c for c in checks}
    scored = []
    for result in results:
        check = by_name.get(result.check)
        if check is None:  # the one result of a module that does not import
            scored.append(replace(result, points=sum(c.points for c in checks)))
        else:
            scored.append(replace(result, points=check.points, part=check.part))
    return scored


def check(name: str | None = None, answers: str = "exercises", *,
          timeout_s: float = DEFAULT_TIMEOUT_S) -> Any:
    """Grade in a notebook: an ``ipywidgets.HTML`` showing the report for one or all exercises."""
    import ipywidgets

    names = [name] if name is not None else [ex.name for ex in list_exercises()]
    results = [r for n in names for r in run_checks(n, answers, timeout_s=timeout_s)]
    return ipywidgets.HTML(value=report_html(results))
