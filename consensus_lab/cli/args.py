"""Argument validators shared by every ``consensus-lab`` subcommand.

Theory of operation: every option of every subcommand is checked by
argparse *before* any simulation, search or server starts, so a mistake
costs a usage line, never a traceback, a hang or a run that fails at the
end. Each class of mistake is handled once, here:

* numbers out of range — :func:`int_in` (and its shorthands
  :func:`positive_int`, :func:`count`, :data:`SEED`) and :func:`number_in`
  (:func:`positive_seconds`, :data:`PROBABILITY`); every range has an upper
  bound, so no option can ask for more memory or time than a laptop has;
  NaN and infinity are refused;
* names — :func:`one_of` and :func:`list_of` (comma-separated, no blanks,
  no repeats);
* files and folders — :func:`existing_dir`, :func:`existing_file`,
  :func:`writable_file` (its folder exists and is writable now, not after the
  run);
* node ids that must exist in the cluster — :func:`node_ids` (the form) and
  :func:`check_members` (against the cluster, once the size is known);
* environment settings of the grader are checked in
  :mod:`consensus_lab.grading.answers` and :mod:`consensus_lab.grading.sandbox`
  (the variable named in the message), once, by ``consensus-lab check``.

A validator raises :class:`argparse.ArgumentTypeError`; argparse turns it
into ``consensus-lab demo raft: error: argument --nodes: ...`` and exit 2.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NoReturn, ParamSpec

from ..sim import ConfigError

P = ParamSpec("P")

#: Seeds: any int a 64-bit generator state takes, never negative.
SEED_MAX = 2**63 - 1
#: The longest wall-clock limit any option accepts (one hour).
HOUR_S = 3600.0


def _fmt(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else f"{value:,}".replace(",", "_")


def int_in(low: int, high: int, what: str = "a whole number") -> Callable[[str], int]:
    """A validator accepting ints in ``[low, high]``."""

    def parse(text: str) -> int:
        allowed = f"must be {what} from {_fmt(low)} to {_fmt(high)}, got {text!r}"
        try:
            value = int(text.strip().replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(allowed) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(allowed)
        return value

    parse.__name__ = f"int in [{low}, {high}]"
    return parse


def positive_int(high: int) -> Callable[[str], int]:
    """Ints from 1 to ``high``."""
    return int_in(1, high)


def count(high: int) -> Callable[[str], int]:
    """Ints from 0 to ``high``."""
    return int_in(0, high)


SEED = int_in(0, SEED_MAX, "a seed (a whole number)")


def number_in(low: float, high: float, *, low_open: bool = False,
              unit: str = "") -> Callable[[str], float]:
    """A validator accepting finite numbers in ``[low, high]`` (``(low, high]`` if low_open)."""
    bracket = "(" if low_open else "["
    allowed = f"a number in {bracket}{_fmt(low)}, {_fmt(high)}]" + (f" {unit}" if unit else "")

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or value > high:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}")
        return value

    parse.__name__ = allowed
    return parse


def positive_seconds(high: float = HOUR_S) -> Callable[[str], float]:
    """A duration in seconds, more than 0 and at most ``high``."""
    return number_in(0.0, high, low_open=True, unit="seconds")


PROBABILITY = number_in(0.0, 1.0, unit="(a probability)")


def one_of(allowed: Sequence[str]) -> Callable[[str], str]:
    """A validator accepting one of ``allowed`` (say them all when it is not)."""

    def parse(text: str) -> str:
        if text not in allowed:
            raise argparse.ArgumentTypeError(
                f"must be one of {', '.join(allowed)}, got {text!r}")
        return text

    parse.__name__ = "one of " + ", ".join(allowed)
    return parse


def list_of(item: Callable[[str], object], *, what: str = "items",
            max_items: int = 100) -> Callable[[str], tuple[object, ...]]:
    """Comma-separated values, each checked by ``item``; none blank, none twice."""

    def parse(text: str) -> tuple[object, ...]:
        parts = [part.strip() for part in text.split(",")]
        if not text.strip() or any(not part for part in parts):
            raise argparse.ArgumentTypeError(
                f"must be comma-separated {what} with none left blank, got {text!r}")
        if len(parts) > max_items:
            raise argparse.ArgumentTypeError(f"takes at most {max_items} {what}, got {len(parts)}")
        if len(set(parts)) != len(parts):
            raise argparse.ArgumentTypeError(f"names one of the {what} twice: {text!r}")
        values = []
        for part in parts:
            try:
                values.append(item(part))
            except argparse.ArgumentTypeError as err:
                raise argparse.ArgumentTypeError(f"{part!r} in {text!r}: {err}") from None
        return tuple(values)

    parse.__name__ = f"comma-separated {what}"
    return parse


def _node_id(text: str) -> str:
    if not (text.startswith("n") and text[1:].isdigit() and int(text[1:]) >= 1):
        raise argparse.ArgumentTypeError("node ids are n1, n2, ...")
    return text


def node_ids(text: str) -> tuple[str, ...]:
    """``n1,n3``: node ids of the form ``n<k>``, comma-separated, no repeats."""
    return list_of(_node_id, what="node ids")(text)  # type: ignore[return-value]


def check_members(parser: argparse.ArgumentParser, option: str, ids: Iterable[str],
                  cluster: Sequence[str], *, proper: bool = True) -> None:
    """Exit 2 unless every id in ``ids`` is in ``cluster`` (and, if proper, not all of it)."""
    ids = tuple(ids)
    unknown = [i for i in ids if i not in cluster]
    members = f"{cluster[0]}..{cluster[-1]}" if len(cluster) > 2 else ", ".join(cluster)
    if unknown:
        fail(parser, f"argument {option}: {', '.join(unknown)} not in the cluster; "
             f"this cluster has {members}")
    if proper and len(set(ids)) >= len(cluster):
        fail(parser, f"argument {option}: names every node ({members}); leave at least one "
             "on the other side")


def existing_dir(text: str) -> Path:
    """A folder that exists."""
    path = Path(text).expanduser()
    if not path.is_dir():
        why = "is a file, not a folder" if path.exists() else "does not exist"
        raise argparse.ArgumentTypeError(f"must be an existing folder; {text!r} {why}")
    return path


def existing_file(text: str) -> Path:
    """A file that exists and can be read."""
    path = Path(text).expanduser()
    if not path.is_file():
        why = "is a folder" if path.is_dir() else "does not exist"
        raise argparse.ArgumentTypeError(f"must be an existing file; {text!r} {why}")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"must be a readable file; cannot read {text!r}")
    return path


def writable_file(text: str) -> Path:
    """A file path whose folder exists and is writable (checked now, not after the run)."""
    path = Path(text).expanduser()
    folder = path.parent
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"must be a file to write; {text!r} is a folder")
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(
            f"must be a file in an existing folder; the folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"must be a file we may write; {text!r} is not writable")
    return path


def exit_code(main: Callable[P, int]) -> Callable[P, int]:
    """``main`` returning argparse's exit code (2 for a usage error, 0 after --help) instead of
    raising SystemExit, so a command called from Python or a test reports like the CLI.

    A :class:`~consensus_lab.sim.ConfigError` that the library raises for a setting the
    parser could not judge alone is a usage error too: its message, and exit 2."""

    @functools.wraps(main)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            return main(*args, **kwargs)
        except SystemExit as stop:
            return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
        except ConfigError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2

    return run


def fail(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    """Print the usage and ``message`` and exit 2 (argparse's own way)."""
    parser.error(message)


def add_seed(parser: argparse.ArgumentParser, default: int = 0) -> None:
    """The ``--seed`` option every seeded command shares: the same run for the same seed."""
    parser.add_argument("--seed", type=SEED, default=default,
                        help=f"the run's seed, a whole number >= 0 (default {default})")
