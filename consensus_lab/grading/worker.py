"""A grading worker: import the learner's module once, then run checks one by one.

``python -m consensus_lab.grading.worker EXERCISE CHECK [CHECK ...] --answers A --root R
[--results FILE] [--memory-mb N]``

Theory of operation: the parent (:mod:`consensus_lab.grading.runner`)
starts the worker in a session of its own with a marker in its environment
(see :mod:`.sandbox`). The worker caps its own memory, then imports the
learner's file once and runs each check in turn. It reports through
``--results FILE``, one JSON event per line, flushed at once: ``loading``
(the learner's import starts), ``imported`` or ``load_error``, and per check
``start`` then ``result``. The parent reads that file, never a pipe, so a
child that holds stdout open cannot stall it; the worker's stdout and stderr
go to a log file. After each check the worker stops what the check left
running and says so in the result; a process forked by the learner's code
that returns into this loop exits at once and never writes a result, so the
verdict cannot come from a child. Without ``--results`` the worker prints
only the results, one JSON object per line (for tests and debugging).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import IO, Any


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, run the checks, write the events; exit 0 unless the worker broke."""
    parser = argparse.ArgumentParser(prog="python -m consensus_lab.grading.worker")
    parser.add_argument("exercise")
    parser.add_argument("checks", nargs="+", metavar="check")
    parser.add_argument("--answers", default="exercises")
    parser.add_argument("--root", default=None)
    parser.add_argument("--results", default=None, help="append JSON events to this file")
    parser.add_argument("--memory-mb", type=int, default=None)
    args = parser.parse_args(argv)
    from consensus_lab.grading import sandbox

    if args.memory_mb is not None:
        sandbox.limit_memory(args.memory_mb)
    if args.results is None:
        return _run(args, sys.stdout, events=False)
    with open(args.results, "a", encoding="utf-8") as out:
        return _run(args, out, events=True)


def _run(args: argparse.Namespace, out: IO[str], *, events: bool) -> int:
    from consensus_lab.grading import answers, runner, sandbox

    me = os.getpid()
    token = os.environ.get(sandbox.MARKER, "")

    def emit(event: str, **fields: Any) -> None:
        if os.getpid() != me:  # a fork of the learner's code came back here: say nothing
            os._exit(0)
        if events or event == "result":
            record = {"event": event, **fields} if events else fields["result"]
            out.write(json.dumps(record) + "\n")
            out.flush()

    checks = [runner.check_named(args.exercise, name) for name in args.checks]
    path = answers.answers_path(args.exercise, args.answers, args.root)
    shown = answers.shown_path(path, args.root)
    with contextlib.redirect_stdout(sys.stderr):
        emit("loading")
        try:
            module = answers.load_file(args.exercise, path)
        except BaseException as exc:  # any import failure is reported, once
            emit("load_error", message=runner.load_error_message(exc, shown))
            return 0
        emit("imported")
        for check in checks:
            emit("start", check=check.name)
            started = time.perf_counter()
            result = runner.run_loaded(args.exercise, check, module, path, shown, started)
            if os.getpid() != me:
                os._exit(0)
            getsid = getattr(os, "getsid", None)  # POSIX; elsewhere the parent kills the group
            if token and getsid is not None:
                left = sandbox.strays(token, getsid(0), exclude=(me,))
                if left:
                    sandbox.stop(left)
                    result = runner.with_strays(result, left)
            emit("result", result=result.to_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main())
