"""Grading checks for the ``vector_clock`` exercise (向量時鐘).

Theory of operation: each check takes the learner's module, builds clocks with
its ``VectorClock`` and compares what the learner's methods do against the
reference :class:`consensus_lab.clocks.vector.VectorClock`. Three layers:

1. rule examples chosen so that each classic bug gives a different wrong
   answer (update that ticks before merging, or forgets to tick;
   happens_before that is not strict; concurrent that is true of equal clocks);
2. properties over hundreds of clocks drawn from ``random.Random(seed)`` —
   deterministic, and a failure names the seed and the clocks;
3. the causal-broadcast simulator run with the learner's clock as the nodes'
   clock, over a seed sweep.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from consensus_lab.clocks.vector import VectorClock as Ref
from consensus_lab.grading.base import MUTATED_INPUT, PROPERTY, Check, expect, fail

NODES = ("A", "B", "C", "D")
RANDOM_CASES = 300


def _clock(module: ModuleType, counters: Mapping[str, int]) -> Any:
    """A learner clock with these counters."""
    return module.VectorClock(dict(counters))


def _value(clock: Any) -> Ref:
    """The learner clock's entries as a reference clock (so missing = 0 compares right)."""
    return Ref(clock.as_dict())


def _s(counters: Mapping[str, int] | Ref) -> str:
    return str(Ref(counters))


def _random_counters(rng: random.Random, base: Mapping[str, int] | None = None) -> dict[str, int]:
    """Random counters over a random subset of NODES; if ``base``, often a successor of it."""
    if base is not None and rng.random() < 0.5:
        grown = {n: c + (rng.randint(1, 2) if rng.random() < 0.3 else 0) for n, c in base.items()}
        if rng.random() < 0.3:
            grown[rng.choice(NODES)] = grown.get(NODES[0], 0) + 1
        return grown
    return {n: rng.randint(0, 3) for n in NODES if rng.random() < 0.75}


# -- 1. rule examples ------------------------------------------------------------


def check_merge(module: ModuleType) -> None:
    """merge: element-wise maximum over the nodes of both clocks, in place."""
    cases = [({"A": 1, "B": 5}, {"A": 3, "B": 2, "C": 1}), ({}, {"A": 2}), ({"A": 2}, {}),
             ({"A": 3, "B": 1}, {"A": 3, "B": 1}), ({"A": 0, "B": 4}, {"C": 2})]
    for mine, theirs in cases:
        clock, other = _clock(module, mine), _clock(module, theirs)
        returned = clock.merge(other)
        expected = Ref(mine)
        expected.merge(theirs)
        got = _value(clock)
        if got == Ref(mine) and expected != Ref(mine) and returned is not None:
            fail(f"VectorClock({mine}).merge(VectorClock({theirs})) left the clock unchanged "
                 f"at {got} and returned a value: merge must change the clock in place")
        expect(got == expected, f"VectorClock({mine}).merge(VectorClock({theirs})) gave {got}, "
               f"expected {expected} (the larger counter for every node, missing = 0)")
        expect(_value(other) == Ref(theirs), f"merge changed its argument: VectorClock({theirs})"
               f" became {_value(other)}; only the clock merged into may change",
               kind=MUTATED_INPUT)


UPDATE_CASES: list[tuple[dict[str, int], dict[str, int], str]] = [
    ({"A": 1}, {"A": 0, "B": 3}, "A"),  # receiver ahead on its own entry
    ({"A": 2, "B": 1}, {"B": 5}, "B"),  # message ahead on the receiver's entry
    ({}, {"A": 1}, "B"),  # the chapter's bob.update(alice)
    ({"A": 4, "C": 1}, {"A": 2, "B": 2}, "C"),
]


def check_update(module: ModuleType) -> None:
    """update(other, node): merge first, then tick node's own entry."""
    outcomes = [_update_outcome(module, mine, theirs, node) for mine, theirs, node in UPDATE_CASES]
    wrong = [o for o in outcomes if o["got"] != o["expected"]]
    if not wrong:
        return
    first = wrong[0]
    call, got, expected = first["call"], first["got"], first["expected"]
    if all(o["got"] == o["merged"] for o in outcomes):
        fail(f"{call} gave {got}, expected {expected}: update merged but did not tick "
             f"{first['node']}'s entry. Receiving a message is an event too (接收也是一個事件)")
    if all(o["got"] == o["ticked_first"] for o in outcomes):
        fail(f"{call} gave {got}, expected {expected}: update ticked {first['node']} before "
             f"merging, so the tick was lost in the max with the message's "
             f"{first['node']}:{Ref(first['theirs'])[first['node']]}")
    fail(f"{call} gave {got}, expected {expected} (merge, then tick {first['node']})")


def _update_outcome(module: ModuleType, mine: dict[str, int], theirs: dict[str, int],
                    node: str) -> dict[str, Any]:
    """Run one learner update; return what it gave and what the right / buggy orders give."""
    clock, other = _clock(module, mine), _clock(module, theirs)
    clock.update(other, node)
    call = f"VectorClock({mine}).update(VectorClock({theirs}), {node!r})"
    expect(_value(other) == Ref(theirs), f"{call} changed its argument to {_value(other)}; only "
           "the receiving clock may change", kind=MUTATED_INPUT)
    merged, ticked_first = Ref(mine), Ref(mine)
    merged.merge(theirs)
    ticked_first.increment(node)
    ticked_first.merge(theirs)
    expected = merged.copy()
    expected.increment(node)
    return {"call": call, "got": _value(clock), "expected": expected, "merged": merged,
            "ticked_first": ticked_first, "node": node, "theirs": theirs}


HB_CASES: list[tuple[dict[str, int], dict[str, int], bool, str]] = [
    ({"A": 1, "B": 0, "C": 0}, {"A": 1, "B": 1, "C": 0}, True, "one entry larger, none smaller"),
    ({"A": 1, "B": 1, "C": 0}, {"A": 1, "B": 0, "C": 0}, False, "the later clock is not before"),
    ({"A": 1, "B": 2}, {"A": 1, "B": 2}, False, "equal clocks: happens-before is strict"),
    ({}, {}, False, "two zero clocks are equal: strict"),
    ({"A": 1}, {"A": 1, "B": 0}, False, "equal once missing entries count as 0"),
    ({"A": 1}, {"A": 1, "B": 1}, True, "B is missing (0) on the left"),
    ({"A": 1, "B": 1}, {"A": 1}, False, "B is missing (0) on the right"),
    ({"A": 1}, {"B": 1}, False, "concurrent clocks"),
    ({"A": 2, "B": 0}, {"A": 1, "B": 5}, False, "A is larger on the left"),
    ({"A": 0, "B": 3}, {"A": 2, "B": 3, "C": 1}, True, "two entries larger"),
]


def check_happens_before(module: ModuleType) -> None:
    """happens_before: every entry <=, and the clocks differ (strict); missing = 0."""
    for left, right, expected, why in HB_CASES:
        got = _clock(module, left).happens_before(_clock(module, right))
        expect(got is expected or got == expected and isinstance(got, bool),
               f"VectorClock({left}).happens_before(VectorClock({right})) returned {got!r}, "
               f"expected {expected} ({why})")


CONCURRENT_CASES: list[tuple[dict[str, int], dict[str, int], bool, str]] = [
    ({"A": 1}, {"B": 1}, True, "each has an entry the other lacks"),
    ({"A": 2, "B": 1}, {"A": 1, "B": 2}, True, "each is larger somewhere"),
    ({"A": 1, "B": 1}, {"A": 1, "B": 1}, False, "equal clocks are the same event, not concurrent"),
    ({"A": 1, "B": 0}, {"A": 1}, False, "equal once missing entries count as 0"),
    ({}, {}, False, "two zero clocks are equal"),
    ({"A": 1}, {"A": 1, "B": 1}, False, "the left happens before the right"),
    ({"A": 3, "C": 1}, {"A": 1}, False, "the right happens before the left"),
]


def check_concurrent(module: ModuleType) -> None:
    """concurrent: neither <= the other; symmetric, and false for equal clocks."""
    for left, right, expected, why in CONCURRENT_CASES:
        for a, b in ((left, right), (right, left)):
            got = _clock(module, a).concurrent(_clock(module, b))
            expect(got == expected and isinstance(got, bool),
                   f"VectorClock({a}).concurrent(VectorClock({b})) returned {got!r}, "
                   f"expected {expected} ({why})")


def check_chapter_example(module: ModuleType) -> None:
    """The chapter's Alice / Bob / Charlie example gives [1,0,0], [1,1,0], [1,2,0], [1,2,1]."""
    alice, bob, charlie = (module.VectorClock({"A": 0, "B": 0, "C": 0}) for _ in range(3))
    steps = [(lambda: alice.increment("A"), alice, "alice.increment('A')", {"A": 1}),
             (lambda: bob.update(alice, "B"), bob, "bob.update(alice, 'B')", {"A": 1, "B": 1}),
             (lambda: bob.increment("B"), bob, "bob.increment('B')", {"A": 1, "B": 2}),
             (lambda: charlie.update(bob, "C"), charlie, "charlie.update(bob, 'C')",
              {"A": 1, "B": 2, "C": 1})]
    for action, clock, text, expected in steps:
        action()
        expect(_value(clock) == Ref(expected), f"after {text}: got {_value(clock)}, "
               f"expected {_s(expected)}")
    expect(alice.happens_before(charlie) is True, "alice.happens_before(charlie) should be True: "
           "Alice's question reached Charlie through Bob")
    expect(charlie.happens_before(alice) is False, "charlie.happens_before(alice) should be False")
    expect(alice.concurrent(charlie) is False, "alice.concurrent(charlie) should be False: "
           "they are causally related")


# -- 2. properties over seeded random clocks --------------------------------------------


def check_order_properties(module: ModuleType) -> None:
    """On random clocks: happens_before / concurrent agree with the rules; exactly one relation."""
    for seed in range(RANDOM_CASES):
        rng = random.Random(seed)
        a = _random_counters(rng)
        b = _random_counters(rng, base=a)
        _check_pair(module, a, b, seed)


def _check_pair(module: ModuleType, a: dict[str, int], b: dict[str, int], seed: int) -> None:
    """Compare the learner's relations on (a, b) with the reference; check exactly-one-of."""
    la, lb = _clock(module, a), _clock(module, b)
    ra, rb = Ref(a), Ref(b)
    where = f"(a = {_s(a)}, b = {_s(b)}, case seed {seed})"
    for name, got, want in [("a.happens_before(b)", la.happens_before(lb), ra.happens_before(rb)),
                            ("b.happens_before(a)", lb.happens_before(la), rb.happens_before(ra)),
                            ("a.concurrent(b)", la.concurrent(lb), ra.concurrent(rb)),
                            ("b.concurrent(a)", lb.concurrent(la), rb.concurrent(ra))]:
        expect(got == want, f"{name} returned {got!r}, expected {want} {where}",
               kind=PROPERTY, seed=seed)
    relations = [ra == rb, la.happens_before(lb), lb.happens_before(la), la.concurrent(lb)]
    expect(sum(bool(r) for r in relations) == 1,
           f"exactly one of a == b, a → b, b → a, a ‖ b must hold, got {relations} {where}",
           kind=PROPERTY, seed=seed)
    expect(_value(la) == ra and _value(lb) == rb, f"comparing clocks changed them {where}",
           kind=MUTATED_INPUT, seed=seed)


def check_update_dominates(module: ModuleType) -> None:
    """On random clocks: after x.update(m, node), both old x and m happen before x."""
    for seed in range(RANDOM_CASES):
        rng = random.Random(10_000 + seed)
        a = _random_counters(rng)
        b = _random_counters(rng, base=a if rng.random() < 0.5 else None)
        node = rng.choice(NODES)
        clock = _clock(module, a)
        clock.update(_clock(module, b), node)
        expected = Ref(a)
        expected.update(b, node)
        where = f"x = {_s(a)}, m = {_s(b)}, x.update(m, {node!r}), case seed {seed}"
        expect(_value(clock) == expected, f"got {_value(clock)}, expected {expected} ({where})",
               kind=PROPERTY, seed=seed)
        expect(_clock(module, a).happens_before(clock) and _clock(module, b).happens_before(clock),
               f"the old clock and the message must both happen before the updated clock {where}",
               kind=PROPERTY, seed=seed)


# -- 3. the simulator with the learner's clock ---------------------------------------------


def check_causal_broadcast(module: ModuleType) -> None:
    """Causal broadcast nodes using your VectorClock deliver in causal order, and deliver all."""
    from consensus_lab.grading.causal_delivery import sweep

    sweep(clock_cls=module.VectorClock, what="your VectorClock as the nodes' clock",
          plug="clock_cls=VectorClock")


# Hints point at the rule and the usual slip, not at the code: the learner
# should still have to write it.
_MERGE_HINT = ("a node may appear in only one of the two clocks — does your loop visit "
               "every node of both? (a missing entry counts as 0); merge changes self")
_UPDATE_HINT = ("receiving is an event: the rule is merge, then tick the receiver's own "
                "entry — check both the order and whose entry you tick")
_HB_HINT = ("V → W needs every entry of V <= the same entry of W, over the nodes of both "
            "clocks — and something more, or a clock would happen before itself")
_CONC_HINT = ("concurrent means neither clock is <= the other; ask yourself what your "
              "code answers for two equal clocks, and whether it is symmetric")

CHECKS: tuple[Check, ...] = (
    Check(name="merge", prop="merge takes the element-wise maximum, in place",
          hint=_MERGE_HINT, fn=check_merge),
    Check(name="update", prop="update = merge, then tick the receiver's entry",
          hint=_UPDATE_HINT, fn=check_update),
    Check(name="happens_before", prop="happens_before is strict: all <=, and not equal",
          hint=_HB_HINT, fn=check_happens_before),
    Check(name="concurrent", prop="concurrent is symmetric and false for equal clocks",
          hint=_CONC_HINT, fn=check_concurrent),
    Check(name="chapter_example", prop="the chapter's Alice / Bob / Charlie example",
          hint="follow the chapter's steps by hand: [1,0,0] → [1,1,0] → [1,2,0] → [1,2,1]",
          fn=check_chapter_example),
    Check(name="order_properties", prop="happens_before / concurrent on 300 random pairs",
          hint=_HB_HINT, fn=check_order_properties),
    Check(name="update_dominates", prop="update on 300 random clocks: result after both inputs",
          hint=_UPDATE_HINT, fn=check_update_dominates),
    Check(name="causal_broadcast", prop="causal broadcast with your clock: causal order, all "
          "delivered", hint=_MERGE_HINT, fn=check_causal_broadcast),
)
