"""What a grading worker may leave behind, and how it is found and stopped.

Theory of operation: every worker starts in a session of its own
(``start_new_session=True``: its pid is the session and process-group id)
with a per-run marker in its environment, ``CONSENSUS_LAB_GRADING_RUN=<token>``.
Whatever the learner's code starts inherits both: a plain child stays in the
group, a double-forked one keeps the session, and one that calls ``setsid``
still carries the marker in its environment. :func:`strays` lists them on
Linux by reading ``/proc/<pid>/stat`` (the session) and
``/proc/<pid>/environ`` (the marker); :func:`stop` kills them with SIGKILL.
Elsewhere (no ``/proc``) only the process group is killed, which still stops
every child that did not detach.

The memory limit is set by the worker on itself before it imports the
learner's code (children inherit it): ``$CONSENSUS_LAB_MEMORY_MB`` MiB, 2048
by default; an allocation beyond it raises MemoryError, which the report
names as such. It is ``RLIMIT_DATA`` (the heap and private writable
mappings: everything Python allocates) where the kernel enforces it, as
Linux does, rather than ``RLIMIT_AS``: a real etcd started by a check
reserves gigabytes of address space it never touches (Go's heap arenas,
bbolt's read-only mmap of its database) and would not start under an
address-space cap; ``RLIMIT_AS`` is the fallback elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from consensus_lab.grading.answers import SettingError

MARKER = "CONSENSUS_LAB_GRADING_RUN"
MEMORY_VARIABLE = "CONSENSUS_LAB_MEMORY_MB"
DEFAULT_MEMORY_MB = 2048
MEMORY_RANGE_MB = (256, 65536)
_PROC = Path("/proc")


def memory_limit_mb() -> int:
    """``$CONSENSUS_LAB_MEMORY_MB`` (default 2048); SettingError naming it when unusable."""
    value = os.environ.get(MEMORY_VARIABLE, "")
    if not value:
        return DEFAULT_MEMORY_MB
    low, high = MEMORY_RANGE_MB
    try:
        limit = int(value)
    except ValueError:
        limit = -1
    if not low <= limit <= high:
        raise SettingError(f"the environment variable {MEMORY_VARIABLE} is set to {value!r}; it "
                           f"must be a whole number of MiB from {low} to {high} (default "
                           f"{DEFAULT_MEMORY_MB}), or unset")
    return limit


def limit_memory(megabytes: int) -> bool:
    """Cap this process's address space at ``megabytes`` MiB; False where that is impossible."""
    try:
        import resource
    except ImportError:  # Windows
        return False
    limit = megabytes * 1024 * 1024
    which = resource.RLIMIT_DATA if sys.platform.startswith("linux") else resource.RLIMIT_AS
    try:
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(which, (limit, hard))
    except (ValueError, OSError):
        return False
    return True


def limit_cpu(seconds: int) -> bool:
    """Cap this process's CPU time (RLIMIT_CPU: SIGXCPU, then SIGKILL); False where impossible."""
    try:
        import resource
    except ImportError:  # Windows
        return False
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        limit = seconds if hard == resource.RLIM_INFINITY else min(seconds, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
    except (ValueError, OSError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class Stray:
    """A process the learner's code left running."""

    pid: int
    command: str

    def __str__(self) -> str:
        return f"pid {self.pid}: {self.command}"


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, session id) of ``pid`` from /proc, or None."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    return fields[0], int(fields[3])


def _has_marker(pid: int, token: str) -> bool:
    try:
        environ = (_PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return False
    return f"{MARKER}={token}".encode() in environ.split(b"\0")


def _command(pid: int) -> str:
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return "?"
    text = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    return text[:80] or "?"


def strays(token: str, session: int, *, exclude: tuple[int, ...] = ()) -> list[Stray]:
    """Live processes in ``session`` or carrying the marker ``token`` (Linux; else [])."""
    if not _PROC.is_dir():
        return []
    found = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        pid = int(entry.name)
        stat = _stat(pid)
        if stat is None or stat[0] in ("Z", "X"):
            continue
        if stat[1] == session or _has_marker(pid, token):
            found.append(Stray(pid, _command(pid)))
    return sorted(found, key=lambda s: s.pid)


def stop(found: list[Stray], *, group: int | None = None) -> None:
    """SIGKILL process group ``group`` (if given) and every stray; reap our own children."""
    killpg = getattr(os, "killpg", None)
    if group is not None and killpg is not None:
        with contextlib.suppress(OSError):
            killpg(group, signal.SIGKILL)
    for stray in found:
        with contextlib.suppress(OSError):
            os.kill(stray.pid, signal.SIGKILL)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        _reap()
        if all(_gone(s.pid) for s in found):
            return
        time.sleep(0.01)


def _reap() -> None:
    waitpid = getattr(os, "waitpid", None)
    while waitpid is not None:
        try:
            pid, _status = waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _gone(pid: int) -> bool:
    stat = _stat(pid)
    return stat is None or stat[0] in ("Z", "X")


def left_behind_note(found: list[Stray]) -> str:
    """What the learner is told: how many processes, which, and that they were stopped."""
    listed = "; ".join(str(s) for s in found[:5]) + ("; …" if len(found) > 5 else "")
    noun = "process" if len(found) == 1 else "processes"
    return (f"your code left {len(found)} {noun} running ({listed}); they were stopped — "
            "wait for every process you start (or do not start any)")
