"""The search over world values: reductions keep every state, counterexamples replay."""

from __future__ import annotations

import pytest

from consensus_lab.explore.canon import Symmetry
from consensus_lab.explore.replay import explore_scene, schedule_of
from consensus_lab.explore.space import Progress, Scene, Search, independent
from consensus_lab.sim import ConfigError, InvariantViolation, ReplayDivergence
from consensus_lab.sim.world import Model, Move
from tests.explore.steptoys import greeters, nobody_heard_all

IDS3 = ("n1", "n2", "n3")


def _all_modes(scene: Scene) -> dict[tuple[bool, bool], object]:
    return {(por, sym): Search(scene, por=por, symmetry=sym, keep_terminal=True).run()
            for por in (False, True) for sym in (False, True)}


@pytest.mark.parametrize("n, crashes", [(3, 0), (3, 1), (4, 0)])
def test_sleep_sets_keep_every_state_and_every_terminal_world(n: int, crashes: int) -> None:
    ids = tuple(f"n{i}" for i in range(1, n + 1))
    scene = Scene(greeters(n), symmetry=ids, crashes=crashes, reboot=True)
    found = _all_modes(scene)
    for sym in (False, True):
        plain, reduced = found[(False, sym)], found[(True, sym)]
        assert plain.complete and reduced.complete  # type: ignore[attr-defined]
        assert reduced.states == plain.states  # type: ignore[attr-defined]
        assert reduced.terminal_worlds == plain.terminal_worlds  # type: ignore[attr-defined]
        assert reduced.max_depth == plain.max_depth  # type: ignore[attr-defined]
        assert reduced.transitions < plain.transitions  # type: ignore[attr-defined]


def test_symmetry_merges_renamings_and_keeps_the_terminal_classes() -> None:
    scene = Scene(greeters(3), symmetry=IDS3, crashes=1, reboot=True)
    found = _all_modes(scene)
    plain, merged = found[(False, False)], found[(False, True)]
    assert merged.states < plain.states / 3  # type: ignore[attr-defined]
    model = scene.model
    canon = Symmetry(model, IDS3)
    assert {canon.canon(w)[0] for w, _ in plain.terminal_worlds} == \
        {w for w, _ in merged.terminal_worlds}  # type: ignore[attr-defined]


def test_a_world_and_its_renamings_get_one_name() -> None:
    model = greeters(3)
    canon = Symmetry(model, IDS3)
    w = model.initial()
    a = model.apply(w, Move("fire", "n1", name="go"))[0]
    b = model.apply(w, Move("fire", "n3", name="go"))[0]
    assert a != b and canon.canon(a)[0] == canon.canon(b)[0]
    swapped = canon.rename_world(a, {"n1": "n2", "n2": "n1", "n3": "n3"})
    assert swapped.states[1].me == "n2" and swapped.states[1].greeted
    assert swapped.states[0].peers == ("n2", "n3")  # a set of ids stays sorted
    with pytest.raises(ConfigError, match="symmetry group must be 2 or more distinct"):
        Symmetry(model, ("n1", "n9"))


@pytest.mark.parametrize("por, sym", [(False, False), (True, False), (False, True),
                                      (True, True)])
def test_every_mode_finds_the_same_shortest_bug_and_it_replays(por: bool, sym: bool) -> None:
    scene = Scene(greeters(3), invariants={"deaf": nobody_heard_all}, symmetry=IDS3)
    result = explore_scene(scene, por=por, symmetry=sym)
    cx = result.violation
    assert cx is not None and len(cx) == 4 and cx.invariant == "deaf"
    assert "heard everyone" in cx.message
    error = cx.check()
    assert isinstance(error, InvariantViolation) and error.name == "deaf"
    assert "INVARIANT deaf VIOLATED" in cx.trace_text()


def test_forgetting_to_persist_is_found_only_with_a_crash() -> None:
    def kept(model: object, world: object) -> str | None:
        ghost = world.ghost  # type: ignore[attr-defined]
        for node, state in zip(IDS3, world.states, strict=True):  # type: ignore[attr-defined]
            if state is not None and not ghost.get(node, frozenset()) <= state.heard:
                return f"{node} forgot a greeting"
        return None

    def observe(ghost: dict, node: str, state: object, effects: object) -> object:
        return ghost if state.heard <= ghost.get(node, frozenset()) else \
            _Ghost({**ghost, node: ghost.get(node, frozenset()) | state.heard})  # type: ignore

    for forget, crashes, bug in ((True, 0, False), (True, 1, True), (False, 1, False)):
        protocols = greeters(3, forget=forget).protocols
        model = Model(dict(zip(IDS3, protocols, strict=True)), observe, _Ghost())
        scene = Scene(model, invariants={"kept": kept}, crashes=crashes, reboot=True)
        found = Search(scene).run()
        assert (found.violation is not None) == bug, (forget, crashes)


class _Ghost(dict):  # type: ignore[type-arg]
    """A hashable dict for the test's observer (what the nodes were greeted by)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


def test_bounds_progress_and_bad_input() -> None:
    scene = Scene(greeters(4))
    cut = Search(scene).run(max_depth=2)
    assert not cut.complete and cut.bound_hit == "depth" and cut.max_depth == 2
    few = Search(scene).run(max_states=10)
    assert few.bound_hit == "states" and few.states == 10
    seen: list[Progress] = []
    Search(scene).run(progress=seen.append, every=0.0)
    assert seen and seen[-1].states > seen[0].states >= 1
    with pytest.raises(ConfigError, match="max_depth must be a positive int or None, got 0"):
        Search(scene).run(max_depth=0)


def test_independence_is_local_moves_at_two_nodes() -> None:
    a, b = Move("fire", "n1", name="go"), Move("fire", "n2", name="go")
    assert independent(a, b) and not independent(a, a)
    assert not independent(a, Move("crash", "n2"))


def test_a_path_that_the_model_cannot_take_is_a_divergence() -> None:
    scene = Scene(greeters(2))
    with pytest.raises(ReplayDivergence, match="no such event pending"):
        schedule_of(scene, [Move("fire", "n1", name="nope")])
