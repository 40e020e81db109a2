"""Command-line entries: ``consensus-lab jepsen`` and ``consensus-lab bench jepsen``.

Exit codes of ``jepsen``: 0 the history is linearizable and no acknowledged
write was lost, 1 it is not (or a write was lost), 3 the checker gave up,
2 bad input or etcd missing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from typing import Any

from ..viz.history import write_jepsen_timeline
from .errors import EtcdClientNotInstalled, EtcdNotInstalled, InvalidRequest
from .jepsen import BACKENDS, NEMESES, READS, JepsenConfig, JepsenResult
from .simjepsen import run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consensus-lab jepsen",
        description="Concurrent clients and a nemesis against etcd (embedded on the lab's Raft, "
                    "or a real local cluster); the history is checked for linearizability.")
    parser.add_argument("backend", help=f"one of: {', '.join(BACKENDS)}")
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=None,
                        help="run length (embedded: simulated s, default 5; etcd: 10)")
    parser.add_argument("--nemesis", default="none", help=f"one of: {', '.join(NEMESES)}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reads", default="linearizable",
                        help=f"one of: {', '.join(READS)} (serializable is the known-buggy "
                             "configuration: register reads from any member)")
    parser.add_argument("--timeout", type=float, default=None, help="client timeout (s)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--html", metavar="FILE", help="write the history timeline here")
    parser.add_argument("--cp", action="store_true",
                        help="instead: show what an isolated member does with writes, "
                             "linearizable and serializable reads")
    return parser


def jepsen_main(argv: list[str]) -> int:
    """``consensus-lab jepsen BACKEND [options]``."""
    args = _parser().parse_args(argv)
    try:
        if args.cp:
            return _cp(args)
        config = JepsenConfig(backend=args.backend, clients=args.clients, seconds=args.seconds,
                              nemesis=args.nemesis, seed=args.seed, reads=args.reads,
                              timeout=args.timeout)
        result = run(config)
        if args.html:
            write_jepsen_timeline(result, args.html)
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
    from .cp import cp_behaviour, format_table

    options: dict[str, Any] = {"seed": args.seed} if args.backend == "embedded" else {}
    rows = cp_behaviour(args.backend, **options)
    print(json.dumps(rows, indent=2) if args.json else format_table(rows))
    return 0


# ------------------------------------------------------------------ bench


def _stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "min": None, "median": None, "max": None}
    return {"n": len(values), "min": round(min(values), 3),
            "median": round(statistics.median(values), 3), "max": round(max(values), 3)}


def sweep(backend: str, nemesis: str, runs: int, first_seed: int = 0,
          seconds: float | None = None) -> dict[str, Any]:
    """``runs`` runs with consecutive seeds; the figures summed up."""
    verdicts: dict[str, int] = {}
    ops = acked = lost = infos = 0
    failovers: list[float] = []
    first_writes: list[float] = []
    odd: list[dict[str, Any]] = []
    for seed in range(first_seed, first_seed + runs):
        result = run(JepsenConfig(backend=backend, nemesis=nemesis, seed=seed, seconds=seconds))
        verdicts[result.check.verdict] = verdicts.get(result.check.verdict, 0) + 1
        ops += len(result.history)
        acked += result.acked_writes()
        lost += len(result.lost)
        infos += sum(1 for op in result.history if op.status == "info")
        failovers += [f.failover for f in result.faults if f.failover is not None]
        first_writes += [f.first_write for f in result.faults if f.first_write is not None]
        if result.check.verdict != "ok" or result.lost:
            odd.append({"seed": seed, "verdict": result.check.verdict,
                        "explanation": result.check.explanation,
                        "lost": [str(op) for op in result.lost]})
    return {"backend": backend, "nemesis": nemesis, "runs": runs, "ops": ops,
            "unknown_outcomes": infos, "acked_writes": acked, "lost_writes": lost,
            "verdicts": verdicts, "failover_s": _stats(failovers),
            "first_write_s": _stats(first_writes), "not_ok": odd}


def bench_main(argv: list[str]) -> int:
    """``consensus-lab bench jepsen``: lost writes and failover times under kill and pause."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench jepsen")
    parser.add_argument("--embedded-runs", type=int, default=200)
    parser.add_argument("--real-runs", type=int, default=20)
    parser.add_argument("--nemeses", default="kill,pause",
                        help="comma-separated; runs are split evenly between them")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    nemeses = args.nemeses.split(",")
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
    from .local import etcd_available

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
