"""Run an exercise's checks against an answers file: judged, or in this process.

Theory of operation: :func:`run_judged` runs every check *here*, in the
trusted judge, against a proxy of the learner's module (:mod:`.proxy`);
only the learner's functions run, in an oracle process (:mod:`.oracle`).
The checks are split over ``jobs`` threads, each with an oracle of its own
that imports the learner's file once and serves its share in order. So the
verdict is always computed from values the judge received:

* the file does not import (raises, loops, exits): one result says so, for
  all checks;
* no answer before a check's limit: TIMEOUT for it; the oracle is killed and
  a fresh one serves the next check;
* the oracle died mid-check (``os._exit``, ``sys.exit``, ``SystemExit``, a
  signal, a broken message): ERROR for that check, a fresh oracle next;
* after every check, processes the learner's code left (in the oracle's
  session or carrying its marker, :mod:`.sandbox`) are stopped and named in
  that check's result, which then does not pass.
"""

from __future__ import annotations

import importlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from consensus_lab.grading import answers, sandbox
from consensus_lab.grading.base import (
    LEFT_PROCESSES,
    LOAD_ERROR,
    MEMORY,
    TIMEOUT,
    Check,
    CheckResult,
)
from consensus_lab.grading.oracle import ImportFailure, Oracle, OracleDied, OracleTimeout
from consensus_lab.grading.outcome import from_exception, passed
from consensus_lab.grading.proxy import proxy_module

#: The oracle's CPU-time cap beyond the sum of its checks' limits (RLIMIT_CPU, a backstop).
CPU_MARGIN_S = 120
IMPORT_CHECK = "import"  # the check name of the one result for a module that does not import


def checks_of(exercise: str) -> tuple[Check, ...]:
    """The ``CHECKS`` of grading module ``consensus_lab.grading.<exercise>``."""
    module = importlib.import_module(f"consensus_lab.grading.{exercise}")
    return tuple(module.CHECKS)


def check_named(exercise: str, check_name: str) -> Check:
    """The check called ``check_name``; ValueError listing the valid names otherwise."""
    checks = checks_of(exercise)
    for candidate in checks:
        if candidate.name == check_name:
            return candidate
    names = ", ".join(c.name for c in checks)
    raise ValueError(f"exercise {exercise!r} has no check {check_name!r}; checks: {names}")


def load_error_message(exc: BaseException, shown: str) -> str:
    """What the learner reads when their file does not import."""
    if isinstance(exc, MemoryError):
        return f"{shown} ran out of memory while importing ({memory_note()})"
    return f"could not load {shown}: {type(exc).__name__}: {exc}"


def memory_note() -> str:
    """The memory limit, and how to change it."""
    return (f"the grader allows {sandbox.memory_limit_mb()} MiB; set "
            f"{sandbox.MEMORY_VARIABLE} to change it")


def run_loaded(exercise: str, check: Check, module: ModuleType, path: Path, shown: str,
               started: float) -> CheckResult:
    """Run ``check`` on the imported ``module``; whatever happens becomes a CheckResult."""
    try:
        check.fn(module)
    except MemoryError:
        return CheckResult(exercise=exercise, check=check.name, prop=check.prop, status="ERROR",
                           kind=MEMORY, hint=check.hint, answers_path=shown,
                           duration_s=time.perf_counter() - started,
                           message=f"MemoryError: your code ran out of memory ({memory_note()})"
                           " — a list or dict that grows without end?")
    except Exception as exc:  # classified into FAIL / ERROR / SKIP
        return from_exception(exc, exercise, check, learner_file=path, shown_path=shown,
                              duration_s=time.perf_counter() - started)
    return passed(exercise, check, shown, time.perf_counter() - started)


def run_check_in_process(exercise: str, check_name: str, answers_set: str = "exercises",
                         root: str | Path | None = None) -> CheckResult:
    """Load the answers and run one check here (no timeout, no sandbox)."""
    check = check_named(exercise, check_name)
    path = answers.answers_path(exercise, answers_set, root)
    shown = answers.shown_path(path, root)
    started = time.perf_counter()
    try:
        module = answers.load_file(exercise, path)
    except Exception as exc:  # any import error is reported, not raised
        return CheckResult(exercise=exercise, check=check.name, prop=check.prop,
                           status="ERROR", kind=LOAD_ERROR, hint="fix the file so it imports",
                           message=load_error_message(exc, shown), answers_path=shown)
    return run_loaded(exercise, check, module, path, shown, started)


def with_strays(result: CheckResult, found: list[sandbox.Stray]) -> CheckResult:
    """``result`` with the note about left-over processes; a PASS becomes an ERROR."""
    note = sandbox.left_behind_note(found)
    if result.passed:
        return replace(result, status="ERROR", kind=LEFT_PROCESSES,
                       message=f"the answers were right, but {note}")
    return replace(result, message=f"{result.message} (also: {note})")


# -- the judge ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Judging:
    """What every check of one run shares."""

    exercise: str
    path: Path
    shown: str
    timeout_s: float
    memory_mb: int
    by_reference: tuple[str, ...]

    def limit(self, check: Check) -> float:
        """The check's time limit: the run's, or the check's own longer one."""
        return max(self.timeout_s, check.timeout_s or 0.0)

    def common(self, check: Check) -> dict[str, Any]:
        """The fields every result of ``check`` carries."""
        return dict(exercise=self.exercise, check=check.name, prop=check.prop,
                    answers_path=self.shown, hint=check.hint)


def run_judged(exercise: str, checks: list[Check], path: Path, shown: str, *,
               timeout_s: float, jobs: int, memory_mb: int | None = None,
               by_reference: tuple[str, ...] = ()) -> list[CheckResult]:
    """Run ``checks`` in the judge against oracles (see the module doc); results in order."""
    run = Judging(exercise=exercise, path=path, shown=shown, timeout_s=timeout_s,
                  memory_mb=memory_mb or sandbox.memory_limit_mb(), by_reference=by_reference)
    width = max(1, min(jobs, len(checks)))
    shares = [checks[i::width] for i in range(width)]
    if width == 1:
        outcomes = [_run_share(run, shares[0])]
    else:
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="judge") as pool:
            outcomes = list(pool.map(partial_share(run), shares))
    for outcome in outcomes:
        if isinstance(outcome, CheckResult):
            return [outcome]  # the module does not import: one result says so
    by_name = {r.check: r for outcome in outcomes for r in outcome}  # type: ignore[union-attr]
    return [by_name[c.name] for c in checks]


def partial_share(run: Judging) -> Any:
    """``_run_share`` with ``run`` bound (for the thread pool)."""
    return lambda share: _run_share(run, share)


def _run_share(run: Judging, share: list[Check]) -> list[CheckResult] | CheckResult:
    """Judge ``share`` in order with one oracle, replaced whenever it dies."""
    results: list[CheckResult] = []
    oracle: Oracle | None = None
    cpu_s = int(sum(run.limit(c) for c in share)) + CPU_MARGIN_S
    try:
        for check in share:
            if oracle is None or not oracle.alive:
                if oracle is not None:
                    oracle.stop()
                oracle = Oracle(exercise=run.exercise, path=run.path, shown=run.shown,
                                memory_mb=run.memory_mb, cpu_s=cpu_s,
                                by_reference=run.by_reference)
                failure = oracle.start(run.timeout_s)
                if failure is not None:
                    left = oracle.stop()
                    if not results:
                        return _import_result(run, failure, left)
                    results.append(CheckResult(status="ERROR", kind=failure.kind,
                                               message=failure.message, **run.common(check)))
                    oracle = None
                    continue
                module = proxy_module(oracle, run.path)
            results.append(_judge_one(run, check, oracle, module))
    finally:
        if oracle is not None:
            oracle.stop()
    return results


def _judge_one(run: Judging, check: Check, oracle: Oracle, module: ModuleType) -> CheckResult:
    """Run ``check`` here against the proxy ``module``; the oracle's fate overrides a PASS."""
    limit = run.limit(check)
    started = time.perf_counter()
    try:
        oracle.begin_check(limit)
        result = run_loaded(run.exercise, check, module, run.path, run.shown, started)
    except OracleTimeout as late:
        result = _timed_out(run, check, limit, late)
    except OracleDied as died:
        result = _crashed(run, check, oracle, died)
    finally:
        oracle.end_check()
    if oracle.failure is not None and result.kind not in (TIMEOUT, "worker_crashed"):
        failure = oracle.failure  # the check swallowed it: it still does not pass
        result = (_timed_out(run, check, limit, failure) if isinstance(failure, OracleTimeout)
                  else _crashed(run, check, oracle, failure))
    found = oracle.strays()
    if found:
        sandbox.stop(found)
        result = with_strays(result, found)
    return result


def _timed_out(run: Judging, check: Check, limit: float, late: BaseException) -> CheckResult:
    return CheckResult(status="TIMEOUT", kind=TIMEOUT, duration_s=limit, message=str(late),
                       **run.common(check))


def _crashed(run: Judging, check: Check, oracle: Oracle, died: BaseException) -> CheckResult:
    return CheckResult(status="ERROR", kind="worker_crashed", **run.common(check),
                       message=f"the grading process {died}", trace=oracle.log_tail().strip())


def _import_result(run: Judging, failure: ImportFailure,
                   left: list[sandbox.Stray]) -> CheckResult:
    result = CheckResult(exercise=run.exercise, check=IMPORT_CHECK, prop="your module imports",
                         status=failure.status, kind=failure.kind,  # type: ignore[arg-type]
                         message=failure.message, hint="fix the file so it imports",
                         answers_path=run.shown,
                         duration_s=run.timeout_s if failure.kind == TIMEOUT else 0.0)
    return with_strays(result, left) if left else result
