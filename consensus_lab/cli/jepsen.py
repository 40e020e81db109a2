"""``consensus-lab jepsen`` and ``consensus-lab bench jepsen``.

Exit codes of ``jepsen``: 0 the history is linearizable and no acknowledged
write was lost, 1 it is not (or a write was lost), 3 the checker gave up,
2 bad input or etcd missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..etcd.bench import sweep
from ..etcd.errors import EtcdClientNotInstalled, EtcdNotInstalled, InvalidRequest
from ..etcd.jepsen import BACKENDS, NEMESES, READS, JepsenConfig, JepsenResult
from ..etcd.simjepsen import run
from ..viz.history import write_jepsen_timeline
from .args import (
    add_seed,
    count,
    exit_code,
    fail,
    list_of,
    one_of,
    positive_int,
    positive_seconds,
    writable_file,
)

MAX_CLIENTS = 50  # JepsenConfig's own bound
REAL_NEMESES = tuple(n for n in NEMESES if n != "partition")  # real etcd: no partition
MAX_EMBEDDED_RUNS = 10_000
MAX_REAL_RUNS = 1_000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consensus-lab jepsen",
        description="Concurrent clients and a nemesis against etcd (embedded on the lab's Raft, "
                    "or a real local cluster); the history is checked for linearizability.")
    parser.add_argument("backend", type=one_of(BACKENDS), help=f"one of: {', '.join(BACKENDS)}")
    parser.add_argument("--clients", type=positive_int(MAX_CLIENTS), default=5,
                        help=f"concurrent clients, 1-{MAX_CLIENTS} (default 5)")
    parser.add_argument("--seconds", type=positive_seconds(), default=None,
                        help="run length, at most 3600 (embedded: simulated s, default 5; "
                        "etcd: 10)")
    parser.add_argument("--nemesis", default="none", type=one_of(NEMESES),
                        help=f"embedded: one of {', '.join(NEMESES)}; etcd: one of "
                        f"{', '.join(REAL_NEMESES)} (no partition on real etcd)")
    add_seed(parser)
    parser.add_argument("--reads", default="linearizable", type=one_of(READS),
                        help=f"one of: {', '.join(READS)} (serializable is the known-buggy "
                             "configuration: register reads from any member)")
    parser.add_argument("--timeout", type=positive_seconds(60.0), default=None,
                        help="client timeout, seconds, at most 60")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--html", metavar="FILE", type=writable_file,
                        help="write the history timeline here (its folder must exist)")
    parser.add_argument("--cp", action="store_true",
                        help="instead: show what an isolated member does with writes, "
                             "linearizable and serializable reads")
    return parser


@exit_code
def jepsen_main(argv: list[str]) -> int:
    """``consensus-lab jepsen BACKEND [options]``."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = JepsenConfig(backend=args.backend, clients=args.clients, seconds=args.seconds,
                              nemesis=args.nemesis, seed=args.seed, reads=args.reads,
                              timeout=args.timeout)
        config.resolved()  # every setting checked before any cluster starts
    except InvalidRequest as error:
        fail(parser, str(error))
    try:
        if args.cp:
            return _cp(args)
        result = run(config)
        if args.html:
            write_jepsen_timeline(result, str(args.html))
    except (InvalidRequest, EtcdNotInstalled, EtcdClientNotInstalled, ValueError) as error:
        print(f"consensus-lab jepsen: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result.as_dict(), indent=2) if args.json else result.summary())
    return _exit_code(result)


def _exit_code(result: JepsenResult) -> int:
    if result.check.verdict == "unknown":
        return 3
    return 0 if result.linearizable and not result.lost else 1


def _cp(args: argparse.Namespace) -> int:
    from ..etcd.cp import cp_behaviour, format_table

    options: dict[str, Any] = {"seed": args.seed} if args.backend == "embedded" else {}
    rows = cp_behaviour(args.backend, **options)
    print(json.dumps(rows, indent=2) if args.json else format_table(rows))
    return 0


# ------------------------------------------------------------------ bench


@exit_code
def bench_main(argv: list[str]) -> int:
    """``consensus-lab bench jepsen``: lost writes and failover times under kill and pause."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench jepsen")
    parser.add_argument("--embedded-runs", type=count(MAX_EMBEDDED_RUNS), default=200,
                        help=f"0-{MAX_EMBEDDED_RUNS:_} (default 200)")
    parser.add_argument("--real-runs", type=count(MAX_REAL_RUNS), default=20,
                        help=f"0-{MAX_REAL_RUNS:_} (default 20; skipped without etcd)")
    parser.add_argument("--nemeses", default=("kill", "pause"),
                        type=list_of(one_of(REAL_NEMESES), what="nemeses"),
                        help=f"comma-separated, of {', '.join(REAL_NEMESES)}; runs are split "
                        "evenly between them (default kill,pause)")
    parser.add_argument("--seconds", type=positive_seconds(600.0), default=None,
                        help="seconds per run, at most 600")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.embedded_runs + args.real_runs == 0:
        fail(parser, "argument --embedded-runs/--real-runs: nothing to run; give at least one")
    nemeses = list(args.nemeses)
    try:
        for nemesis in nemeses:
            for backend, runs in (("embedded", args.embedded_runs), ("etcd", args.real_runs)):
                if runs:
                    JepsenConfig(backend=backend, nemesis=nemesis,
                                 seconds=args.seconds).resolved()
    except InvalidRequest as error:
        fail(parser, str(error))
    rows = []
    for backend, runs in (("embedded", args.embedded_runs), ("etcd", args.real_runs)):
        if backend == "etcd" and runs > 0 and not _etcd_here():
            print(f"bench jepsen: skipping real etcd: {EtcdNotInstalled.HOW_TO}",
                  file=sys.stderr)
            continue
        for i, nemesis in enumerate(nemeses):
            share = runs // len(nemeses) + (1 if i < runs % len(nemeses) else 0)
            if share:
                rows.append(sweep(backend, nemesis, share, seconds=args.seconds))
                if not args.json:
                    _print_row(rows[-1])
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0 if all(r["lost_writes"] == 0 and not r["not_ok"] for r in rows) else 1


def _etcd_here() -> bool:
    from ..etcd.local import etcd_available

    return etcd_available()


def _print_row(row: dict[str, Any]) -> None:
    fo, fw = row["failover_s"], row["first_write_s"]
    print(f"{row['backend']:<8} {row['nemesis']:<9} runs {row['runs']:>3}  ops {row['ops']:>6}  "
          f"acked writes {row['acked_writes']:>6}  lost {row['lost_writes']}  "
          f"verdicts {row['verdicts']}  unknown outcomes {row['unknown_outcomes']}")
    print(f"{'':18} failover (new leader) min/median/max {fo['min']}/{fo['median']}/{fo['max']} s"
          f" over {fo['n']} faults; first acked write after the fault median {fw['median']} s")
    for odd in row["not_ok"]:
        print(f"{'':18} seed {odd['seed']}: {odd['verdict']} {odd['explanation']} {odd['lost']}")
