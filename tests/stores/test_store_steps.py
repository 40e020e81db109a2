"""Every store as a step protocol: cited rules, hashable states, same seed same run.

Runs each store in the simulator through a node that keeps every step's
effects, then checks what holds for all of them: every effect names the
rule it carries out (a module constant of its store), every state is an
immutable hashable value, a crashed node comes back with exactly what it
persisted, and the same seed replays the same states.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from consensus_lab.sim import Network, Simulation
from consensus_lab.sim.step import Effects
from consensus_lab.stores import causal, dynamo, quorum, sequential, stepping
from consensus_lab.stores.dynamo import DynamoConfig
from tests.stores.steps import stored_after

MODULES = (causal, dynamo, quorum, sequential, stepping)
RULES = {value for module in MODULES for name, value in vars(module).items()
         if name.startswith("RULE_")}


def recording(cls: type, **options: Any) -> Callable[[str, tuple[str, ...]], Any]:
    """A factory of ``cls`` nodes that also keep every step's effects in ``log``."""
    class Recording(cls):  # type: ignore[misc, valid-type]
        def stepped(self, before: Any, event: Any) -> None:  # after start and every step
            result: tuple[Any, Effects] = (self.state, self.last_effects)
            self.steps = [*getattr(self, "steps", []), result]
    return partial(Recording, **options)


STORES = {
    "sequential": recording(sequential.SequentialNode),
    "quorum": recording(quorum.QuorumNode, op_timeout=100),
    "dynamo-lww": recording(dynamo.DynamoNode, config=DynamoConfig(
        r=2, w=2, anti_entropy_every=30, op_timeout=100)),
    "dynamo-siblings": recording(dynamo.DynamoNode, config=DynamoConfig(
        mode="siblings", anti_entropy_every=30)),
    "causal": recording(causal.CausalNode),
}


CRASHED: dict[str, Any] = {}  # store -> the incarnation of n3 that crashed (last run)


def run(store: str, seed: int) -> Simulation:
    """Writes and reads from three clients over a reordering network, with a crash."""
    sim = Simulation(STORES[store], 3, seed=seed,
                     network=Network(latency=(1, 20), reorder=0.3, reorder_delay=30))
    for i in range(12):
        node = f"n{i % 3 + 1}"
        f = "write" if i % 3 else "read"
        sim.submit(node, f, "xy"[i % 2], f"v{i}" if f == "write" else None,
                   client=f"c{i % 3 + 1}", timeout=300)
        sim.run(until=sim.now + 7)
        if i == 6:
            CRASHED[store] = sim.nodes["n3"]
            sim.crash("n3")
        if i == 9:
            sim.restart("n3")
    sim.run(until=sim.now + 400)
    return sim


@pytest.mark.parametrize("store", sorted(STORES))
def test_every_effect_cites_a_rule_of_its_store(store: str) -> None:
    sim = run(store, seed=2)
    effects = [e for node in sim.nodes.values() if node is not None
               for _, step_effects in node.steps for e in step_effects]
    assert effects
    assert {e.rule for e in effects} <= RULES, {e.rule for e in effects} - RULES


@pytest.mark.parametrize("store", sorted(STORES))
def test_states_are_hashable_values_and_the_seed_replays_them(store: str) -> None:
    first, again = run(store, seed=4), run(store, seed=4)
    for node_id in first.node_ids:
        a, b = first.nodes[node_id], again.nodes[node_id]
        assert [s for s, _ in a.steps] == [s for s, _ in b.steps]
        assert all(isinstance(hash(s), int) for s, _ in a.steps)
        assert a.state == b.state
    assert first.trace.digest() == again.trace.digest()


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_restarted_node_starts_from_what_it_persisted_alone(store: str) -> None:
    """A crash keeps exactly the Persist effects of the old incarnation, nothing else."""
    sim = run(store, seed=3)
    old, new = CRASHED[store], sim.nodes["n3"]
    persisted = stored_after({}, tuple(e for _, effects in old.steps for e in effects))
    assert new.steps[0][0] == new.protocol.start("n3", new.peers, persisted)[0]
    if store == "sequential":
        assert persisted == {}  # nothing is durable: it restarts empty
