"""``consensus-lab demo 2pc``, ``demo 3pc`` and ``demo saga``.

Each ``*_main`` takes the arguments after the demo's name, prints a short
narrative (the state changes with their times) and a table, and ends with
``trace digest: <hex>`` — the same seed prints the same digest everywhere.
Exit codes: 0 ok, 2 bad input.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..commit.config import VARIANTS
from ..commit.saga import run_saga
from ..commit.scenarios import (
    CommitRun,
    all_yes,
    coordinator_crash,
    one_no,
    participant_crash,
    threepc_coordinator_crash,
    threepc_partition,
)
from ..sim import Simulation
from .args import add_seed, exit_code, fail, int_in, one_of

MAX_DOWN_MS = 100_000
MAX_SAGA_STEPS = 20
PARTICIPANTS = ("p1", "p2", "p3")

CRASHES = ("none", "coordinator-after-prepare", "coordinator-after-commit",
           "participant-after-vote")


def _narrative(sim: Simulation) -> None:
    """The state changes and crashes, one line each, in time order."""
    for record in sim.trace:
        if record.kind == "note" and "->" in str(record.detail):
            print(f"  t={record.time:5d} {record.node:>3}: {record.detail}")
        elif record.kind == "nemesis":
            print(f"  t={record.time:5d} {'':>3}  ** {record.detail}")


def _report(run: CommitRun) -> str:
    print(f"{run.name} ({run.protocol}, seed {run.seed})")
    _narrative(run.sim)
    print(f"  {'participant':<12}{'outcome':<14}{'in doubt (ms)':>14}{'locks held (ms)':>17}")
    for row in run.rows():
        print(f"  {row['participant']:<12}{row['outcome']:<14}{row['in doubt (ms)']:>14}"
              f"{row['locks held (ms)']:>17}")
    if run.violation:
        print(f"  VIOLATION {run.violation}")
    elif run.decided_at is not None:
        print(f"  every participant decided by t={run.decided_at} ms; longest in doubt: "
              f"{run.max_in_doubt} ms")
    else:
        print("  some participant is still undecided (blocked)")
    return run.digest


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace | int:
    try:
        return parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)


@exit_code
def twopc_main(argv: list[str]) -> int:
    """``consensus-lab demo 2pc [--crash WHAT] [--vote-no P] [--replicated] --seed S``."""
    parser = argparse.ArgumentParser(prog="consensus-lab demo 2pc")
    add_seed(parser)
    parser.add_argument("--crash", default="none", type=one_of(CRASHES),
                        help=f"one of: {', '.join(CRASHES)}")
    parser.add_argument("--vote-no", metavar="P", type=one_of(PARTICIPANTS),
                        help="this participant votes No (p1, p2, p3)")
    parser.add_argument("--down-for", type=int_in(1, MAX_DOWN_MS), default=500,
                        help=f"ms before the restart, 1-{MAX_DOWN_MS:_} (default 500)")
    parser.add_argument("--replicated", action="store_true",
                        help="the decision is chosen by Paxos among 3 coordinator replicas")
    args = _parse(parser, argv)
    if isinstance(args, int):
        return args
    protocol = "replicated" if args.replicated else "2pc"
    if args.vote_no and args.crash != "none":
        fail(parser, "--vote-no and --crash go one at a time; pick one")
    runs: dict[str, Callable[[], CommitRun]] = {
        "none": lambda: (one_no(args.seed, args.vote_no, protocol) if args.vote_no
                         else all_yes(args.seed, protocol)),
        "coordinator-after-prepare": lambda: coordinator_crash(
            args.seed, "after-prepare", args.down_for, protocol),
        "coordinator-after-commit": lambda: coordinator_crash(
            args.seed, "after-commit", args.down_for, protocol),
        "participant-after-vote": lambda: participant_crash(
            args.seed, "p1", args.down_for, protocol),
    }
    print(f"trace digest: {_report(runs[args.crash]())}")
    return 0


@exit_code
def threepc_main(argv: list[str]) -> int:
    """``consensus-lab demo 3pc [--partition | --crash-coordinator] --seed S``."""
    parser = argparse.ArgumentParser(prog="consensus-lab demo 3pc")
    add_seed(parser)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--partition", action="store_true",
                       help="cut {c1, p1} from {p2, p3} after p1's PreCommit")
    group.add_argument("--crash-coordinator", action="store_true",
                       help="c1 crashes after p1's PreCommit; the others terminate")
    args = _parse(parser, argv)
    if isinstance(args, int):
        return args
    if args.partition:
        run = threepc_partition(args.seed)
    elif args.crash_coordinator:
        run = threepc_coordinator_crash(args.seed)
    else:
        run = all_yes(args.seed, "3pc")
    print(f"trace digest: {_report(run)}")
    return 0


@exit_code
def saga_main(argv: list[str]) -> int:
    """``consensus-lab demo saga [--steps N] [--fail-step N] --seed S``."""
    parser = argparse.ArgumentParser(prog="consensus-lab demo saga")
    add_seed(parser)
    parser.add_argument("--steps", type=int_in(1, MAX_SAGA_STEPS), default=3,
                        help=f"saga steps, 1-{MAX_SAGA_STEPS} (default 3)")
    parser.add_argument("--fail-step", type=int_in(1, MAX_SAGA_STEPS),
                        help="this step (1-based, at most --steps) fails")
    args = _parse(parser, argv)
    if isinstance(args, int):
        return args
    if args.fail_step is not None and args.fail_step > args.steps:
        fail(parser, f"argument --fail-step: must be a step from 1 to --steps ({args.steps}), "
             f"got {args.fail_step}")
    result = run_saga(args.steps, args.fail_step, seed=args.seed)
    failing = f", step {args.fail_step} fails" if args.fail_step else ""
    print(f"Saga of {args.steps} steps{failing} (seed {args.seed}): outcome {result.outcome}")
    print("What any reader sees at each moment (no isolation):")
    width = max(len(s) for s in result.steps) + 2
    print("  " + f"{'t (ms)':>7}  " + "".join(f"{s:<{width}}" for s in result.steps))
    for t, records in result.snapshots:
        print("  " + f"{t:>7}  " + "".join(f"{r:<{width}}" for r in records))
    print(f"trace digest: {result.digest}")
    return 0


__all__ = ["CRASHES", "VARIANTS", "saga_main", "threepc_main", "twopc_main"]
