"""Run one grading check in this process and print its result as JSON.

``python -m consensus_lab.grading.worker EXERCISE CHECK --answers A --root R``

The parent (:func:`consensus_lab.exercises.run_checks`) starts one worker per
check, so an infinite loop in learner code only ever hangs a worker, which the
parent kills when its timeout expires. Anything the learner's code prints goes
to stderr; stdout carries exactly one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, run the check, print its :class:`CheckResult` as JSON."""
    from consensus_lab.exercises import run_check_in_process

    parser = argparse.ArgumentParser(prog="python -m consensus_lab.grading.worker")
    parser.add_argument("exercise")
    parser.add_argument("check")
    parser.add_argument("--answers", default="exercises")
    parser.add_argument("--root", default=None)
    args = parser.parse_args(argv)
    real_stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        result = run_check_in_process(args.exercise, args.check, args.answers, root=args.root)
    real_stdout.write(json.dumps(result.to_dict()) + "\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
