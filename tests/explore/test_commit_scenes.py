"""2PC, 3PC and replicated 2PC on the value-based checker: same scenes, same verdicts."""

from __future__ import annotations

from typing import Any

import pytest

from consensus_lab.commit import (
    COMMIT,
    Decision,
    DecisionRequest,
    Prepare,
    Vote,
    commit_protocols,
    commit_sim,
)
from consensus_lab.explore.commit_checks import (
    atomicity,
    dead,
    not_blocked,
    synchronous,
    useful_asks,
)
from consensus_lab.explore.commit_scenes import (
    REPLICATED_SCENES,
    REPLICATED_SUMMARIES,
    TABLES,
    THREEPC_SCENES,
    THREEPC_SUMMARIES,
    TWOPC_SCENES,
    TWOPC_SUMMARIES,
    CommitModel,
    commit_scene,
    commit_variants,
)
from consensus_lab.explore.replay import WorldScene, explore_scene, schedule_of, world_of
from consensus_lab.explore.space import Scene, Search
from consensus_lab.sim import ConfigError, InvariantViolation, Network, StepNode
from consensus_lab.sim.world import Move, World

#: (protocol, variant) -> (invariant, moves of the shortest counterexample), or None when
#: the variant is correct. The lengths are the old explorer's (explore/commit.py).
EXPECTED: dict[tuple[str, str], tuple[str, int] | None] = {
    ("2pc", "correct"): None,
    ("2pc", "majority-commit"): ("atomicity", 6),
    ("2pc", "no-log-coordinator"): ("atomicity", 9),
    ("2pc", "forgetful-participant"): ("atomicity", 8),
    ("2pc", "commit-on-timeout"): ("atomicity", 3),
    ("2pc", "coordinator-crash"): ("not blocked", 2),
    ("3pc", "correct"): None,
    ("3pc", "partition"): ("atomicity", 8),
    ("2pc-replicated", "correct"): None,
}
#: States of the exhaustive searches (world + budgets left, symmetry on). The old explorer
#: counted 2688, 6053 and 1520: it merged a state seen with more crash budget left, had no
#: effective participant symmetry, and kept no crash memory for 3PC's failure detector.
COMPLETE_STATES = {("2pc", "correct"): 679, ("3pc", "correct"): 1243,
                   ("2pc-replicated", "correct"): 1520}
CASES = sorted(EXPECTED)


def test_every_variant_the_old_explorer_knew_has_a_scene() -> None:
    assert sorted((p, v) for p in TABLES for v in commit_variants(p)) == CASES
    for summaries, scenes in ((TWOPC_SUMMARIES, TWOPC_SCENES),
                              (THREEPC_SUMMARIES, THREEPC_SCENES),
                              (REPLICATED_SUMMARIES, REPLICATED_SCENES)):
        assert set(summaries) == set(scenes)
    with pytest.raises(ConfigError, match="unknown 3pc variant 'nope'; allowed: correct, "
                                          "partition"):
        commit_scene("3pc", "nope")
    with pytest.raises(ConfigError, match="unknown commit protocol 'paxos'"):
        commit_scene("paxos", "correct")


@pytest.mark.parametrize("protocol, variant", CASES)
def test_buggy_variants_are_found_and_correct_ones_exhausted(protocol: str,
                                                             variant: str) -> None:
    result = explore_scene(commit_scene(protocol, variant))
    expected = EXPECTED[(protocol, variant)]
    if expected is None:
        assert result.complete and result.violation is None
        assert result.states == COMPLETE_STATES[(protocol, variant)]
        assert result.goal is not None  # every participant can still decide
        return
    name, length = expected
    cx = result.violation
    assert cx is not None and cx.invariant == name and len(cx) == length
    error = cx.check()
    assert isinstance(error, InvariantViolation) and error.name == name


@pytest.mark.parametrize("protocol, variant",
                         [c for c in CASES if c[0] != "2pc-replicated"])
def test_scenes_without_a_prefix_run_in_explore_scene(protocol: str, variant: str) -> None:
    result = explore_scene(commit_scene(protocol, variant))
    expected = EXPECTED[(protocol, variant)]
    assert (result.violation is None) == (expected is None)
    if expected is not None:
        assert result.violation is not None and result.violation.invariant == expected[0]


@pytest.mark.parametrize("protocol, variant", CASES)
def test_sleep_sets_keep_every_state_and_the_shortest_counterexample(protocol: str,
                                                                     variant: str) -> None:
    scene = commit_scene(protocol, variant)
    plain = Search(scene, por=False).run()
    reduced = Search(scene, por=True).run()
    assert reduced.states == plain.states and reduced.complete == plain.complete
    assert reduced.transitions <= plain.transitions
    assert (reduced.violation is None) == (plain.violation is None)
    if plain.violation is not None:
        assert reduced.violation is not None
        assert len(reduced.violation) == len(plain.violation)
        assert reduced.invariant == plain.invariant


def test_the_replicated_prefix_is_the_simulators_moment_of_blocking() -> None:
    sim = commit_sim("replicated", 2, network=Network(latency=(1, 1)), invariants=False)
    sim.run(until=lambda s: all(len(s.nodes[c].yes_votes) == 2  # type: ignore[union-attr]
                                for c in ("c1", "c2", "c3")), max_steps=10_000)
    sim.crash("c1")
    scene = commit_scene("2pc-replicated")
    model = scene.model
    states = tuple(getattr(sim.nodes[n], "state", None) for n in model.ids)
    start = WorldScene(scene).start()  # the world after the scene's prefix
    assert start == world_of(sim, model, states, ())
    c2 = model.node(start, "c2")
    assert c2.yes_votes == {"p1", "p2"} and c2.decision is None


def test_the_replicated_goal_replays_after_the_prefix() -> None:
    result = explore_scene(commit_scene("2pc-replicated"))
    goal = result.goal
    assert goal is not None and len(goal) == 7  # the prefix is the setup, not moves
    nodes = goal.sim.nodes  # StepNodes running the scene's protocols
    states: dict[str, Any] = {n: node.state for n, node in nodes.items()
                              if isinstance(node, StepNode)}
    assert [states[p].phase for p in ("p1", "p2")] == ["committed", "committed"]
    assert states["c2"].decision == COMMIT


def test_a_message_to_a_crashed_node_may_be_lost() -> None:
    model = CommitModel(commit_protocols("2pc", 2))
    world, _ = model.apply(model.initial(), Move("crash", "p1"))
    lose = [m for m in model.moves(world) if m.node == "p1"]
    assert [m.kind for m in lose] == ["deliver"]
    after, effects = model.apply(world, lose[0])
    assert effects == () and len(after.net) == len(world.net) - 1
    assert after.states == world.states
    path = [Move("crash", "p1"), lose[0], Move("restart", "p1")]
    schedule = schedule_of(Scene(model), path)  # the simulator loses it too ("node down")
    p1: Any = schedule.sim.nodes["p1"]
    assert p1.state.phase == "aborted"  # restarted without a Prepare: it lost the work


def _after(model: CommitModel, *moves: Move) -> World:
    world = model.initial()
    for move in moves:
        world, _ = model.apply(world, move)
    return world


def test_world_invariants_read_states_and_logs() -> None:
    model = CommitModel(commit_protocols("2pc", 2))
    world = model.initial()
    assert atomicity(model, world) is None
    states = list(world.states)
    stored = list(world.stored)
    i, j = model.index["p1"], model.index["p2"]
    states[i] = None  # p1 crashed after logging commit: it still counts
    stored[i] = (("log", "commit"), ("tx", "T1"))
    stored[j] = (("log", "abort"), ("tx", "T1"))
    broken = world._replace(states=tuple(states), stored=tuple(stored))
    assert atomicity(model, broken) == ("p1 committed but p2 aborted (atomicity: all commit "
                                        "or all abort)")


def test_not_blocked_once_the_only_coordinator_is_down() -> None:
    model = CommitModel(commit_protocols("2pc", 2))
    prepared = _after(model, Move("deliver", "p1", ("p1", "c1", _prepare())))
    assert not_blocked(model, prepared) is None  # c1 is up
    down = _after(model, Move("deliver", "p1", ("p1", "c1", _prepare())), Move("crash", "c1"))
    assert not_blocked(model, down) == ("p1 in doubt, holding locks, and nothing can decide: "
                                        "coordinators down: c1 (blocked until one recovers)")


def _prepare() -> Prepare:
    return Prepare(tx="T1")


def test_filters_on_worlds() -> None:
    model = CommitModel(commit_protocols("2pc", 2))
    prepared = _after(model, Move("deliver", "p1", ("p1", "c1", _prepare())))
    ask = Move("fire", "p1", name="ask")
    assert not useful_asks(model, prepared, ask)  # c1 still collects votes
    voted = _after(model, *(Move("deliver", p, (p, "c1", _prepare())) for p in ("p1", "p2")),
                   *(Move("deliver", "c1", ("c1", p, Vote(tx="T1", yes=True)))
                     for p in ("p1", "p2")))
    assert not useful_asks(model, voted, ask)  # the Commit is on its way to p1
    assert dead(model, voted, ("c1", "p1", Vote(tx="T1", yes=True)))  # c1 committed
    assert not dead(model, voted, ("c1", "p1", DecisionRequest(tx="T1")))
    committed = _after(model, *(Move("deliver", p, (p, "c1", _prepare())) for p in ("p1", "p2")),
                       *(Move("deliver", "c1", ("c1", p, Vote(tx="T1", yes=True)))
                         for p in ("p1", "p2")),
                       Move("deliver", "p1", ("p1", "c1", Decision(tx="T1", outcome=COMMIT))))
    assert dead(model, committed, ("p1", "c1", Decision(tx="T1", outcome=COMMIT)))


def test_synchronous_timeouts_wait_for_a_quiet_network_and_a_failure() -> None:
    model = CommitModel(commit_protocols("3pc", 2), remember_crashes=True)
    start = model.initial()
    watch = Move("fire", "p1", name="coordinator")
    assert start.net and not synchronous(model, start, watch)  # CanCommits in flight
    crashed = _after(model, Move("crash", "c1"))
    assert crashed.ghost == frozenset({"c1"})
    quiet = crashed._replace(net=())
    assert synchronous(model, quiet, watch)  # c1 is down
    assert not synchronous(model, start._replace(net=()), watch)  # c1 is up
