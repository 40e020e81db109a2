"""Seed sweeps: Paxos under random drops, duplicates, reordering, partitions and crashes.

Single-decree: each seed picks a network and a cluster size, then a nemesis
partitions, heals, crashes and restarts nodes for a while; agreement and
validity are checked after every event (``paxos_sim`` installs them). Then
everything is healed and, with randomized backoff, some learner must learn
and every proposer must finish (liveness once the network is calm).

Multi-Paxos: clients on every server while the nemesis works (and now and
then crashes the leader); agreement per slot, validity and replica
consistency after every event; at the end every replica has performed the
same slots and the client history is linearizable.

The same sweep on the buggy variants must find violations: it has teeth.
The default run sweeps hundreds of seeds; ``-m slow`` thousands.
"""

from __future__ import annotations

import random

import pytest

from consensus_lab.consistency import check
from consensus_lab.paxos import DONE, decided, learned, paxos_sim, proposers_of
from consensus_lab.paxos.multi import (
    leader_of,
    multipaxos_sim,
    run_until_answered,
    servers,
    wait_for_leader,
)
from consensus_lab.sim import InvariantViolation, Network, Simulation
from tests.paxos.harness import kv_history

CALM = Network(latency=(1, 10))


def random_network(rng: random.Random) -> Network:
    return Network(latency=(1, rng.choice((5, 20))), drop=rng.choice((0.0, 0.1, 0.3)),
                   duplicate=rng.choice((0.0, 0.1)), reorder=rng.choice((0.0, 0.2)),
                   reorder_delay=50)


def nemesis(sim: Simulation, rng: random.Random, *, crash_all: bool = True) -> None:
    """One random fault (partition, heal, crash, restart) or none."""
    ids = list(sim.node_ids)
    action = rng.choice(("partition", "heal", "crash", "restart", "calm"))
    up = [i for i in ids if i not in sim.crashed]
    if action == "partition":
        sim.heal()
        rng.shuffle(ids)
        sim.partition(ids[:len(ids) // 2], ids[len(ids) // 2:])
    elif action == "heal":
        sim.heal()
    elif action == "crash" and (crash_all or len(sim.crashed) < (len(ids) - 1) // 2):
        sim.crash(rng.choice(up))
    elif action == "restart" and sim.crashed:
        sim.restart(rng.choice(sorted(sim.crashed)))


def heal_all(sim: Simulation) -> None:
    sim.heal()
    for node in sorted(sim.crashed):
        sim.restart(node)
    for node in sorted(sim.paused):
        sim.resume(node)
    sim.set_network(CALM)


# ---------------------------------------------------------------- single-decree
def single_decree_storm(seed: int, variant: str = "correct") -> Simulation:
    """One seed: faults for a while, then heal and run until everyone is done."""
    rng = random.Random(seed)
    sim = paxos_sim(rng.choice((3, 5)), rng.choice((2, 3)), 2, seed=seed,
                    network=random_network(rng), variant=variant, trace=False)
    for _ in range(8):
        nemesis(sim, rng)
        sim.run(until=sim.now + rng.randint(5, 60))
    heal_all(sim)
    sim.run(until=lambda s: decided(s) and all(p.phase == DONE for p in proposers_of(s)),
            max_steps=200_000)
    return sim


def check_single_decree(seeds: range) -> None:
    for seed in seeds:
        try:
            sim = single_decree_storm(seed)
        except InvariantViolation as err:
            pytest.fail(f"seed {seed}: {err.name}: {err.message}")
        values = set(learned(sim).values())
        assert decided(sim) and len(values) == 1, f"seed {seed}: learned {learned(sim)}"
        assert {p.chosen for p in proposers_of(sim)} == values, f"seed {seed}"


def test_single_decree_safe_and_live_after_healing() -> None:
    check_single_decree(range(200))


@pytest.mark.slow
def test_single_decree_safe_and_live_after_healing_many_seeds() -> None:
    check_single_decree(range(200, 5_200))


@pytest.mark.parametrize(("variant", "seeds", "at_least"), [
    ("ignores-accepted", range(20), 15),
    ("forgetful-acceptor", range(60), 5),
    ("amnesiac-acceptor", range(300), 2),
])
def test_the_sweep_finds_each_buggy_variant(variant: str, seeds: range, at_least: int) -> None:
    """The same storm on a buggy variant: agreement is violated on some seeds."""
    violations = []
    for seed in seeds:
        try:
            single_decree_storm(seed, variant)
        except InvariantViolation as err:
            assert err.name == "agreement" and "two values chosen" in err.message
            violations.append(seed)
    assert len(violations) >= at_least, f"{variant}: violations on seeds {violations}"


# ---------------------------------------------------------------- Multi-Paxos
def multipaxos_storm(seed: int, n: int = 3, rounds: int = 10) -> Simulation:
    """Clients on random servers while faults happen; heal; a final command everywhere."""
    rng = random.Random(seed)
    network = Network(latency=(1, rng.choice((5, 15))), drop=rng.choice((0.0, 0.05, 0.2)),
                      duplicate=rng.choice((0.0, 0.05)), reorder=rng.choice((0.0, 0.1)),
                      reorder_delay=60)
    sim = multipaxos_sim(n, seed=seed, network=network, trace=False)
    for round_no in range(rounds):
        nemesis(sim, rng, crash_all=False)
        leader = leader_of(sim)
        if leader and not sim.crashed and rng.random() < 0.3:
            sim.crash(leader)
        for k in range(2):
            sim.submit(rng.choice(sim.node_ids), rng.choice(("put", "append", "get")), f"k{k}",
                       f"{round_no}.{k}", client=f"c{k}.{round_no}", timeout=600)
        sim.run(until=sim.now + 150)
    heal_all(sim)
    leader = wait_for_leader(sim, within=5_000)
    sim.submit(leader, "put", "final", "x", client="final", timeout=3_000)
    run_until_answered(sim, within=6_000)
    sim.run(until=sim.now + 500)
    return sim


def check_multipaxos(seeds: range, n: int) -> None:
    for seed in seeds:
        try:
            sim = multipaxos_storm(seed, n)
        except InvariantViolation as err:
            pytest.fail(f"seed {seed}: {err.name}: {err.message}")
        slots = {s.replica.slot_out for s in servers(sim)}
        assert len(slots) == 1, f"seed {seed}: replicas at different slots {slots}"
        stores = [s.replica.store.data for s in servers(sim)]
        assert all(store == stores[0] for store in stores), f"seed {seed}"
        result = check(kv_history(sim), "kv")
        assert result.verdict == "ok", f"seed {seed}: {result.explanation}"


def test_multipaxos_safe_linearizable_and_live_after_healing() -> None:
    check_multipaxos(range(60), n=3)
    check_multipaxos(range(12), n=5)


@pytest.mark.slow
def test_multipaxos_safe_linearizable_and_live_after_healing_many_seeds() -> None:
    check_multipaxos(range(60, 1_060), n=3)
    check_multipaxos(range(12, 512), n=5)
