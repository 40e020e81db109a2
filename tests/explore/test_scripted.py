"""Scripted starts on world values, and the checker's schedules: replay, budgets, pictures.

The behaviours the old explorer's tests asserted (shortest counterexamples,
fault budgets, the goal, replay, printing, drawing, the player), asserted on
the world-value checker with the greeters of :mod:`tests.explore.steptoys`.
"""

from __future__ import annotations

import pytest

from consensus_lab.explore import Scene, Script, ScriptStuck, explore_scene
from consensus_lab.explore.replay import NETWORK, WorldScene
from consensus_lab.sim import InvariantViolation, Simulation, StepNode
from consensus_lab.viz import schedule_spacetime
from consensus_lab.widgets import schedule_player
from tests.explore.steptoys import Hello, greeters, nobody_heard_all

DEAF = {"deaf": nobody_heard_all}


def started() -> Script:
    """n1 and n2 have greeted: their Hellos are in flight."""
    script = Script(greeters(3))
    script.fire("n1", "go")
    script.fire("n2", "go")
    return script


def test_the_search_starts_after_the_prefix_and_counts_depth_from_there() -> None:
    script = started()
    result = explore_scene(Scene(script.model, invariants=DEAF, prefix=script.prefix))
    cx = result.violation
    assert cx is not None and len(cx) == 2  # the two Hellos to one node, nothing else
    assert all(kind == "fire" and "->" in what for kind, what in cx.actions)
    assert isinstance(cx.check(), InvariantViolation)
    assert "timer go" not in cx.trace_text() and "timer go" in cx.trace_text(prefix=True)


def test_without_the_prefix_the_same_bug_takes_four_moves() -> None:
    result = explore_scene(Scene(greeters(3), invariants=DEAF))
    assert result.violation is not None and len(result.violation) == 4


def test_a_partition_loses_what_crosses_it() -> None:
    script = Script(greeters(3))
    script.partition(["n1"])
    script.fire("n1", "go")
    script.fire("n2", "go")
    assert [(src, dst) for dst, src, _msg in script.world.net] == [("n2", "n3")]
    assert [m.kind for m in script.prefix].count("drop") == 3
    script.heal()
    script.settle()
    assert script.world.net == ()


def test_a_script_that_cannot_go_on_names_what_is_there() -> None:
    script = started()
    with pytest.raises(ScriptStuck, match="no Hello from n3 to n1 is in flight; in flight: "):
        script.deliver("n3", "n1", Hello)
    with pytest.raises(ScriptStuck, match="n1 has no live timer 'go'; live: none"):
        script.fire("n1", "go")


def test_the_goal_comes_with_a_shortest_path() -> None:
    def everyone_greeted(model: object, world: object) -> bool:
        return all(s.greeted for s in world.states)  # type: ignore[attr-defined]

    result = explore_scene(Scene(greeters(3), goal=everyone_greeted))
    assert result.complete and result.goal is not None and len(result.goal) == 3


def test_drop_and_duplicate_budgets_bound_every_schedule() -> None:
    script = started()
    lossless = explore_scene(Scene(script.model, prefix=script.prefix))
    lossy = explore_scene(Scene(script.model, drops=1, prefix=script.prefix))
    assert lossless.complete and lossy.complete and lossy.states > lossless.states
    twice = explore_scene(Scene(script.model, duplicates=1, prefix=script.prefix))
    assert twice.complete and twice.states > lossless.states


def test_the_counterexample_replays_prints_draws_and_plays() -> None:
    script = started()
    scene = Scene(script.model, invariants=DEAF, prefix=script.prefix)
    cx = explore_scene(scene).violation
    assert cx is not None
    assert "deaf" in str(cx) and "2. deliver" in str(cx) and cx.to_json()["length"] == 2
    svg = schedule_spacetime(cx).data
    assert svg.startswith("<svg") and "Hello" in svg
    run = cx.sim
    again = Simulation.replay(WorldScene(scene).setup().factory, run.node_ids, run.choices,
                              run.steps, network=NETWORK)
    assert [n.state for n in again.nodes.values() if isinstance(n, StepNode)] == [
        n.state for n in run.nodes.values() if isinstance(n, StepNode)]
    player = schedule_player(cx, views=("spacetime",))
    assert player.position == run.steps
    player.back(1)
    assert player.position == run.steps - 1
