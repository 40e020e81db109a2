"""``consensus-lab demo paxos`` and ``bench paxos``.

``demo_main`` and ``bench_main`` take the arguments after the command name
and return an exit code; every demo ends with ``trace digest: <hex>`` —
the same seed prints the same digest on every machine.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from ..paxos.bench import MAX_BATCH, MAX_COMMANDS, MAX_NODES, bench_paxos
from ..paxos.cluster import learned, paxos_sim
from ..paxos.config import VARIANTS
from ..paxos.invariants import chosen_values, decided
from ..paxos.multi.cluster import servers
from ..paxos.multi.scenarios import leader_failover, messages_per_command
from ..paxos.scenarios import (
    ScheduleResult,
    amnesia,
    duel,
    forgotten_promise,
    ignored_accepted_value,
)
from ..sim import Simulation
from .args import add_seed, exit_code, int_in, one_of, positive_int

#: Simulated ms a demo may run: the duel without backoff can go on for ever.
MAX_HORIZON_MS = 20_000

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


@exit_code
def demo_main(argv: list[str]) -> int:
    """``consensus-lab demo paxos [--duel] [--multi] [--variant V] [--backoff|--no-backoff]``."""
    parser = argparse.ArgumentParser(prog="consensus-lab demo paxos")
    add_seed(parser)
    parser.add_argument("--duel", action="store_true",
                        help="two proposers under the FLP adversary (default: no backoff)")
    parser.add_argument("--multi", action="store_true", help="Multi-Paxos with a leader crash")
    parser.add_argument("--variant", default="correct", type=one_of(tuple(VARIANTS)),
                        help=f"a buggy variant's scripted schedule: {', '.join(VARIANTS)}")
    parser.add_argument("--backoff", dest="backoff", action="store_true", default=None,
                        help="randomized backoff after a Nack")
    parser.add_argument("--no-backoff", dest="backoff", action="store_false")
    parser.add_argument("--horizon", type=int_in(1, MAX_HORIZON_MS), default=1_000,
                        help=f"simulated ms to run at most, 1-{MAX_HORIZON_MS:_} (default 1000)")
    args = parser.parse_args(argv)
    if args.multi:
        digest = _demo_multi(args.seed)
    elif args.variant != "correct":
        digest = _demo_variant(args.variant)
    elif args.duel:
        digest = _demo_duel(args.seed, bool(args.backoff), args.horizon)
    else:
        digest = _demo_basic(args.seed, args.backoff is not False, args.horizon)
    print(f"trace digest: {digest}")
    return 0


@exit_code
def bench_main(argv: list[str]) -> int:
    """``consensus-lab bench paxos``: committed commands per second, messages per command."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench paxos")
    parser.add_argument("--commands", type=positive_int(MAX_COMMANDS), default=20_000,
                        help=f"commands to commit, 1-{MAX_COMMANDS:_} (default 20_000)")
    parser.add_argument("--nodes", type=positive_int(MAX_NODES), default=3,
                        help=f"servers, 1-{MAX_NODES} (default 3)")
    parser.add_argument("--batch", type=positive_int(MAX_BATCH), default=50,
                        help=f"commands submitted per 5 ms, 1-{MAX_BATCH:_} (default 50)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    run = bench_paxos(args.commands, args.nodes, args.batch, seed=1)
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
