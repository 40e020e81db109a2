"""``consensus-lab demo truetime`` and ``bench truetime``.

``demo_main`` and ``bench_main`` take the arguments after the command name
and return an exit code; the demo ends with ``trace digest: <hex>`` — the
same options print the same digest on every machine.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..sim import ConfigError, Simulation
from ..spanner.checker import check_external_consistency, committed_transactions
from ..spanner.cluster import clock_error_at
from ..spanner.experiments import EPSILONS, latency_vs_epsilon, scripted_anomaly, workload_run
from ..spanner.store import SpannerConfig
from .args import add_seed, count, exit_code, list_of, positive_int

MAX_MS = 1_000  # ε and clock errors: a second is already far beyond any real TrueTime
MAX_DRIFT_PPM = 100_000  # 10%: a clock that wrong is broken hardware
MAX_TXNS = 1_000
MAX_CLIENTS = 20

TOLERANCE = 0.10  # the figure: within 10% of 2ε + message latency


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="consensus-lab demo truetime")
    parser.add_argument("--epsilon", type=count(MAX_MS), default=10,
                        help=f"TrueTime's ε, ms, 0-{MAX_MS} (default 10)")
    parser.add_argument("--no-commit-wait", dest="commit_wait", action="store_false",
                        help="answer at once instead of waiting until TT.after(s)")
    parser.add_argument("--clock-error", type=count(MAX_MS), default=None,
                        help=f"real clock skew bound, ms, 0-{MAX_MS} (default ε; above ε "
                        "TrueTime lies)")
    parser.add_argument("--drift", type=count(MAX_DRIFT_PPM), default=0,
                        help=f"clock drift, ppm, 0-{MAX_DRIFT_PPM:_} (leaders alternate "
                        "fast/slow): the error grows")
    parser.add_argument("--overlap", action="store_true",
                        help="overlap commit wait with replication (Spanner §4.2.1)")
    parser.add_argument("--scripted", action="store_true",
                        help="the two-write story: leader clocks at +skew and -skew")
    parser.add_argument("--txns", type=positive_int(MAX_TXNS), default=20,
                        help=f"transactions, 1-{MAX_TXNS} (default 20)")
    parser.add_argument("--clients", type=positive_int(MAX_CLIENTS), default=3,
                        help=f"clients, 1-{MAX_CLIENTS} (default 3)")
    add_seed(parser)
    return parser


def _print_transactions(sim: Simulation, shown: int = 12) -> None:
    txns = committed_transactions(sim.history)
    for txn in txns[:shown]:
        print(f"  {txn}  latency {txn.end - txn.start} ms")
    if len(txns) > shown:
        print(f"  … {len(txns) - shown} more")


def _report(sim: Simulation, config: SpannerConfig) -> None:
    _print_transactions(sim)
    errors = ", ".join(f"{config.leader(s)}={clock_error_at(sim, config.leader(s)):+d}"
                       for s in range(config.shards))
    print(f"  leader clock errors at t={sim.now}: {errors} ms (ε={config.epsilon})")
    result = check_external_consistency(sim.history)
    if result.ok:
        print(f"  external consistency: holds for all {result.checked} transactions")
    else:
        print(f"  external consistency VIOLATED: {result.explanation}")


@exit_code
def demo_main(argv: list[str]) -> int:
    """``consensus-lab demo truetime --epsilon MS [--no-commit-wait] [--drift PPM] --seed S``."""
    args = _parser().parse_args(argv)
    wait = "on" if args.commit_wait else "off"
    try:
        if args.scripted:
            run = scripted_anomaly(args.epsilon, commit_wait=args.commit_wait,
                                   skew=args.clock_error, overlap=args.overlap, seed=args.seed)
            sim = run.sim
            config = SpannerConfig(epsilon=args.epsilon, commit_wait=args.commit_wait)
            skew = args.epsilon if args.clock_error is None else args.clock_error
            print(f"Two writes, one after the other; leader clocks at ±{skew} ms, "
                  f"ε={args.epsilon} ms, commit wait {wait}")
            _report(sim, config)
            print(f"  snapshot at the second write's timestamp: {run.snapshot}")
        else:
            config = SpannerConfig(epsilon=args.epsilon, commit_wait=args.commit_wait,
                                   overlap=args.overlap)
            sim = workload_run(config, seed=args.seed, clock_error=args.clock_error,
                               drift_ppm=args.drift, txns=args.txns, clients=args.clients)
            bound = args.epsilon if args.clock_error is None else args.clock_error
            print(f"Spanner-like store, {config.shards} shards x {config.replicas} replicas, "
                  f"ε={args.epsilon} ms, clock error <= {bound} ms, drift {args.drift} ppm, "
                  f"commit wait {wait}, seed {args.seed}")
            _report(sim, config)
    except (ConfigError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    print(f"trace digest: {sim.trace.digest()}")
    return 0


@exit_code
def bench_main(argv: list[str]) -> int:
    """``consensus-lab bench truetime [--json]``: commit latency against ε."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench truetime")
    parser.add_argument("--epsilons", type=list_of(count(MAX_MS), what="ε values (ms)",
                                                   max_items=20),
                        default=tuple(EPSILONS),
                        help=f"comma-separated ε values, ms, each 0-{MAX_MS}, at most 20")
    parser.add_argument("--txns", type=positive_int(MAX_TXNS), default=40,
                        help=f"transactions per ε, 1-{MAX_TXNS} (default 40)")
    add_seed(parser)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    epsilons = list(args.epsilons)
    rows = latency_vs_epsilon(epsilons, seed=args.seed, txns=args.txns)
    worst = max(abs(row["ratio"] - 1) for row in rows)
    summary = {"rows": rows, "worst_deviation": round(worst, 3),
               "within_10_percent": worst <= TOLERANCE,
               "workload": f"1 client, {args.txns} sequential one-key commits, 2 shards x 3 "
                           "replicas, 1-10 ms per message, seed " + str(args.seed)}
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"Commit latency against ε ({summary['workload']})")
    print(f"  {'ε ms':>5} {'latency':>8} {'messages':>9} {'2ε+msgs':>8} {'ratio':>6} "
          f"{'overlapped':>10}")
    for row in rows:
        print(f"  {row['epsilon_ms']:>5} {row['latency_ms']:>8} {row['message_latency_ms']:>9} "
              f"{row['predicted_ms']:>8} {row['ratio']:>6} {row['overlapped_ms']:>10}")
    verdict = "within" if summary["within_10_percent"] else "NOT within"
    print(f"  worst deviation from 2ε + message latency: {worst:.1%} ({verdict} 10%)")
    return 0
