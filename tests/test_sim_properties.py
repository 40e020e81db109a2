"""Property tests of the simulator: determinism, replay, and fault semantics.

A Hypothesis state machine throws random faults and client operations at a
cluster of chatty nodes; after every rule the invariants below must hold,
and at the end the run must replay exactly from its recorded choices.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from consensus_lab.sim import Network, ReplayDivergence, Simulation
from tests.simnodes import Gossip, Recorder

NODES = ("n1", "n2", "n3", "n4")
NET = Network(latency=(1, 12), drop=0.1, duplicate=0.05, reorder=0.1)


def gossip_run(seed: int, steps: int = 400) -> Simulation:
    sim = Simulation(Gossip, NODES, seed=seed, network=NET)
    sim.run(max_steps=steps // 2)
    sim.crash("n2")
    sim.partition(["n1"], ["n3", "n4"])
    sim.run(max_steps=steps // 4)
    sim.restart("n2")
    sim.heal()
    sim.pause("n4")
    sim.run(max_steps=steps // 4)
    sim.resume("n4")
    return sim


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_same_seed_same_digest(seed: int) -> None:
    assert gossip_run(seed).trace.digest() == gossip_run(seed).trace.digest()


def test_different_seeds_give_different_runs() -> None:
    digests = {gossip_run(seed).trace.digest() for seed in range(10)}
    assert len(digests) == 10


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_choice_list_alone_replays_the_run(seed: int) -> None:
    original = gossip_run(seed)
    copy = Simulation.replay(Gossip, NODES, original.choices, original.steps,
                             seed=seed + 1, network=NET)  # wrong seed: the list must suffice
    assert copy.trace.digest() == original.trace.digest()
    assert copy.steps == original.steps


def test_replay_prefix_then_continue_matches_the_original() -> None:
    original = gossip_run(5)
    mark_steps = 150
    prefix = Simulation(Gossip, NODES, seed=5, network=NET)
    prefix.run(max_steps=mark_steps)
    rebuilt = Simulation.replay(Gossip, NODES, prefix.choices, mark_steps, seed=5, network=NET)
    rebuilt.run(max_steps=50)
    again = Simulation(Gossip, NODES, seed=5, network=NET)
    again.run(max_steps=mark_steps + 50)
    assert rebuilt.trace.digest() == again.trace.digest()
    assert original.steps > mark_steps


def test_replay_detects_changed_code() -> None:
    original = gossip_run(3)
    try:
        Simulation.replay(Recorder, NODES, original.choices, original.steps, network=NET)
    except ReplayDivergence as err:
        assert "recorded" in str(err)
    else:
        raise AssertionError("replaying Gossip's choices with Recorder nodes must diverge")


class FaultyCluster(RuleBasedStateMachine):
    """Random faults and requests against four Recorder/Gossip nodes."""

    def __init__(self) -> None:
        super().__init__()
        self.sim = Simulation(Gossip, NODES, seed=11, network=NET)
        self.sim.add_invariant("no delivery over a cut link", self.no_delivery_over_a_cut_link)
        self.frozen: dict[str, int] = {}

    @rule(steps=st.integers(1, 40))
    def run_some(self, steps: int) -> None:
        self.sim.run(max_steps=steps)

    @rule(node=st.sampled_from(NODES))
    def crash(self, node: str) -> None:
        if node not in self.sim.crashed:
            self.frozen.pop(node, None)
            self.sim.crash(node)

    @rule(node=st.sampled_from(NODES))
    def restart(self, node: str) -> None:
        if node in self.sim.crashed:
            self.sim.restart(node)

    @rule(node=st.sampled_from(NODES))
    def pause(self, node: str) -> None:
        if node not in self.sim.crashed and node not in self.sim.paused:
            self.sim.pause(node)
            self.frozen[node] = self.sim.nodes[node].heard  # type: ignore[union-attr]

    @rule(node=st.sampled_from(NODES))
    def resume(self, node: str) -> None:
        if node in self.sim.paused:
            self.sim.resume(node)
            del self.frozen[node]

    @rule(group=st.sets(st.sampled_from(NODES), min_size=1, max_size=3))
    def partition(self, group: set[str]) -> None:
        self.sim.partition(sorted(group))

    @rule()
    def heal(self) -> None:
        self.sim.heal()

    @invariant()
    def crashed_nodes_have_no_object(self) -> None:
        for node in NODES:
            assert (self.sim.nodes[node] is None) == (node in self.sim.crashed)

    @invariant()
    def paused_nodes_handle_nothing(self) -> None:
        for node, count in self.frozen.items():
            assert self.sim.nodes[node].heard == count  # type: ignore[union-attr]

    @staticmethod
    def no_delivery_over_a_cut_link(sim: Simulation) -> bool | str:
        """Checked by the simulator after every event."""
        last = sim.trace.records[-1]
        fresh = last.kind == "deliver" and last.step == sim.steps
        if fresh and sim.network.is_blocked(last.peer, last.node):
            return f"{last.peer}->{last.node} delivered across a partition"
        return True

    @invariant()
    def time_never_goes_backwards(self) -> None:
        times = [r.time for r in self.sim.trace.records]
        assert times == sorted(times)

    @precondition(lambda self: self.sim.steps > 0)
    @rule()
    def replay_matches(self) -> None:
        copy = Simulation.replay(Gossip, NODES, self.sim.choices, self.sim.steps, network=NET)
        assert copy.trace.digest() == self.sim.trace.digest()


TestFaultyCluster = FaultyCluster.TestCase
TestFaultyCluster.settings = settings(max_examples=30, stateful_step_count=25, deadline=None)


def test_replay_keeps_inputs_made_after_idle_time_passed() -> None:
    sim = Simulation(Recorder, NODES, seed=2, network=NET)
    workload = sim.rng("workload")
    for _ in range(5):
        sim.run(until=sim.now + workload.randint(1, 30))
        sim.submit(workload.choice(NODES), "ping", value=workload.randint(0, 9))
    sim.run(until=sim.now + 100)
    copy = Simulation.replay(Recorder, NODES, sim.choices, sim.steps, network=NET)
    assert [op.time for op in copy.history] == [op.time for op in sim.history]
    assert copy.trace.digest() == sim.trace.digest() and copy.now == sim.now


def test_recording_with_a_network_change_survives_json() -> None:
    import json

    sim = Simulation(Gossip, NODES, seed=4, network=NET)
    sim.run(max_steps=50)
    sim.set_network(NET.with_defaults(drop=0.5).with_link("n1", "n2", latency=(30, 40)))
    sim.partition(["n1"])
    sim.run(max_steps=80)
    recording = json.loads(json.dumps(sim.choices))
    copy = Simulation.replay(Gossip, NODES, recording, sim.steps, network=NET)
    assert copy.trace.digest() == sim.trace.digest()
    assert copy.network == sim.network
