"""RaftProtocol without a simulator: five state values, a queue of Sends, the variants.

This is how a value-based model checker drives Raft: ``start`` each node
from what it stored, then ``step`` states with inputs (``Deliver``,
``Fire``, ``Submit``) and carry the returned Sends itself.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import Any

import pytest

from consensus_lab.explore.raft_scene import VARIANTS
from consensus_lab.raft import LEADER, RaftProtocol, RaftRules, RaftState, Submit, rules
from consensus_lab.raft.state import evolve
from consensus_lab.sim.step import Deliver, Fire, Persist, Send

NODES = ("n1", "n2", "n3", "n4", "n5")


def boot(protocol: RaftProtocol) -> dict[str, RaftState]:
    """Every node started from empty storage (the start effects only arm timers)."""
    states = {}
    for node in NODES:
        state, effects = protocol.start(node, tuple(n for n in NODES if n != node), {})
        assert not any(isinstance(e, Send | Persist) for e in effects)
        states[node] = state
    return states


def deliver_all(protocol: RaftProtocol, states: dict[str, RaftState],
                queue: deque[tuple[str, Send]], disk: dict[str, dict[str, Any]]) -> None:
    """Deliver every queued Send in order (and what the deliveries send) to the end."""
    while queue:
        src, send = queue.popleft()
        states[send.dst], effects = protocol.step(states[send.dst], Deliver(src, send.msg))
        record(send.dst, effects, queue, disk)


def record(node: str, effects: tuple[Any, ...], queue: deque[tuple[str, Send]],
           disk: dict[str, dict[str, Any]]) -> None:
    for effect in effects:
        if isinstance(effect, Persist):
            disk.setdefault(node, {})[effect.key] = effect.value
        elif isinstance(effect, Send):
            queue.append((node, effect))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_five_state_values_elect_commit_and_recover_without_a_simulator(variant: str) -> None:
    """Election, a Submit, commitment on all five, and a crash that keeps what was
    persisted (``start`` from the stored values alone), in every variant."""
    protocol = RaftProtocol(replace(VARIANTS[variant], keep_applied=True))
    states, queue, disk = boot(protocol), deque(), {}
    states["n1"], effects = protocol.step(states["n1"], Fire("election"))
    record("n1", effects, queue, disk)
    deliver_all(protocol, states, queue, disk)
    assert states["n1"].role == LEADER
    states["n1"], effects = protocol.step(states["n1"], Submit("x=1"))
    states["n1"], more = protocol.step(states["n1"], Fire("replicate"))
    record("n1", effects + more, queue, disk)
    deliver_all(protocol, states, queue, disk)
    assert states["n1"].commit_index == 1 and states["n1"].committed() == ((1, "x=1"),)
    states["n1"], effects = protocol.step(states["n1"], Fire("heartbeat"))
    record("n1", effects, queue, disk)
    deliver_all(protocol, states, queue, disk)
    assert all(s.commit_index == 1 and s.applied == ((1, 1, "x=1"),) for s in states.values())
    reborn, _ = protocol.start("n3", states["n3"].peers, disk["n3"])
    assert (reborn.current_term, reborn.voted_for, reborn.log) == (
        1, "n1", states["n3"].log)
    assert reborn.commit_index == 0 and reborn.role != LEADER  # volatile: forgotten


def test_a_submit_to_a_follower_changes_nothing() -> None:
    """Only a leader appends (6.5840's Start returns is_leader = false elsewhere)."""
    protocol = RaftProtocol()
    state = boot(protocol)["n2"]
    assert protocol.step(state, Submit("x")) == (state, ())


def test_the_variants_pick_their_rules() -> None:
    """RaftConfig's buggy switches are rules of RaftRules.of, plugged in as values."""
    assert RaftRules.of(VARIANTS["correct"]) == RaftRules()
    assert RaftRules.of(VARIANTS["no-election-restriction"]).grant_vote is \
        rules.grant_vote_without_restriction
    assert RaftRules.of(VARIANTS["figure-8"]).commit_index is rules.commit_index_any_term


def test_evolve_is_replace_and_refuses_unknown_fields() -> None:
    """evolve copies every field but the changed ones, and names a wrong field."""
    state = RaftState("n1", ("n2",), current_term=3)
    assert evolve(state, role=LEADER) == RaftState("n1", ("n2",), current_term=3, role=LEADER)
    with pytest.raises(TypeError, match="no field term"):
        evolve(state, term=4)
