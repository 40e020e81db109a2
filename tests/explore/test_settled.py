"""The settled network (Jepsen's model) and Raft's Figure 8 from a cold start on it."""

from __future__ import annotations

import json

import pytest

from consensus_lab.cli import main
from consensus_lab.explore.raft_scene import settled_scene
from consensus_lab.explore.replay import explore_scene, schedule_of, single_moves
from consensus_lab.explore.settled import SettledModel
from consensus_lab.explore.space import Search
from consensus_lab.raft.state import LEADER
from consensus_lab.sim import ConfigError
from consensus_lab.sim.world import Model, Move


def _model(scene: object) -> SettledModel:
    model = scene.model  # type: ignore[attr-defined]
    assert isinstance(model, SettledModel)
    return model


def test_an_election_settles_in_one_move_and_expands_to_single_moves() -> None:
    model = _model(settled_scene("correct", servers=3))
    world, _ = model.apply(model.initial(), Move("fire", "n1", name="election"))
    assert world.net == () and model.node(world, "n1").role == LEADER
    single = model.expand([Move("fire", "n1", name="election")])
    plain: Model = model.plain()
    replayed = plain.initial()
    for move in single:
        replayed = plain.apply(replayed, move)[0]
    assert replayed.states == world.states and replayed.ghost == model.observed(world)


def test_a_cut_drops_what_crosses_it_and_a_heartbeat_round_deposes_a_stale_leader() -> None:
    model = _model(settled_scene("correct", servers=3))
    world = model.apply(model.initial(), Move("fire", "n1", name="election"))[0]
    alone = frozenset({frozenset({"n1"}), frozenset({"n2", "n3"})})
    world = model.apply(world, Move("cut", "", value=alone))[0]
    world = model.apply(world, Move("fire", "n2", name="election"))[0]
    assert model.node(world, "n2").role == LEADER and model.node(world, "n1").role == LEADER
    world = model.apply(world, Move("heal", ""))[0]  # n2's heartbeat reaches n1
    assert model.node(world, "n1").role != LEADER
    assert model.node(world, "n1").current_term == 2


def test_the_nemesis_is_bounded_and_named() -> None:
    model = _model(settled_scene("correct", servers=3, changes=1))
    world = model.apply(model.initial(), Move("cut", "", value=model.cuts[0]))[0]
    assert not [m for m in model.moves(world) if m.kind in ("cut", "heal")]
    with pytest.raises(ConfigError, match="no changes left"):
        model.apply(world, Move("heal", ""))
    with pytest.raises(ConfigError, match="allowed: isolate, any"):
        settled_scene("correct", nemesis="everything")
    assert len(_model(settled_scene("correct", nemesis="any")).cuts) == 15
    assert len(model.cuts) == 3  # isolate one of three


def test_no_sleep_sets_on_settled_moves() -> None:
    assert not Search(settled_scene("correct", servers=3)).por


def test_correct_raft_breaks_nothing_on_a_small_settled_bound() -> None:
    found = Search(settled_scene("correct", servers=3, elections=3, changes=2)).run()
    assert found.violation is None and found.complete and found.states > 100


def test_a_settled_counterexample_is_outlined_in_its_own_moves() -> None:
    result = explore_scene(settled_scene("no-election-restriction", servers=3, elections=3,
                                         changes=2))
    assert result.violation is not None
    assert result.violation_moves == (
        "fire n1 timer election", "isolate n2", "input n1 Submit(command='x=1')",
        "isolate n1", "fire n2 timer election")
    assert len(result.violation.actions) > len(result.violation_moves)
    assert result.to_json()["violation_moves"] == list(result.violation_moves)


def test_a_cut_is_described_by_its_sides() -> None:
    five = ("n1", "n2", "n3", "n4", "n5")
    two = frozenset({frozenset({"n4", "n1"}), frozenset({"n2", "n3", "n5"})})
    one = frozenset({frozenset({"n3"}), frozenset(five) - {"n3"}})
    assert SettledModel.describe(Move("cut", "", value=two)) == "cut n1 n4 | n2 n3 n5"
    assert SettledModel.describe(Move("cut", "", value=one)) == "isolate n3"
    assert SettledModel.describe(Move("heal", "")) == "heal"
    assert SettledModel.describe(Move("fire", "n2", name="election")) == \
        "fire n2 timer election"


@pytest.mark.slow
def test_figure_8_from_a_cold_start_replays_as_single_moves() -> None:
    scene = settled_scene("figure-8")
    result = explore_scene(scene)
    violation = result.violation
    assert violation is not None and result.max_depth == 9
    assert len(result.violation_moves) == 9 and "isolate n1" in result.violation_moves
    assert violation.invariant in ("leader_completeness", "state_machine_safety")
    plain_scene, single = single_moves(scene, Search(scene).run().violation or [])
    # The replay stops at the single move that breaks the invariant, which can come
    # before the last move's settling is done.
    assert 100 < len(violation.actions) <= len(single)
    assert violation.actions == schedule_of(plain_scene, single).actions[:len(violation)]
    assert isinstance(plain_scene.model, Model) and not isinstance(plain_scene.model,
                                                                    SettledModel)


@pytest.mark.slow
def test_correct_raft_is_explored_to_the_settled_bound() -> None:
    found = Search(settled_scene("correct")).run()
    assert found.violation is None and found.complete


@pytest.mark.slow
def test_the_cli_finds_figure_8_from_a_cold_start(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explore", "raft", "--variant", "figure-8", "--cold-start", "--json", "--quiet"])
    found = json.loads(capsys.readouterr().out)
    assert code == 1 and found["violation"]["invariant"] == "leader_completeness"
    assert len(found["violation_moves"]) == 9 and found["violation"]["length"] > 100
