"""Raft on the value checker from a cold start: bounds, dead replies, invariants, replay."""

from __future__ import annotations

import dataclasses

import pytest

from consensus_lab.explore.raft_scene import (
    INVARIANTS,
    dead,
    leader_completeness,
    observe,
    raft_scene,
    state_machine_safety,
)
from consensus_lab.explore.replay import explore_scene
from consensus_lab.explore.space import Search
from consensus_lab.raft.messages import AppendEntriesReply, RequestVoteReply
from consensus_lab.raft.state import CANDIDATE, LEADER, RaftState
from consensus_lab.sim import ConfigError, StepNode


def _leader(model: object, world: object) -> bool:
    return any(s is not None and s.role == LEADER for s in world.states)  # type: ignore


def test_a_leader_is_elected_from_a_cold_start_and_the_path_replays() -> None:
    scene = dataclasses.replace(raft_scene("correct", servers=3), goal=_leader)
    result = explore_scene(scene, max_depth=4)
    goal = result.goal
    assert goal is not None and len(goal) == 3  # a timeout, one vote asked, one granted
    sim = goal.sim
    leaders = [n for n in sim.node_ids
               if isinstance(sim.nodes[n], StepNode) and sim.nodes[n].state.role == LEADER]
    assert len(leaders) == 1
    assert any(r.rule for r in sim.trace.filter("send").records)  # every send cites Raft


def test_correct_raft_breaks_nothing_within_the_bound() -> None:
    found = Search(raft_scene("correct", servers=3, max_term=2, elections=2)).run(max_depth=9)
    assert found.violation is None and found.states > 1_000


def test_reductions_agree_on_a_small_bound() -> None:
    counts = {}
    for por in (False, True):
        for sym in (False, True):
            scene = raft_scene("figure-8", servers=3, max_term=2, elections=2)
            counts[(por, sym)] = Search(scene, por=por, symmetry=sym).run(max_depth=7).states
    assert counts[(False, False)] == counts[(True, False)] > counts[(True, True)]
    assert counts[(False, True)] == counts[(True, True)]


def _state(node: str, term: int, role: str) -> RaftState:
    return RaftState(node, ("n1", "n2", "n3"), current_term=term, role=role)


def test_dead_replies_are_the_ones_raft_ignores_forever() -> None:
    scene = raft_scene("correct", servers=3)
    model, world = scene.model, scene.model.initial()
    at = model.index["n1"]

    def with_n1(state: RaftState) -> object:
        return world._replace(states=(*world.states[:at], state, *world.states[at + 1:]))

    vote = RequestVoteReply(term=2, vote_granted=True)
    ack = AppendEntriesReply(term=2, success=True, match_index=1)
    assert dead(model, with_n1(_state("n1", 3, CANDIDATE)), ("n1", "n2", vote))  # old term
    assert dead(model, with_n1(_state("n1", 2, LEADER)), ("n1", "n2", vote))  # won already
    assert not dead(model, with_n1(_state("n1", 2, CANDIDATE)), ("n1", "n2", vote))
    assert dead(model, with_n1(_state("n1", 2, CANDIDATE)), ("n1", "n2", ack))
    assert not dead(model, with_n1(_state("n1", 1, LEADER)), ("n1", "n2", ack))  # higher term


def test_the_invariants_read_the_ghost() -> None:
    scene = raft_scene("correct", servers=3)
    model, world = scene.model, scene.model.initial()
    two = world._replace(ghost=frozenset({("commit", 1, 1, 1), ("commit", 1, 2, 2)}))
    assert "index 1 committed with term 1 and with term 2" in state_machine_safety(model, two)
    lacking = world._replace(states=(_state("n1", 3, LEADER), *world.states[1:]),
                             ghost=frozenset({("commit", 1, 1, 2)}))
    assert "n1, leader of term 3, lacks entry 1" in leader_completeness(model, lacking)
    assert set(INVARIANTS) == {"election_safety", "log_matching", "leader_completeness",
                               "state_machine_safety"}
    assert observe(frozenset(), "n1", _state("n1", 2, LEADER), ()) == \
        frozenset({("leader", 2, "n1")})


def test_bad_scene_input_names_what_is_allowed() -> None:
    with pytest.raises(ConfigError, match="unknown Raft variant 'fig8'; allowed: correct"):
        raft_scene("fig8")
    with pytest.raises(ConfigError, match="servers 1-7"):
        raft_scene("correct", servers=9)
