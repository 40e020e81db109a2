"""Command-line entries for Raft: ``demo raft``, ``bench raft`` and ``stress raft``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ..kv import Command
from ..sim import InvariantViolation, Network, Simulation, SimulationError
from .cluster import check_one_leader, leaders, one, raft_cluster
from .node import RaftConfig
from .stress import StressResult, storm


def _narrate(sim: Simulation, since: int) -> int:
    """Print the role changes and commits noted since trace position ``since``."""
    for record in sim.trace.records[since:]:
        if record.kind == "note":
            print(f"  t={record.time:5d} {record.node}: {record.detail}")
    return len(sim.trace)


def demo_raft(argv: list[str]) -> Simulation:
    """Elect a leader, replicate ``SET X=5`` and friends, optionally break things."""
    parser = argparse.ArgumentParser(prog="consensus-lab demo raft")
    parser.add_argument("--nodes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--crash-leader", action="store_true", help="crash the first leader")
    parser.add_argument("--partition", metavar="N1,N2", help="cut these nodes off the rest")
    args = parser.parse_args(argv)
    sim = raft_cluster(args.nodes, seed=args.seed)
    print(f"Raft, {args.nodes} nodes, seed {args.seed}: election timeouts 150-300 ms")
    mark = _narrate(sim, 0)
    leader = check_one_leader(sim)
    mark = _narrate(sim, mark)
    index = one(sim, "SET X=5", expected=args.nodes)
    print(f"  'SET X=5' committed at index {index} on all {args.nodes} nodes (t={sim.now})")
    if args.partition:
        group = args.partition.split(",")
        sim.partition(group)
        print(f"  partition: {group} cut off from the rest")
    if args.crash_leader:
        sim.crash(leader.node_id)
        print(f"  crash {leader.node_id} (the leader)")
    if args.partition or args.crash_leader:
        check_one_leader(sim)
        mark = _narrate(sim, mark)
        alive = len(sim.node_ids) - len(sim.crashed)
        quorum = args.nodes // 2 + 1
        index = one(sim, "SET Y=7", expected=quorum)
        print(f"  'SET Y=7' committed at index {index} on a majority ({quorum} of {alive} up)")
    sim.run(until=sim.now + 500)
    for node_id, row in sim.view().items():
        print(f"  {node_id}: {row}")
    return sim


def _bench_once(commands: int, batch: int, seed: int) -> dict[str, float]:
    network = Network(latency=(1, 5), drop=0.01, duplicate=0.01)
    config = RaftConfig(keep_applied=False, max_entries_per_message=256,
                        snapshot_threshold=5_000)
    sim = raft_cluster(5, seed=seed, network=network, config=config, invariants=False,
                       trace=False)
    check_one_leader(sim)
    start_steps, start = sim.steps, time.perf_counter()
    submitted = 0
    while submitted < commands:
        found = leaders(sim)
        if not found:
            sim.run(until=sim.now + 300)
            continue
        leader = found[0].node_id
        for _ in range(batch):  # a client library would batch the same way
            command = Command(client="bench", seq=submitted + 1, op="put", key=submitted,
                              value=submitted)
            submitted += sim.call(leader, "submit", command)[2]
        sim.run(until=sim.now + 5)
    target = max(n.log.last_index for n in leaders(sim))
    sim.run(until=lambda s: min(n.commit_index for n in s.nodes.values() if n) >= target,
            max_steps=5_000_000)
    elapsed = time.perf_counter() - start
    committed = min(len(n.store.data) for n in sim.nodes.values() if n)  # type: ignore[union-attr]
    return {"commands": committed, "submitted": submitted, "seconds": elapsed,
            "events": sim.steps - start_steps}


def bench_raft(argv: list[str]) -> int:
    """Committed commands per wall-clock second, 5 nodes, drops and duplicates on."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench raft")
    parser.add_argument("--commands", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=50, help="commands submitted per 5 ms")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    run = _bench_once(args.commands, args.batch, seed=1)
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


def stress_raft(argv: list[str]) -> int:
    """Run many seeds of :func:`storm`; exit 0 only when no seed fails."""
    parser = argparse.ArgumentParser(prog="consensus-lab stress raft")
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first", type=int, default=0, help="first seed")
    parser.add_argument("--seed", type=int, help="run just this seed, with its trace")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.seed is not None:
        return _one_seed(args.seed)
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


if __name__ == "__main__":
    sys.exit(stress_raft(sys.argv[1:]))
