"""Slow stress runs (``make test-slow``): long seed sweeps with every fault on."""

from __future__ import annotations

import pytest

from consensus_lab.clocks import random_broadcasts
from consensus_lab.sim import Simulation
from tests.test_sim_properties import NET, NODES, Gossip, gossip_run

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("block", range(10))
def test_replay_from_choices_over_500_seeds(block: int) -> None:
    for seed in range(block * 50, block * 50 + 50):
        original = gossip_run(seed, steps=2_000)
        copy = Simulation.replay(Gossip, NODES, original.choices, original.steps, network=NET)
        assert copy.trace.digest() == original.trace.digest(), f"seed {seed}"


@pytest.mark.parametrize("block", range(10))
def test_causal_broadcast_keeps_causal_order_over_1000_seeds(block: int) -> None:
    for seed in range(block * 100, block * 100 + 100):
        random_broadcasts(seed, nodes=("n1", "n2", "n3", "n4", "n5"), messages=20)
