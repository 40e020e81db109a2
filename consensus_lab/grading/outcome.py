"""Turn what happened during one check (nothing, or an exception) into a CheckResult.

A :class:`~consensus_lab.grading.base.GradingFailure` is a FAIL with the
check's own message; :class:`~consensus_lab.grading.base.CheckSkipped` is a
SKIP with its reason. A ``NotImplementedError`` anywhere in the exception
chain (a simulator may wrap it) is a FAIL that names the stub function still
to write. Any other exception is an ERROR that names the learner's function
and line where it was raised. An exception rebuilt from the oracle
(:func:`.oracle.rebuild_exception`) carries that function and line, and the
oracle's traceback text, as ``oracle_*`` attributes.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from consensus_lab.grading.base import (
    EXCEPTION,
    NOT_IMPLEMENTED,
    SKIPPED,
    Check,
    CheckResult,
    CheckSkipped,
    GradingFailure,
)


def passed(exercise: str, check: Check, shown_path: str, duration_s: float) -> CheckResult:
    """The result of a check that returned normally."""
    return CheckResult(exercise=exercise, check=check.name, prop=check.prop, status="PASS",
                                       answers_path=shown_path, duration_s=duration_s)


def from_exception(exc: BaseException, exercise: str, check: Check, *, learner_file: Path,
                   shown_path: str, duration_s: float) -> CheckResult:
    """Classify ``exc`` raised while running ``check`` against ``learner_file``."""
    common: dict[str, Any] = dict(exercise=exercise, check=check.name, prop=check.prop,
                                  answers_path=shown_path, duration_s=duration_s)
    todo = _find_in_chain(exc, NotImplementedError)
    if todo is not None:
        where = (_learner_function(todo.__traceback__, learner_file)
                 or getattr(todo, "oracle_function", "") or "a function")
        return CheckResult(status="FAIL", kind=NOT_IMPLEMENTED, hint=check.hint,
                           message=f"not implemented yet: {where} — see the TODO in {shown_path}",
                           **common)
    if isinstance(exc, CheckSkipped):
        return CheckResult(status="SKIP", kind=SKIPPED, message=exc.message,
                           **common)
    if isinstance(exc, GradingFailure):
        return CheckResult(status="FAIL", kind=exc.kind, message=exc.message,
                           hint=exc.hint or check.hint, seed=exc.seed, trace=exc.trace,
                           replay=exc.replay, **{**common, "prop": exc.prop or check.prop})
    return _error(exc, check, learner_file, shown_path, common)


def _error(exc: BaseException, check: Check, learner_file: Path, shown_path: str,
           common: dict[str, Any]) -> CheckResult:
    """An unexpected exception: say what, and where in the learner's file."""
    where = _learner_location(exc.__traceback__, learner_file, shown_path)
    remote = _find_remote(exc)
    function = str(getattr(remote, "oracle_function", "")) if remote is not None else ""
    if not where and function:
        where = f"{function}, {shown_path} line {getattr(remote, 'oracle_line', 0)}"
    message = f"{type(exc).__name__}: {exc}" + (f" (raised in {where})" if where else "")
    tail = "".join(traceback.format_exception(exc)[-6:]).rstrip()
    remote_trace = str(getattr(remote, "oracle_trace", "")) if remote is not None else ""
    if remote_trace:
        tail = f"{tail}\n-- in your code (the grading sandbox) --\n{remote_trace.rstrip()}"
    return CheckResult(status="ERROR", kind=EXCEPTION, message=message, hint=check.hint,
                       trace=tail, **common)


def _find_in_chain(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of type ``kind`` in ``exc`` and its causes / contexts."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _find_remote(exc: BaseException) -> BaseException | None:
    """The first exception in ``exc``'s chain that came from the oracle."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if hasattr(current, "oracle_trace"):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _learner_frames(tb: TracebackType | None, learner_file: Path) -> list[TracebackType]:
    """Traceback entries whose code lives in the learner's file, outermost first."""
    target = _resolve(learner_file)
    frames = []
    while tb is not None:
        if _resolve(Path(tb.tb_frame.f_code.co_filename)) == target:
            frames.append(tb)
        tb = tb.tb_next
    return frames


def _learner_function(tb: TracebackType | None, learner_file: Path) -> str | None:
    """Qualified name of the innermost learner function in the traceback (``VectorClock.merge``)."""
    frames = _learner_frames(tb, learner_file)
    if not frames:
        return None
    code = frames[-1].tb_frame.f_code
    return getattr(code, "co_qualname", code.co_name)


def _learner_location(tb: TracebackType | None, learner_file: Path, shown_path: str) -> str:
    """``"VectorClock.merge, exercises/vector_clock.py line 57"`` or ``""``."""
    frames = _learner_frames(tb, learner_file)
    if not frames:
        return ""
    code = frames[-1].tb_frame.f_code
    return f"{getattr(code, 'co_qualname', code.co_name)}, {shown_path} line {frames[-1].tb_lineno}"


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path
