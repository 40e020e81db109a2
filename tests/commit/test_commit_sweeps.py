"""Seed sweeps and a Hypothesis run: random crashes, restarts and loss, atomicity always.

A failure message names the seed; ``commit_sim(..., seed=S)`` with the same
nemesis replays it.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus_lab.commit import all_decided, commit_sim, monitor_of
from consensus_lab.sim import InvariantViolation, Network


def chaos_run(protocol: str, seed: int, drop: float = 0.05, variant: str = "correct"):
    """Random crash + restart of one node, random loss; run to the horizon.

    3PC runs without loss: it is safe only with crashes and a synchronous network (its
    timeouts, 150 ms, are far above the 10 ms latency bound); loss is a partition.
    """
    rng = random.Random(seed)
    drop = 0.0 if protocol == "3pc" else drop
    sim = commit_sim(protocol, 3, seed=seed, network=Network(latency=(1, 10), drop=drop),
                     no_voters=["p2"] if rng.random() < 0.2 else (), variant=variant)
    victim = rng.choice(sim.node_ids)
    crash_at = rng.randint(0, 40)
    sim.at(crash_at, "crash", victim)
    sim.at(crash_at + rng.randint(1, 400), "restart", victim)
    sim.run(until=lambda s: s.now > 600 and all_decided(s), max_steps=50_000)
    return sim


@pytest.mark.parametrize("protocol", ["2pc", "3pc", "replicated"])
def test_seed_sweep_atomic_and_decided(protocol):
    for seed in range(25):
        sim = chaos_run(protocol, seed)  # atomicity is checked after every event
        assert all_decided(sim), f"{protocol} seed {seed}: undecided {sim.view()}"
        assert len(set(monitor_of(sim).outcomes.values())) == 1, f"seed {seed}"


def test_sweep_has_teeth():
    """The same sweep on a participant that commits when it tires of waiting breaks."""
    broken = 0
    for seed in range(25):
        try:
            chaos_run("2pc", seed, variant="commit-on-timeout")
        except InvariantViolation as err:
            assert err.name == "atomicity"
            broken += 1
    assert broken > 0


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["2pc", "3pc", "replicated"])
def test_seed_sweep_long(protocol):
    for seed in range(400):
        sim = chaos_run(protocol, seed, drop=0.1)
        assert all_decided(sim), f"{protocol} seed {seed}"


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), down=st.integers(1, 300),
       crash_at=st.integers(0, 30), victim=st.sampled_from(["c1", "c2", "p1", "p3"]))
def test_replicated_never_blocks_on_one_replica(seed, down, crash_at, victim):
    """One replica or participant down for a while: all decide, atomically, and no
    participant stays in doubt much past the replicas' decide timeout."""
    sim = commit_sim("replicated", 3, seed=seed)
    sim.at(crash_at, "crash", victim)
    sim.at(crash_at + down, "restart", victim)
    sim.run(until=lambda s: all_decided(s) and s.now > crash_at + down, max_steps=50_000)
    assert all_decided(sim), f"seed {seed}"
    monitor = monitor_of(sim)
    for p in ("p1", "p2", "p3"):
        if p != victim:
            assert monitor.in_doubt_time(p, sim.now) < 400, f"seed {seed}: {p}"
