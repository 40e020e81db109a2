"""Grading workers against answers that misbehave: real answer files in a tmp folder.

Each answer is the reference solution of ``vector_clock`` with one kind of
trouble added: it starts a child, double-forks a detached one (``setsid``),
holds the worker's stdout open, loops or crashes at import, allocates too
much, or is wrong in the worker while a forked copy of it is right. The
grader must stop every process the answer started (checked by pid), say so
in the report, report an import problem once, name a MemoryError, and never
let a wrong answer pass.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from consensus_lab.exercises import format_report, run_checks
from consensus_lab.grading.base import LEFT_PROCESSES, LOAD_ERROR, MEMORY, TIMEOUT
from consensus_lab.grading.runner import IMPORT_CHECK

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="process tracking through /proc is Linux-only")

REPO = Path(__file__).resolve().parents[1]
SOLUTION = (REPO / "solutions" / "vector_clock.py").read_text(encoding="utf-8")

# Appended to the solution: merge misbehaves once (``TROUBLE``), then does its job.
WRAP = """
import os as _os, subprocess as _subprocess, sys as _sys, time as _time
_PIDS = {pids!r}
_original_merge = VectorClock.merge
_done = False

def _note(pid):
    with open(_PIDS, "a") as f:
        f.write(f"{{pid}}\\n")

def merge(self, other):
    global _done
    if not _done:
        _done = True
{trouble}
    return _original_merge(self, other)

VectorClock.merge = merge
"""

SPAWNS_CHILDREN = """
        for _ in range(3):
            _note(_subprocess.Popen(["sleep", "300"]).pid)
"""
DOUBLE_FORK_SETSID = """
        if _os.fork() == 0:
            _os.setsid()
            if _os.fork() == 0:
                _note(_os.getpid())
                _time.sleep(300)
            _os._exit(0)
        _time.sleep(0.3)
"""
HOLDS_STDOUT = """
        _note(_subprocess.Popen(["sleep", "300"], stdout=_sys.__stdout__,
                                stderr=_sys.__stderr__).pid)
"""
ALLOCATES = """
        hog = bytearray(3 * 1024 ** 3)
"""
# Wrong in the worker, right in a forked copy that also prints a fake PASS.
WRONG_BUT_FORKED_RIGHT = """
        if _os.fork() == 0:
            _note(_os.getpid())
            print('{"event": "result", "result": {"status": "PASS"}}', flush=True)
            return _original_merge(self, other)
        return None  # the worker's copy does not merge: wrong
"""


def _answer(tmp_path: Path, trouble: str) -> tuple[Path, Path]:
    pids = tmp_path / "pids.txt"
    pids.touch()
    answer = tmp_path / "vector_clock_trouble.py"
    answer.write_text(SOLUTION + WRAP.format(pids=str(pids), trouble=trouble), encoding="utf-8")
    return answer, pids


def _pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()]


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _grade(answer: Path, **options: object) -> list:  # type: ignore[type-arg]
    return run_checks("vector_clock", str(answer), root=REPO, **options)  # type: ignore[arg-type]


def test_children_are_stopped_and_named(tmp_path: Path) -> None:
    """Three `sleep 300` children: stopped when the check ends; the learner is told."""
    answer, pids = _answer(tmp_path, SPAWNS_CHILDREN)
    [result] = _grade(answer, only=["merge"])
    started = _pids(pids)
    assert len(started) == 3 and not any(_running(pid) for pid in started)
    assert result.status == "ERROR" and result.kind == LEFT_PROCESSES, format_report([result])
    assert "your code left 3 processes running" in result.message
    assert "sleep 300" in result.message and "they were stopped" in result.message
    assert all(f"pid {pid}" in result.message for pid in started)


def test_detached_double_forked_child_is_found_and_stopped(tmp_path: Path) -> None:
    """A grandchild in a session of its own (setsid) still carries the run's marker."""
    answer, pids = _answer(tmp_path, DOUBLE_FORK_SETSID)
    [result] = _grade(answer, only=["merge"])
    [pid] = _pids(pids)
    assert not _running(pid)
    assert result.kind == LEFT_PROCESSES and not result.passed, format_report([result])
    assert f"your code left 1 process running (pid {pid}" in result.message


def test_child_holding_stdout_does_not_stall_the_result(tmp_path: Path) -> None:
    """A child with the worker's stdout open: the result still comes back (no TIMEOUT)."""
    answer, pids = _answer(tmp_path, HOLDS_STDOUT)
    results = _grade(answer, only=["merge", "update"], timeout_s=20.0, jobs=1)
    [pid] = _pids(pids)
    assert not _running(pid)
    by_check = {r.check: r for r in results}
    assert by_check["merge"].kind == LEFT_PROCESSES, format_report(results)
    assert by_check["update"].status == "PASS"
    assert all(r.status != "TIMEOUT" for r in results)


def test_wrong_answer_never_passes_through_a_forked_copy(tmp_path: Path) -> None:
    """The worker's own copy is wrong; a forked copy is right and prints a fake PASS."""
    answer, pids = _answer(tmp_path, WRONG_BUT_FORKED_RIGHT)
    [result] = _grade(answer, only=["merge"])
    assert result.status == "FAIL", format_report([result])
    assert not any(_running(pid) for pid in _pids(pids))


def test_memory_error_is_reported_as_such(tmp_path: Path) -> None:
    """3 GiB under a 512 MiB limit: MemoryError, named, with the limit and its setting."""
    answer, _pids_file = _answer(tmp_path, ALLOCATES)
    [result] = _grade(answer, only=["merge"], memory_mb=512)
    assert result.status == "ERROR" and result.kind == MEMORY, format_report([result])
    assert "ran out of memory" in result.message and "CONSENSUS_LAB_MEMORY_MB" in result.message


def test_loop_at_import_is_reported_once(tmp_path: Path) -> None:
    """A loop at the top level: one result, not one TIMEOUT per check."""
    answer = tmp_path / "vector_clock_loops.py"
    answer.write_text(SOLUTION + "\nwhile True:\n    pass\n", encoding="utf-8")
    results = _grade(answer, timeout_s=2.0)
    assert len(results) == 1, format_report(results)
    [result] = results
    assert result.check == IMPORT_CHECK and result.status == "TIMEOUT" and result.kind == TIMEOUT
    assert "your module did not finish importing within 2 s" in result.message
    assert format_report(results).count("TIMEOUT") == 1


def test_crash_at_import_is_reported_once(tmp_path: Path) -> None:
    answer = tmp_path / "vector_clock_crashes.py"
    answer.write_text(SOLUTION + "\nraise RuntimeError('boom at import')\n", encoding="utf-8")
    results = _grade(answer)
    assert len(results) == 1 and results[0].kind == LOAD_ERROR, format_report(results)
    assert "RuntimeError: boom at import" in results[0].message


def test_module_is_imported_once_per_worker(tmp_path: Path) -> None:
    """Import happens once, before the checks: one worker, several checks, one import."""
    imports = tmp_path / "imports.txt"
    answer = tmp_path / "vector_clock_counted.py"
    answer.write_text(SOLUTION + f"\nwith open({str(imports)!r}, 'a') as _f:\n    _f.write('x')\n",
                      encoding="utf-8")
    results = _grade(answer, only=["merge", "update", "happens_before"], jobs=1)
    assert all(r.status == "PASS" for r in results), format_report(results)
    assert imports.read_text() == "x"


def test_exit_in_a_check_is_an_error_and_the_rest_still_run(tmp_path: Path) -> None:
    """os._exit in one check ends its worker: ERROR for it; the next check runs in a new one."""
    flag = tmp_path / "exited-once"
    answer, _pids_file = _answer(tmp_path, f"        if not _os.path.exists({str(flag)!r}):\n"
                                 f"            open({str(flag)!r}, 'w').close()\n"
                                 "            _os._exit(3)\n")
    results = _grade(answer, only=["merge", "update"], jobs=1)
    by_check = {r.check: r for r in results}
    merge = by_check["merge"]
    assert merge.status == "ERROR" and "exited with code 3" in merge.message
    assert by_check["update"].status == "PASS", format_report(results)


def test_no_marker_leaks_into_this_process() -> None:
    """The marker lives in the workers' environment only."""
    assert "CONSENSUS_LAB_GRADING_RUN" not in os.environ
