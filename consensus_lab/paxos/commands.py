"""Command-line entries for Paxos: ``demo paxos`` and ``bench paxos``.

``demo_main`` and ``bench_main`` take the arguments after the command name
and return an exit code; every demo ends with ``trace digest: <hex>`` —
the same seed prints the same digest on every machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

from ..kv import Command
from ..sim import ConfigError, Network, Simulation
from .cluster import learned, paxos_sim
from .config import VARIANTS
from .invariants import chosen_values, decided
from .multi.cluster import multipaxos_sim, servers, wait_for_leader
from .multi.scenarios import leader_failover, messages_per_command
from .multi.server import MultiPaxosConfig
from .scenarios import (
    ScheduleResult,
    amnesia,
    duel,
    forgotten_promise,
    ignored_accepted_value,
)

#: The scripted schedule that shows each buggy variant choosing two values.
SCHEDULES: dict[str, Callable[[str], ScheduleResult]] = {
    "ignores-accepted": ignored_accepted_value,
    "forgetful-acceptor": forgotten_promise,
    "amnesiac-acceptor": amnesia,
}


def _notes(sim: Simulation) -> None:
    for record in sim.trace.filter(kind="note"):
        print(f"  t={record.time:5d} {record.node}: {record.detail}")


def _table(sim: Simulation) -> None:
    for node_id, row in sim.view().items():
        print(f"  {node_id}: " + ", ".join(f"{k}={v}" for k, v in row.items()))


def _demo_basic(seed: int, backoff: bool, horizon: int) -> str:
    sim = paxos_sim(seed=seed, backoff=backoff)
    print(f"Single-decree Paxos, 3 acceptors, 2 proposers, 1 learner, seed {seed}, "
          f"backoff {'on' if backoff else 'off'}")
    sim.run(until=lambda s: decided(s) or s.now >= horizon)
    _notes(sim)
    _table(sim)
    outcome = learned(sim)
    print(f"  chosen (from the acceptors): {chosen_values(sim)}; learned: {outcome or 'nothing'}")
    return sim.trace.digest()


def _demo_duel(seed: int, backoff: bool, horizon: int) -> str:
    result = duel(seed, backoff, horizon)
    print("The duel: two proposers, a fair adversary (phase-1 messages fast, Accepts held to "
          "the 10 ms latency bound)")
    print(f"  {result}")
    print("  highest ballot round over time: "
          + ", ".join(f"t={t}: {r}" for t, r in result.rounds_over_time[:10]))
    if not result.decided:
        print("  FLP: without randomness this schedule can go on for ever; try --backoff")
    return result.digest


def _demo_variant(variant: str) -> str:
    result = SCHEDULES[variant](variant)
    correct = SCHEDULES[variant]("correct")
    print(f"Variant {variant!r}: {VARIANTS[variant]}")
    print(f"  scripted schedule ({SCHEDULES[variant].__name__}):")
    print(f"    correct Paxos chose {list(correct.chosen)}")
    print(f"    {variant} chose {list(result.chosen)}")
    print(f"    {result.violation or 'no violation'}")
    return result.sim.trace.digest()


def _demo_multi(seed: int) -> str:
    print(f"Multi-Paxos, 3 servers (replica + leader + acceptor each), seed {seed}")
    failover = leader_failover(seed)
    sim = failover.sim
    _notes(sim)
    print(f"  {failover.old_leader} led with ballot {failover.old_ballot}; crashed; "
          f"{failover.new_leader} took over with ballot {failover.new_ballot} "
          f"after {failover.takeover_ms} ms")
    print(f"  client answers: {failover.answered}")
    for server in servers(sim):
        print(f"  {server.node_id}: {server.describe()} store={server.replica.store.data}")
    return sim.trace.digest()


def demo_main(argv: list[str]) -> int:
    """``consensus-lab demo paxos [--duel] [--multi] [--variant V] [--backoff|--no-backoff]``."""
    parser = argparse.ArgumentParser(prog="consensus-lab demo paxos")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--duel", action="store_true",
                        help="two proposers under the FLP adversary (default: no backoff)")
    parser.add_argument("--multi", action="store_true", help="Multi-Paxos with a leader crash")
    parser.add_argument("--variant", default="correct",
                        help=f"a buggy variant's scripted schedule: {', '.join(VARIANTS)}")
    parser.add_argument("--backoff", dest="backoff", action="store_true", default=None,
                        help="randomized backoff after a Nack")
    parser.add_argument("--no-backoff", dest="backoff", action="store_false")
    parser.add_argument("--horizon", type=int, default=1_000, help="ms to run at most")
    args = parser.parse_args(argv)
    if args.variant not in VARIANTS:
        print(f"unknown Paxos variant {args.variant!r}; choose one of: {', '.join(VARIANTS)}",
              file=sys.stderr)
        return 2
    try:
        if args.multi:
            digest = _demo_multi(args.seed)
        elif args.variant != "correct":
            digest = _demo_variant(args.variant)
        elif args.duel:
            digest = _demo_duel(args.seed, bool(args.backoff), args.horizon)
        else:
            digest = _demo_basic(args.seed, args.backoff is not False, args.horizon)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"trace digest: {digest}")
    return 0


def _bench_once(commands: int, nodes: int, batch: int, seed: int) -> dict[str, float]:
    network = Network(latency=(1, 5), drop=0.01, duplicate=0.01)
    sim = multipaxos_sim(nodes, seed=seed, network=network, invariants=False, trace=False,
                         config=MultiPaxosConfig(window=4 * batch))
    leader = wait_for_leader(sim)
    sent0, steps0, start = sim.stats["sent"], sim.steps, time.perf_counter()
    for first in range(0, commands, batch):
        for i in range(first, min(commands, first + batch)):
            sim.call(leader, "submit", Command(client=f"b{i}", seq=1, op="put", key=i, value=i))
        sim.run(until=sim.now + 5)
    sim.run(until=lambda s: min(srv.replica.slot_out for srv in servers(s)) > commands,
            max_steps=5_000_000)
    elapsed = time.perf_counter() - start
    committed = min(srv.replica.slot_out for srv in servers(sim)) - 1
    return {"committed": committed, "seconds": elapsed, "events": sim.steps - steps0,
            "messages": sim.stats["sent"] - sent0}


def bench_main(argv: list[str]) -> int:
    """``consensus-lab bench paxos``: committed commands per second, messages per command."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench paxos")
    parser.add_argument("--commands", type=int, default=20_000)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--batch", type=int, default=50, help="commands submitted per 5 ms")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.commands < 1 or args.nodes < 1 or args.batch < 1:
        print("--commands, --nodes and --batch must be >= 1", file=sys.stderr)
        return 2
    run = _bench_once(args.commands, args.nodes, args.batch, seed=1)
    sequential = messages_per_command(100, n=args.nodes, seed=1)
    figures = {
        "workload": f"{args.nodes} servers, drop 1%, duplicate 1%, {args.batch} commands per "
                    "5 ms, tracing and invariants off",
        "commands_committed": run["committed"],
        "commands_committed_per_s": round(run["committed"] / run["seconds"]),
        "events_per_s": round(run["events"] / run["seconds"]),
        "messages_per_command": round(run["messages"] / max(1, run["committed"]), 2),
        "messages_per_command_one_at_a_time": round(sequential.per_command, 2),
        "wall_seconds": round(run["seconds"], 3),
    }
    print(json.dumps(figures, indent=2) if args.json else
          "\n".join(f"{k:>36}: {v}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(demo_main(sys.argv[1:]))
