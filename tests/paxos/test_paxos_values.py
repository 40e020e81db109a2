"""Single-decree Paxos as values: a tiny breadth-first search over ``start``/``step``.

This is the shape of the value-based model checker: a world is a tuple of
state values, the messages in flight (a multiset) and the ghost record of
accepted proposals; a successor is one ``step`` call. Each proposer runs
its first ballot only (the ``one_ballot`` bound), nothing is lost, and one
acceptor may crash and restart from what it persisted. Accepted and Nack
are never delivered (a proposer with one ballot does nothing with them that
safety depends on), nor a Promise its proposer no longer waits for. The buggy variants
choose two values; the correct one never does.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from typing import Any

import pytest

from consensus_lab.paxos import Accepted, Ballot, Nack, majority
from consensus_lab.paxos.acceptor import AcceptorState
from consensus_lab.paxos.invariants import (
    Ghost,
    agreement_of,
    chosen_in,
    ghost_with,
    validity_of,
)
from consensus_lab.paxos.proposer import IDLE, PREPARING
from consensus_lab.paxos.protocols import variant_protocols
from consensus_lab.sim.step import Deliver, Effects, Fire, Persist, Send

IDS = ("a1", "a2", "a3", "p1", "p2")
QUORUM = majority(3)

World = tuple[tuple[Any, ...], frozenset[tuple[tuple[str, str, Any], int]], Ghost,
              tuple[tuple[tuple[str, Any], ...], ...], int]


def test_the_ghost_counts_each_acceptor_once_per_ballot() -> None:
    b1, b2 = Ballot(1, "p1"), Ballot(1, "p2")
    ghost: Ghost = frozenset()
    for acceptor, state in (("a1", AcceptorState(b1, (b1, "x"))),
                            ("a1", AcceptorState(b1, (b1, "x"))),
                            ("a2", AcceptorState(b2, (b2, "y"))),
                            ("a3", AcceptorState(b1, None))):
        ghost = ghost_with(ghost, acceptor, state)
    assert chosen_in(ghost, QUORUM) == {}
    ghost = ghost_with(ghost, "a3", AcceptorState(b2, (b2, "y")))
    assert chosen_in(ghost, QUORUM) == {b2: "y"} and agreement_of(ghost, QUORUM) is None
    ghost = ghost_with(ghost_with(ghost, "a2", AcceptorState(b1, (b1, "x"))), "a3",
                       AcceptorState(b1, (b1, "x")))
    assert agreement_of(ghost, QUORUM) == ("two values chosen: 'x' (ballot 1.p1) and 'y' "
                                           "(ballot 1.p2)")
    assert validity_of(ghost, QUORUM, {"x"}) == "'y' was chosen but no proposer proposed it"


def _carry(world: World, k: int, state: Any, effects: Effects,
           flight: Counter[tuple[str, str, Any]]) -> World:
    states, _flight, ghost, stored, crashes = world
    disk = dict(stored[k])
    for effect in effects:
        if isinstance(effect, Send) and not isinstance(effect.msg, Accepted | Nack):
            flight[(effect.dst, IDS[k], effect.msg)] += 1  # safety is read off the acceptors
        elif isinstance(effect, Persist):
            disk[effect.key] = effect.value
    if k < 3:
        ghost = ghost_with(ghost, IDS[k], state)
    elif state.phase != PREPARING:  # its Promises in flight are dead: drop them
        flight = Counter({m: n for m, n in flight.items() if m[0] != IDS[k]})
    return ((*states[:k], state, *states[k + 1:]), frozenset(flight.items()), ghost,
            (*stored[:k], tuple(sorted(disk.items())), *stored[k + 1:]), crashes)


def _successors(protocols: Any, world: World) -> Iterator[World]:
    states, flight, _ghost, stored, crashes = world
    for k in (3, 4):  # one ballot each: the retry timer fires only for the first Prepare
        if states[k].phase == IDLE:
            state, effects = protocols.proposer.step(states[k], Fire("retry"))
            yield _carry(world, k, state, effects, Counter(dict(flight)))
    for (dst, src, msg), _count in flight:
        k = IDS.index(dst)
        rest = Counter(dict(flight))
        rest[(dst, src, msg)] -= 1
        rest += Counter()  # drop zero counts
        state, effects = protocols.for_id(dst).step(states[k], Deliver(src, msg))
        yield _carry(world, k, state, effects, rest)
    if crashes:
        for k in range(3):  # crash and restart: only what was persisted survives
            state, effects = protocols.acceptor.start(IDS[k], (), dict(stored[k]))
            crashed = (states, flight, world[2], stored, crashes - 1)
            yield _carry(crashed, k, state, effects, Counter(dict(flight)))


def search(variant: str, crashes: int = 0) -> tuple[str | None, int]:
    """Breadth-first over every schedule; the first agreement violation and the count."""
    protocols = variant_protocols(variant)
    states = tuple(protocols.for_id(i).start(i, (), {})[0] for i in IDS)
    start: World = (states, frozenset(), frozenset(), ((),) * 5, crashes)
    seen, queue = {start}, deque([start])
    while queue:
        world = queue.popleft()
        broken = agreement_of(world[2], QUORUM)
        if broken:
            return broken, len(seen)
        for nxt in _successors(protocols, world):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return None, len(seen)


@pytest.mark.parametrize(("variant", "crashes"), [
    ("forgetful-acceptor", 0), ("ignores-accepted", 0),
    pytest.param("amnesiac-acceptor", 1, marks=pytest.mark.slow)])
def test_a_buggy_variant_chooses_two_values(variant: str, crashes: int) -> None:
    broken, _states = search(variant, crashes)
    assert broken is not None and broken.startswith("two values chosen")


@pytest.mark.slow
def test_correct_paxos_chooses_one_value_in_every_schedule() -> None:
    broken, states = search("correct", crashes=0)
    assert broken is None and states > 1_000
