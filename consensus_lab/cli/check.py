"""``consensus-lab check [EXERCISE] [--answers A] [--timeout S] [--part P] [--json]``: grade.

The checks run in this (trusted) process against a proxy of the answers;
only the answers' functions run, in a sandboxed oracle process, so nothing
the answers do (exit, patch the grader, print PASS, fork, loop) can make a
check pass. The report ends with a score table (test, part, points, result,
seconds) and a total; ``--json`` prints one JSON object instead
(exercise, checks with name/part/points/status/seconds/message/seed/replay,
totals). ``--part B`` runs only part B's checks of the named exercise.

Everything is checked before any grading starts: the exercise name, the
answers (``exercises``, ``solutions``, a folder holding ``<name>.py`` or a
``.py`` file, which must exist), the timeout and the environment settings
(``CONSENSUS_LAB_ROOT``, ``CONSENSUS_LAB_MEMORY_MB``), each named in its
message; a bad one exits 2 once, not once per check.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import exercises
from ..grading import sandbox
from ..grading.answers import ANSWER_SETS, AnswersNotFound, SettingError
from ..grading.report import format_scores, results_json
from .args import exit_code, fail, one_of, positive_int, positive_seconds

MAX_JOBS = 64


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="consensus-lab check",
                                     description="Grade exercises (all when none is named).")
    names = tuple(ex.name for ex in exercises.list_exercises())
    parser.add_argument("exercise", nargs="?", type=one_of(names),
                        help=f"one of: {', '.join(names)} (default: all)")
    parser.add_argument("--answers", default="exercises",
                        help="exercises (your work, default), solutions, a folder holding "
                        "NAME.py, or a path to a .py file")
    parser.add_argument("--timeout", type=positive_seconds(), default=exercises.DEFAULT_TIMEOUT_S,
                        help="seconds allowed per check, at most 3600 (default %(default)s)")
    parser.add_argument("--jobs", type=positive_int(MAX_JOBS), default=None,
                        help=f"checks run side by side (1-{MAX_JOBS}; default: the CPUs)")
    parser.add_argument("--part", default=None,
                        help="run only this part's checks (e.g. B) of the named exercise")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (checks, points, totals) instead of text")
    return parser


def _check_part(parser: argparse.ArgumentParser, part: str | None, names: list[str]) -> None:
    """Exit 2 unless ``part`` is one of the named exercise's parts."""
    if part is None:
        return
    if len(names) != 1:
        fail(parser, "argument --part: name the exercise (consensus-lab check EXERCISE --part P)")
    parts = exercises.parts_of(names[0])
    if part not in parts:
        allowed = ", ".join(parts) if parts else "none (its checks have no parts)"
        fail(parser, f"argument --part: exercise {names[0]!r} has no part {part!r}; "
             f"parts allowed: {allowed}")


def _check_answers(parser: argparse.ArgumentParser, answers: str, names: list[str]) -> None:
    """Exit 2 unless the answers exist for every exercise to grade."""
    allowed = (f"allowed: {', '.join(ANSWER_SETS)}, a folder holding the exercise's .py file, "
               "or a path to a .py file")
    if answers in ANSWER_SETS:
        return
    path = Path(answers).expanduser()
    if answers.endswith(".py"):
        if not path.is_file():
            fail(parser, f"argument --answers: {answers!r} does not exist; {allowed}")
        if len(names) != 1:
            fail(parser, "argument --answers: a .py file answers one exercise; name it "
                 "(consensus-lab check EXERCISE --answers FILE.py)")
        return
    if not path.is_dir():
        why = "is not a folder or a .py file" if path.exists() else "does not exist"
        fail(parser, f"argument --answers: {answers!r} {why}; {allowed}")


@exit_code
def check_main(argv: Sequence[str] | None = None) -> int:
    """Grade; exit 0 only if all pass, 1 if some do not, 2 on bad input."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        exercises.default_root()  # CONSENSUS_LAB_ROOT, checked once
        sandbox.memory_limit_mb()  # CONSENSUS_LAB_MEMORY_MB, checked once
    except SettingError as error:
        fail(parser, str(error))
    names = [args.exercise] if args.exercise else [ex.name for ex in exercises.list_exercises()]
    _check_answers(parser, args.answers, names)
    _check_part(parser, args.part, names)
    options = {"part": args.part} if args.part is not None else {}
    try:
        results = [r for n in names
                   for r in exercises.run_checks(n, args.answers, timeout_s=args.timeout,
                                                 jobs=args.jobs, **options)]
    except (AnswersNotFound, FileNotFoundError) as error:
        fail(parser, f"argument --answers: {error}")
    if args.json:
        sys.stdout.write(results_json(results) + "\n")
    else:
        sys.stdout.write(exercises.format_report(results) + "\n\n" + format_scores(results)
                         + "\n")
    return 0 if all(r.passed for r in results) else 1


@exit_code
def list_main(argv: Sequence[str] | None = None) -> int:
    """One line per exercise with its title and notebook."""
    argparse.ArgumentParser(prog="consensus-lab list").parse_args(argv)
    for ex in exercises.list_exercises():
        sys.stdout.write(f"{ex.name:<20} {ex.title}\n{'':<20} {len(ex.checks)} checks, "
                         f"exercises/{ex.name}.py, {ex.notebook}\n")
    return 0
