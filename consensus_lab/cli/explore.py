"""``consensus-lab explore`` and ``consensus-lab bench explore``.

``explore PROTOCOL`` searches one variant (see :mod:`consensus_lab.explore.protocols`) and
exits 0 when no invariant broke within the bounds, 1 with a counterexample
(its moves and the trace of the replayed run), 2 on bad input.
``bench explore`` runs every variant and reports states, states/s, whether
the bug was found (buggy variants) or the space exhausted (correct ones),
and seconds; it exits 1 if any variant did not come out as expected.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..explore.protocols import PROTOCOLS, Spec, all_specs, get_spec
from ..explore.result import STRATEGIES, ExploreResult
from ..explore.space import Progress
from ..sim import ConfigError
from .args import HOUR_S, count, exit_code, one_of, positive_int, positive_seconds

MAX_DEPTH = 1_000
MAX_STATES = 10_000_000  # about what a laptop holds in memory (and the time limit allows)
MAX_FAULTS = 10


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consensus-lab explore",
        description="Model-check a protocol: every delivery order of a small configuration.")
    parser.add_argument("protocol", nargs="?", type=one_of(tuple(PROTOCOLS)),
                        help=f"one of: {', '.join(PROTOCOLS)}")
    parser.add_argument("--variant", default="correct", help="which variant (default: correct)")
    parser.add_argument("--list-variants", action="store_true",
                        help="list the protocol's variants and exit")
    parser.add_argument("--depth", type=positive_int(MAX_DEPTH),
                        help=f"at most this many moves from the start (1-{MAX_DEPTH:_})")
    parser.add_argument("--max-states", type=positive_int(MAX_STATES),
                        help=f"stop after this many states (1-{MAX_STATES:_})")
    parser.add_argument("--drops", type=count(MAX_FAULTS),
                        help=f"messages the checker may drop (0-{MAX_FAULTS})")
    parser.add_argument("--dups", type=count(MAX_FAULTS),
                        help=f"messages the checker may duplicate (0-{MAX_FAULTS})")
    parser.add_argument("--crashes", type=count(MAX_FAULTS),
                        help=f"nodes the checker may crash (0-{MAX_FAULTS})")
    parser.add_argument("--strategy", type=one_of(STRATEGIES),
                        help="bfs (the only one: breadth-first)")
    parser.add_argument("--time-limit", type=positive_seconds(HOUR_S), default=300.0,
                        help="seconds before giving up, at most 3600 (default 300)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--cold-start", action="store_true",
                        help="raft: start from five servers that have never run (no "
                             "scripted prefix)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress lines on stderr while it searches")
    return parser


def report_progress(progress: Progress) -> None:
    """One line on stderr: how far the search has got (every second or so)."""
    print(f"explore: {progress.states:,} states, depth {progress.depth}, "
          f"{progress.states_per_s:,.0f} states/s, {progress.elapsed:.0f} s, "
          f"{progress.frontier:,} to expand", file=sys.stderr, flush=True)


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace | int:
    """Parsed arguments, or the exit code argparse wanted (help: 0, bad input: 2)."""
    try:
        return parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)


@exit_code
def explore_main(argv: list[str] | None = None) -> int:
    """Entry point of ``consensus-lab explore``."""
    parser = _parser()
    args = _parse(parser, argv)
    if isinstance(args, int):
        return args
    if args.protocol is None:
        print(f"error: name a protocol: {', '.join(PROTOCOLS)}", file=sys.stderr)
        return 2
    if args.list_variants:
        return _list_variants(args.protocol)
    spec = get_spec(args.protocol, args.variant, cold_start=args.cold_start)
    result = spec.run(max_depth=args.depth, max_states=args.max_states,
                      drop_budget=args.drops, dup_budget=args.dups,
                      crash_budget=args.crashes, strategy=args.strategy,
                      time_limit=args.time_limit,
                      progress=None if args.quiet else report_progress)
    if args.json:
        print(json.dumps({"protocol": spec.protocol, "variant": spec.variant,
                          "scene": spec.scene, **result.to_json()}, indent=2, default=str))
    else:
        _report(spec, result)
    return 0 if result.violation is None else 1


def _list_variants(protocol: str) -> int:
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {protocol!r}; allowed: {', '.join(PROTOCOLS)}")
    for name, summary in PROTOCOLS[protocol].variants().items():
        print(f"{name:<26} {summary}")
    return 0


def _report(spec: Spec, result: ExploreResult) -> None:
    print(f"{spec.protocol} / {spec.variant}: {spec.summary}")
    print(f"start: {spec.scene}")
    print(result.summary())
    violation = result.violation
    if violation is not None:
        if len(result.violation_moves) < len(violation):  # a settled search's own moves
            print(f"\nthe search's {len(result.violation_moves)} moves:")
            print("\n".join(f"  {i:2d}. {m}" for i, m in enumerate(result.violation_moves, 1)))
        print()
        print(violation)
        print("\ntrace of the moves (replayed):")
        print(violation.trace_text())


@exit_code
def bench_main(argv: list[str] | None = None) -> int:
    """Entry point of ``consensus-lab bench explore``: every variant, with figures."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench explore",
                                     description="Run the checker on every known variant.")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--protocol", type=one_of(tuple(PROTOCOLS)), help="only this protocol")
    parser.add_argument("--time-limit", type=positive_seconds(HOUR_S), default=300.0,
                        help="seconds per variant, at most 3600 (default 300)")
    args = _parse(parser, argv)
    if isinstance(args, int):
        return args
    rows = [_bench_row(spec, spec.run(time_limit=args.time_limit)) for spec in all_specs()
            if args.protocol in (None, spec.protocol)]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            found = "found" if row["found"] else ("complete" if row["complete"] else "not found")
            print(f"{row['protocol']:>6} {row['variant']:<24} {found:<9} "
                  f"{row['length'] if row['length'] is not None else '-':>3} moves "
                  f"{row['states']:>8} states {row['states_per_s']:>8.0f} states/s "
                  f"{row['seconds']:>7.2f} s  {'ok' if row['as_expected'] else 'UNEXPECTED'}")
    return 0 if all(row["as_expected"] for row in rows) else 1


def _bench_row(spec: Spec, result: ExploreResult) -> dict[str, Any]:
    found = result.violation is not None
    return {
        "protocol": spec.protocol, "variant": spec.variant, "buggy": spec.buggy,
        "found": found, "complete": result.complete,
        "length": len(result.violation) if result.violation is not None else None,
        "invariant": result.violation.invariant if result.violation is not None else None,
        "states": result.states, "transitions": result.transitions,
        "states_per_s": round(result.states_per_s, 1), "max_depth": result.max_depth,
        "seconds": round(result.elapsed, 3),
        "as_expected": found if spec.buggy else (not found and result.complete),
    }
