"""``consensus-lab demo raft``, ``bench raft`` and ``stress raft``."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from ..raft.bench import MAX_BATCH, MAX_COMMANDS, bench_raft
from ..raft.cluster import check_one_leader, one, raft_cluster
from ..raft.stress import StressResult, storm
from ..sim import InvariantViolation, Simulation, SimulationError
from .args import (
    SEED,
    add_seed,
    check_members,
    count,
    exit_code,
    fail,
    int_in,
    node_ids,
    positive_int,
)

#: The demo narrates every event: more nodes than this is a wall of text.
MAX_DEMO_NODES = 25
MAX_SEEDS = 100_000  # ~10_000 seeds take 4-5 min on 2 cores: this bound is hours
MAX_JOBS = 64


def _narrate(sim: Simulation, since: int) -> int:
    """Print the role changes and commits noted since trace position ``since``."""
    for record in sim.trace.records[since:]:
        if record.kind == "note":
            print(f"  t={record.time:5d} {record.node}: {record.detail}")
    return len(sim.trace)


@exit_code
def demo_main(argv: list[str]) -> int:
    """Elect a leader, replicate ``SET X=5`` and friends, optionally break things."""
    parser = argparse.ArgumentParser(prog="consensus-lab demo raft")
    parser.add_argument("--nodes", type=int_in(1, MAX_DEMO_NODES), default=5,
                        help=f"cluster size, 1-{MAX_DEMO_NODES} (default 5)")
    add_seed(parser, default=1)
    parser.add_argument("--crash-leader", action="store_true", help="crash the first leader")
    parser.add_argument("--partition", metavar="N1,N2", type=node_ids,
                        help="cut these nodes (of n1..nN) off the rest")
    args = parser.parse_args(argv)
    cluster = [f"n{i}" for i in range(1, args.nodes + 1)]
    if args.partition:
        check_members(parser, "--partition", args.partition, cluster)
    _check_majority_survives(parser, args.nodes, len(args.partition or ()), args.crash_leader)
    try:
        demo_raft(args.nodes, args.seed, crash_leader=args.crash_leader,
                  partition=list(args.partition or ()))
    except (InvariantViolation, SimulationError) as err:
        print(f"consensus-lab demo raft: {err}")
        return 1
    return 0


def _check_majority_survives(parser: argparse.ArgumentParser, nodes: int, cut: int,
                             crash: bool) -> None:
    """Exit 2 unless some side keeps a majority after the faults (else nothing can commit)."""
    if not cut and not crash:
        return
    quorum = nodes // 2 + 1
    biggest = max(cut, nodes - cut) - (1 if crash else 0)  # the leader may be on that side
    if biggest < quorum:
        faults = " and ".join(f for f, on in ((f"--partition of {cut}", cut),
                                              ("--crash-leader", crash)) if on)
        fail(parser, f"{faults} would leave no side with a majority of the {nodes} nodes "
             f"({quorum} needed, at most {biggest} left together), so 'SET Y=7' could never "
             f"commit; use more --nodes or a smaller --partition")


def demo_raft(nodes: int, seed: int, *, crash_leader: bool = False,
              partition: list[str] | None = None) -> Simulation:
    """The narrated run; the CLI prints its digest."""
    sim = raft_cluster(nodes, seed=seed)
    print(f"Raft, {nodes} nodes, seed {seed}: election timeouts 150-300 ms")
    mark = _narrate(sim, 0)
    leader = check_one_leader(sim)
    mark = _narrate(sim, mark)
    index = one(sim, "SET X=5", expected=nodes)
    print(f"  'SET X=5' committed at index {index} on all {nodes} nodes (t={sim.now})")
    if partition:
        sim.partition(partition)
        print(f"  partition: {partition} cut off from the rest")
    if crash_leader:
        sim.crash(leader.node_id)
        print(f"  crash {leader.node_id} (the leader)")
    if partition or crash_leader:
        check_one_leader(sim)
        mark = _narrate(sim, mark)
        alive = len(sim.node_ids) - len(sim.crashed)
        quorum = nodes // 2 + 1
        index = one(sim, "SET Y=7", expected=quorum)
        print(f"  'SET Y=7' committed at index {index} on a majority ({quorum} of {alive} up)")
    sim.run(until=sim.now + 500)
    for node_id, row in sim.view().items():
        print(f"  {node_id}: {row}")
    print(f"trace digest: {sim.trace.digest()}")
    return sim


@exit_code
def bench_main(argv: list[str]) -> int:
    """Committed commands per wall-clock second, 5 nodes, drops and duplicates on."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench raft")
    parser.add_argument("--commands", type=positive_int(MAX_COMMANDS), default=50_000,
                        help=f"commands to commit, 1-{MAX_COMMANDS:_} (default 50_000)")
    parser.add_argument("--batch", type=positive_int(MAX_BATCH), default=50,
                        help=f"commands submitted per 5 ms, 1-{MAX_BATCH:_} (default 50)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    run = bench_raft(args.commands, args.batch, seed=1)
    figures = {
        "workload": f"5 nodes, drop 1%, duplicate 1%, {args.batch} commands per 5 ms, "
                    "tracing and invariants off",
        "commands_submitted": run["submitted"],
        "commands_committed": run["commands"],
        "commands_committed_per_s": round(run["commands"] / run["seconds"]),
        "events_per_s": round(run["events"] / run["seconds"]),
        "wall_seconds": round(run["seconds"], 3),
    }
    print(json.dumps(figures, indent=2) if args.json else
          "\n".join(f"{k:>26}: {v}" for k, v in figures.items()))
    return 0


def _storm_or_failure(seed: int) -> tuple[int, str | None, dict[str, Any] | None]:
    try:
        result: StressResult = storm(seed, trace=False)
    except (InvariantViolation, SimulationError) as err:
        return seed, str(err).splitlines()[0], None
    return seed, None, {"steps": result.steps, "faults": result.faults}


@exit_code
def stress_main(argv: list[str]) -> int:
    """Run many seeds of :func:`storm`; exit 0 only when no seed fails."""
    parser = argparse.ArgumentParser(prog="consensus-lab stress raft")
    parser.add_argument("--seeds", type=positive_int(MAX_SEEDS), default=200,
                        help=f"how many seeds, 1-{MAX_SEEDS:_} (default 200)")
    parser.add_argument("--first", type=count(2**62), default=0, help="first seed (default 0)")
    parser.add_argument("--seed", type=SEED, help="run just this seed, with its trace")
    parser.add_argument("--jobs", type=positive_int(MAX_JOBS), default=2,
                        help=f"processes, 1-{MAX_JOBS} (default 2)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.seed is not None:
        return _one_seed(args.seed)
    from concurrent.futures import ProcessPoolExecutor

    seeds = range(args.first, args.first + args.seeds)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = list(pool.map(_storm_or_failure, seeds, chunksize=50))
    failures = [(seed, why) for seed, why, _ in outcomes if why]
    steps = sum(info["steps"] for _, _, info in outcomes if info)
    report = {"seeds": args.seeds, "violations": len(failures), "events": steps,
              "wall_seconds": round(time.perf_counter() - start, 1),
              "failures": [{"seed": s, "error": w,
                            "replay": f"consensus-lab stress raft --seed {s}"}
                           for s, w in failures[:20]]}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.seeds} seeds, {steps} events, {len(failures)} failing, "
              f"{report['wall_seconds']} s")
        for f in report["failures"]:
            print(f"  seed {f['seed']}: {f['error']}\n    replay: {f['replay']}")
    return 1 if failures else 0


def _one_seed(seed: int) -> int:
    try:
        result = storm(seed)
    except InvariantViolation as err:
        print(err)
        return 1
    except SimulationError as err:
        print(f"seed {seed}: {err}")
        return 1
    print(f"seed {seed}: ok, {result.steps} events, {result.faults} faults, "
          f"{result.committed} client writes acknowledged")
    print(f"trace digest: {result.digest}")
    return 0
