"""Exercise registry and grader: which learner file is graded by which checks.

Theory of operation: an exercise ``name`` has a learner stub
``exercises/<name>.py`` (functions raising ``NotImplementedError`` with a
TODO) and a reference answer ``solutions/<name>.py``. Its checks live in the
grading module ``consensus_lab.grading.<name>``. :func:`run_checks` loads the
chosen answers file by path, under a fresh module name each time, and runs
every check in its own worker process (``python -m
consensus_lab.grading.worker``), so a learner's infinite loop is killed at the
timeout and reported as TIMEOUT instead of hanging the notebook or the CI.
Spawning a fresh interpreter (rather than forking) works the same on Linux,
macOS and Windows.

Entry points: ``consensus-lab check [EXERCISE] [--answers exercises|solutions|FILE]``
(:func:`check_main`), ``consensus-lab list`` (:func:`list_exercises`), and
``check("vector_clock")`` in a notebook.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

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
    two_phase_commit,
    vector_clock,
)
from consensus_lab.grading.base import LOAD_ERROR, TIMEOUT, Check, CheckResult, GradingFailure
from consensus_lab.grading.outcome import from_exception, passed
from consensus_lab.grading.report import format_report, report_html

__all__ = [
    "ANSWER_SETS", "Exercise", "GradingFailure", "CheckResult", "check", "check_main",
    "default_root", "format_report", "get_exercise", "list_exercises", "list_main",
    "load_answers", "run_checks", "run_check_in_process",
]

#: The two answer sets shipped in the repository; a path to a ``.py`` file also works.
ANSWER_SETS = ("exercises", "solutions")
DEFAULT_TIMEOUT_S = 10.0
_module_numbers = itertools.count(1)  # fresh module names for load_answers


@dataclass(frozen=True, slots=True, kw_only=True)
class Exercise:
    """One exercise: the learner file ``exercises/<name>.py`` and the checks that grade it."""

    name: str  # stem of exercises/<name>.py and solutions/<name>.py
    module: str  # the grading module that defines ``checks``
    title: str
    notebook: str  # the notebook that introduces the exercise
    checks: tuple[Check, ...]

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
                 checks=vector_clock.CHECKS),
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


# -- finding and loading answers ----------------------------------------------


def default_root() -> Path:
    """The repository root holding ``exercises/`` and ``solutions/``.

    ``$CONSENSUS_LAB_ROOT`` if set; else the first of the current directory,
    its parent (a notebook in ``notebooks/``) and the package's parent that
    has an ``exercises/`` folder; else the package's parent.
    """
    if env := os.environ.get("CONSENSUS_LAB_ROOT"):
        return Path(env)
    package_parent = Path(__file__).resolve().parent.parent
    for candidate in (Path.cwd(), Path.cwd().parent, package_parent):
        if (candidate / "exercises").is_dir():
            return candidate
    return package_parent


def answers_path(name: str, answers: str = "exercises", root: str | Path | None = None) -> Path:
    """The file graded for exercise ``name``: ``<root>/<answers>/<name>.py``, or ``answers`` itself
    when it is a path to a ``.py`` file."""
    get_exercise(name)
    if answers.endswith(".py"):
        return Path(answers)
    if answers not in ANSWER_SETS:
        raise ValueError(f"answers must be one of {', '.join(ANSWER_SETS)} or a path to a .py "
                         f"file, got {answers!r}")
    return Path(root if root is not None else default_root()) / answers / f"{name}.py"


def _shown_path(path: Path, root: str | Path | None) -> str:
    """``path`` relative to the root when possible (``exercises/vector_clock.py``)."""
    base = Path(root if root is not None else default_root()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return str(path)


def load_answers(name: str, answers: str = "exercises",
                 root: str | Path | None = None) -> ModuleType:
    """Import ``<root>/<answers>/<name>.py`` by path, as a fresh module every call."""
    path = answers_path(name, answers, root)
    if not path.is_file():
        raise FileNotFoundError(f"no answers file for exercise {name!r}: {path} does not exist")
    module_name = f"_consensus_lab_answers.{name}_{next(_module_numbers)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


# -- running checks -----------------------------------------------------------


def run_check_in_process(name: str, check_name: str, answers: str = "exercises",
                         root: str | Path | None = None) -> CheckResult:
    """Load the answers and run one check here (no timeout: the worker process uses this)."""
    exercise = get_exercise(name)
    check_ = exercise.check_named(check_name)
    path = answers_path(name, answers, root)
    shown = _shown_path(path, root)
    started = time.perf_counter()
    try:
        module = load_answers(name, answers, root)
    except Exception as exc:  # any import error is reported, not raised
        return CheckResult(exercise=name, check=check_.name, prop=check_.prop, status="ERROR",
                           kind=LOAD_ERROR, message=f"could not load {shown}: "
                           f"{type(exc).__name__}: {exc}", hint="fix the file so it imports",
                           answers_path=shown)
    try:
        check_.fn(module)
    except Exception as exc:  # classified into FAIL / ERROR
        return from_exception(exc, name, check_, learner_file=path, shown_path=shown,
                              duration_s=time.perf_counter() - started)
    return passed(name, check_, shown, time.perf_counter() - started)


def run_checks(name: str, answers: str = "exercises", *, timeout_s: float = DEFAULT_TIMEOUT_S,
               root: str | Path | None = None, only: Sequence[str] | None = None,
               jobs: int | None = None, isolate: bool = True) -> list[CheckResult]:
    """Run every check of exercise ``name`` (or those in ``only``), each in its own process.

    A check still running after ``timeout_s`` seconds (or its own longer
    ``Check.timeout_s``) is killed and reported as
    TIMEOUT. Checks run ``jobs`` at a time (default: the number of CPUs). With
    ``isolate=False`` the checks run one by one in this process, without a
    timeout (fast, and a debugger can step into them).
    """
    exercise = get_exercise(name)
    checks = [exercise.check_named(c) for c in only] if only is not None else list(exercise.checks)
    if not isolate:
        return [run_check_in_process(name, c.name, answers, root) for c in checks]
    path = answers_path(name, answers, root)
    resolved_root = Path(root) if root is not None else default_root()
    workers = max(1, min(jobs or os.cpu_count() or 1, len(checks) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_run_in_worker, name, c, answers, resolved_root, timeout_s,
                               _shown_path(path, resolved_root)) for c in checks]
        return [f.result() for f in futures]


def _run_in_worker(name: str, check_: Check, answers: str, root: Path, timeout_s: float,
                   shown: str) -> CheckResult:
    """Run one check in a fresh ``python -m consensus_lab.grading.worker`` process."""
    command = [sys.executable, "-m", "consensus_lab.grading.worker", name, check_.name,
               "--answers", answers, "--root", str(root)]
    common: dict[str, Any] = dict(exercise=name, check=check_.name, prop=check_.prop,
                                  answers_path=shown, hint=check_.hint)
    timeout_s = max(timeout_s, check_.timeout_s or 0.0)
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                              env=_worker_env(), check=False)
    except subprocess.TimeoutExpired:
        return CheckResult(status="TIMEOUT", kind=TIMEOUT, duration_s=timeout_s,
                           message=f"no answer within {timeout_s:g} s — an infinite loop, or a "
                           "loop that never reaches its exit condition?", **common)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return CheckResult(status="ERROR", kind="worker_crashed", trace=done.stderr[-2000:],
                           duration_s=time.perf_counter() - started,
                           message=f"the grading process exited with code {done.returncode}",
                           **common)
    return CheckResult.from_dict(json.loads(lines[-1]))


def _worker_env() -> dict[str, str]:
    """The environment for a worker: ours, with this package importable even if not installed."""
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parent.parent)
    existing = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = package_parent + (os.pathsep + existing if existing else "")
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


# -- front ends -----------------------------------------------------------------


def check(name: str | None = None, answers: str = "exercises", *,
          timeout_s: float = DEFAULT_TIMEOUT_S) -> Any:
    """Grade in a notebook: an ``ipywidgets.HTML`` showing the report for one or all exercises."""
    import ipywidgets

    names = [name] if name is not None else [ex.name for ex in list_exercises()]
    results = [r for n in names for r in run_checks(n, answers, timeout_s=timeout_s)]
    return ipywidgets.HTML(value=report_html(results))


def check_main(argv: Sequence[str] | None = None) -> int:
    """``consensus-lab check [EXERCISE] [--answers A] [--timeout S]``: exit 0 only if all pass."""
    parser = argparse.ArgumentParser(prog="consensus-lab check",
                                     description="Grade exercises (all when none is named).")
    parser.add_argument("exercise", nargs="?", choices=[ex.name for ex in list_exercises()])
    parser.add_argument("--answers", default="exercises",
                        help="exercises (your work, default), solutions, or a path to a .py file")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help="seconds allowed per check (default %(default)s)")
    args = parser.parse_args(argv)
    names = [args.exercise] if args.exercise else [ex.name for ex in list_exercises()]
    results = [r for n in names for r in run_checks(n, args.answers, timeout_s=args.timeout)]
    sys.stdout.write(format_report(results) + "\n")
    return 0 if all(r.passed for r in results) else 1


def list_main(argv: Sequence[str] | None = None) -> int:
    """``consensus-lab list``: one line per exercise with its title and notebook."""
    argparse.ArgumentParser(prog="consensus-lab list").parse_args(argv)
    for ex in list_exercises():
        sys.stdout.write(f"{ex.name:<20} {ex.title}\n{'':<20} {len(ex.checks)} checks, "
                         f"exercises/{ex.name}.py, {ex.notebook}\n")
    return 0


main = check_main

if __name__ == "__main__":
    sys.exit(check_main())
