"""Run an exercise's checks against an answers file: in this process, or in sandboxed workers.

Theory of operation: :func:`run_isolated` splits the checks over ``jobs``
worker processes (:mod:`.worker`); each imports the learner's module once
and runs its share in order. Every worker has a session of its own, a
marker in its environment, a memory limit and two files — results (JSON
events) and a log (its stdout and stderr) — so nothing depends on a pipe.
The parent polls the results files:

* no ``imported`` event within ``timeout_s`` of ``loading``: the module
  loops (or computes for ever) at import; one result says so, for all checks;
* ``load_error``: the module raised at import; one result says so;
* a check running longer than its limit: TIMEOUT for it; the worker is
  stopped and a new one takes the checks it had not started;
* the worker died mid-check: ERROR for that check (killed, out of memory?).

When a worker ends, its process group, its session and every process with
its marker are killed (:mod:`.sandbox`); any the learner left are named in
the result of the check that was running (or the last one), which then
does not pass.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
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
from consensus_lab.grading.outcome import from_exception, passed

#: How long a worker may take to start Python and the lab before it imports the answers.
STARTUP_S = 60.0
_POLL_S = 0.02
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


# -- the sandboxed workers --------------------------------------------------------


@dataclass(slots=True)
class _Worker:
    process: subprocess.Popen[bytes]
    token: str
    results: Path
    checks: list[Check]  # assigned, in order
    spawned_at: float
    loading_at: float | None = None
    imported: bool = False
    current: Check | None = None
    current_since: float = 0.0
    finished: set[str] = field(default_factory=set)
    offset: int = 0


@dataclass(slots=True)
class _Run:
    exercise: str
    answers: str
    root: Path
    shown: str
    timeout_s: float
    memory_mb: int
    folder: Path
    results: dict[str, CheckResult] = field(default_factory=dict)
    import_failure: CheckResult | None = None
    spawned: int = 0

    def limit(self, check: Check) -> float:
        return max(self.timeout_s, check.timeout_s or 0.0)

    def common(self, check: Check) -> dict[str, Any]:
        return dict(exercise=self.exercise, check=check.name, prop=check.prop,
                    answers_path=self.shown, hint=check.hint)


def run_isolated(exercise: str, checks: list[Check], answers_set: str, root: Path, *,
                 timeout_s: float, jobs: int, memory_mb: int | None = None) -> list[CheckResult]:
    """Run ``checks`` in sandboxed workers (see the module doc); results in ``checks`` order."""
    path = answers.answers_path(exercise, answers_set, root)
    with tempfile.TemporaryDirectory(prefix="consensus-lab-grading-") as folder:
        run = _Run(exercise=exercise, answers=answers_set, root=root,
                   shown=answers.shown_path(path, root), timeout_s=timeout_s,
                   memory_mb=memory_mb or sandbox.memory_limit_mb(), folder=Path(folder))
        width = max(1, min(jobs, len(checks)))
        queue = [checks[i::width] for i in range(width)]
        workers: list[_Worker] = []
        while (queue or workers) and run.import_failure is None:
            while queue and len(workers) < width:
                workers.append(_spawn(run, queue.pop(0)))
            time.sleep(_POLL_S)
            for worker in list(workers):
                leftover = _poll(run, worker)
                if leftover is not None:
                    workers.remove(worker)
                    if leftover:
                        queue.append(leftover)
        for worker in workers:  # after an import failure
            _finish(run, worker, attribute=False)
    if run.import_failure is not None:
        return [run.import_failure]
    return [run.results[c.name] for c in checks]


def _spawn(run: _Run, checks: list[Check]) -> _Worker:
    run.spawned += 1
    token = uuid.uuid4().hex
    results = run.folder / f"worker-{run.spawned}.jsonl"
    log = run.folder / f"worker-{run.spawned}.log"
    results.touch()
    command = [sys.executable, "-m", "consensus_lab.grading.worker", run.exercise,
               *(c.name for c in checks), "--answers", run.answers, "--root", str(run.root),
               "--results", str(results), "--memory-mb", str(run.memory_mb)]
    with open(log, "wb") as log_file:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log_file,
                                   stderr=subprocess.STDOUT, env=_worker_env(token),
                                   start_new_session=True)
    return _Worker(process=process, token=token, results=results, checks=checks,
                   spawned_at=time.monotonic())


def _events(worker: _Worker) -> list[dict[str, Any]]:
    """New complete lines of the worker's results file."""
    with open(worker.results, "rb") as f:
        f.seek(worker.offset)
        data = f.read()
    end = data.rfind(b"\n") + 1
    worker.offset += end
    out = []
    for line in data[:end].splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # not ours: the worker writes whole JSON lines only
    return out


def _poll(run: _Run, worker: _Worker) -> list[Check] | None:
    """Handle the worker's news; None while it runs, else the checks still to run elsewhere."""
    exited = worker.process.poll() is not None
    now = time.monotonic()
    for event in _events(worker):
        kind = event.get("event")
        if kind == "loading":
            worker.loading_at = now
        elif kind == "imported":
            worker.imported = True
        elif kind == "load_error":
            run.import_failure = _import_result(run, "ERROR", LOAD_ERROR, str(event["message"]))
            return _finish(run, worker, attribute=False)
        elif kind == "start":
            worker.current = next(c for c in worker.checks if c.name == event["check"])
            worker.current_since = now
        elif kind == "result":
            result = CheckResult.from_dict(event["result"])
            run.results[result.check] = result
            worker.finished.add(result.check)
            worker.current = None
    if not worker.imported:
        since = worker.loading_at
        if since is not None and now - since > run.timeout_s:
            message = (f"your module did not finish importing within {run.timeout_s:g} s — a "
                       f"loop (or a long computation) at the top level of {run.shown}? Code "
                       "outside functions runs at import; put it in a function")
            run.import_failure = _import_result(run, "TIMEOUT", TIMEOUT, message)
            return _finish(run, worker, attribute=False)
        if since is None and now - worker.spawned_at > STARTUP_S and not exited:
            run.import_failure = _import_result(
                run, "ERROR", "worker_crashed",
                f"the grading process did not start within {STARTUP_S:g} s (a very busy machine?)")
            return _finish(run, worker, attribute=False)
    current = worker.current
    if current is not None and now - worker.current_since > run.limit(current):
        limit = run.limit(current)
        run.results[current.name] = CheckResult(
            status="TIMEOUT", kind=TIMEOUT, duration_s=limit, **run.common(current),
            message=f"no answer within {limit:g} s — an infinite loop, or a loop that never "
                    "reaches its exit condition?")
        return _finish(run, worker)
    if exited:
        return _finish(run, worker)
    return None


def _finish(run: _Run, worker: _Worker, *, attribute: bool = True) -> list[Check]:
    """Stop the worker and everything it left; return its checks not yet started."""
    found = sandbox.strays(worker.token, worker.process.pid, exclude=(worker.process.pid,))
    sandbox.stop(found, group=worker.process.pid)
    if worker.process.poll() is None:
        worker.process.kill()
    code = worker.process.wait()
    for event in _events(worker):  # results written just before it exited
        if event.get("event") == "result":
            result = CheckResult.from_dict(event["result"])
            run.results[result.check] = result
            worker.finished.add(result.check)
            if worker.current is not None and worker.current.name == result.check:
                worker.current = None
    current = worker.current
    if attribute and current is not None and current.name not in run.results:
        run.results[current.name] = _crashed(run, current, worker, code)
    if attribute and found:
        target = current.name if current is not None else _last_finished(run, worker)
        if target is not None:
            run.results[target] = with_strays(run.results[target], found)
    started = {c.name for c in worker.checks if c.name in run.results}
    if current is not None:
        started.add(current.name)
    if not worker.imported and run.import_failure is None and attribute:
        run.import_failure = _import_result(
            run, "ERROR", "worker_crashed",
            f"the grading process exited with code {code} before it imported {run.shown}"
            f"{_log_tail(worker)}")
    return [c for c in worker.checks if c.name not in started]


def _last_finished(run: _Run, worker: _Worker) -> str | None:
    done = [c.name for c in worker.checks if c.name in worker.finished]
    return done[-1] if done else None


def _crashed(run: _Run, check: Check, worker: _Worker, code: int) -> CheckResult:
    if code < 0:
        why = (f"was killed by signal {-code}" + (" — out of memory?" if code == -9 else ""))
    else:
        why = f"exited with code {code} — does your code call exit() or os._exit()?"
    return CheckResult(status="ERROR", kind="worker_crashed", **run.common(check),
                       message=f"the grading process {why}", trace=_log_tail(worker).strip())


def _log_tail(worker: _Worker) -> str:
    try:
        text = worker.results.with_suffix(".log").read_text(errors="replace")
    except OSError:
        return ""
    return f"\n{text[-2000:]}" if text.strip() else ""


def _import_result(run: _Run, status: str, kind: str, message: str) -> CheckResult:
    return CheckResult(exercise=run.exercise, check=IMPORT_CHECK, prop="your module imports",
                       status=status, kind=kind, message=message,  # type: ignore[arg-type]
                       hint="fix the file so it imports", answers_path=run.shown,
                       duration_s=run.timeout_s if kind == TIMEOUT else 0.0)


def _worker_env(token: str) -> dict[str, str]:
    """Ours, with this package importable even if not installed, and the worker's marker."""
    env = dict(os.environ)
    existing = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = str(answers.PACKAGE_PARENT) + (os.pathsep + existing if existing else "")
    env.setdefault("PYTHONIOENCODING", "utf-8")
    env[sandbox.MARKER] = token
    return env
