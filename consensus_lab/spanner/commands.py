"""Command-line entries: ``demo truetime`` and ``bench truetime``.

``demo_main`` and ``bench_main`` take the arguments after the command name
and return an exit code; the demo ends with ``trace digest: <hex>`` — the
same options print the same digest on every machine.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..sim import ConfigError, Simulation
from .checker import check_external_consistency, committed_transactions
from .cluster import clock_error_at
from .experiments import EPSILONS, latency_vs_epsilon, scripted_anomaly, workload_run
from .store import SpannerConfig

TOLERANCE = 0.10  # the figure: within 10% of 2ε + message latency


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="consensus-lab demo truetime")
    parser.add_argument("--epsilon", type=int, default=10, help="TrueTime's ε, ms (default 10)")
    parser.add_argument("--no-commit-wait", dest="commit_wait", action="store_false",
                        help="answer at once instead of waiting until TT.after(s)")
    parser.add_argument("--clock-error", type=int, default=None,
                        help="real clock skew bound, ms (default ε; above ε TrueTime lies)")
    parser.add_argument("--drift", type=int, default=0,
                        help="clock drift, ppm (leaders alternate fast/slow): the error grows")
    parser.add_argument("--overlap", action="store_true",
                        help="overlap commit wait with replication (Spanner §4.2.1)")
    parser.add_argument("--scripted", action="store_true",
                        help="the two-write story: leader clocks at +skew and -skew")
    parser.add_argument("--txns", type=int, default=20)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
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


def bench_main(argv: list[str]) -> int:
    """``consensus-lab bench truetime [--json]``: commit latency against ε."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench truetime")
    parser.add_argument("--epsilons", default=",".join(map(str, EPSILONS)),
                        help="comma-separated ε values, ms")
    parser.add_argument("--txns", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        epsilons = [int(e) for e in args.epsilons.split(",")]
        if args.txns < 1 or any(e < 0 for e in epsilons):
            raise ValueError
    except ValueError:
        print(f"--epsilons must be comma-separated ints >= 0 and --txns >= 1, got "
              f"{args.epsilons!r} and {args.txns}", file=sys.stderr)
        return 2
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


if __name__ == "__main__":
    sys.exit(demo_main(sys.argv[1:]))
