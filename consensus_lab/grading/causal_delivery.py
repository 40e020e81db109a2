"""Grading checks for the ``causal_delivery`` exercise (因果一致性).

Theory of operation: the learner writes ``can_deliver(sender, msg_vc, local)``.
The checks

1. try each half of the rule on examples chosen so that each classic bug
   answers differently (ignoring the sender's entry, ``<=`` instead of
   ``== local + 1``, ignoring the other entries, forgetting missing = 0);
2. compare against the reference :func:`consensus_lab.clocks.causal.can_deliver`
   on hundreds of vectors from ``random.Random(seed)``; every call gets copies
   of the vectors, so a function that writes to its arguments is caught;
3. plug the function into :class:`~consensus_lab.clocks.CausalBroadcastNode`:
   the Everest scenario, then a sweep of seeded runs with reordered and
   duplicated messages, checked by the causal-order and liveness invariants.
   A failure reports the seed and the tail of the trace.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from functools import partial
from types import ModuleType
from typing import Any, cast

from consensus_lab.clocks.broadcast import CausalBroadcastNode
from consensus_lab.clocks.causal import can_deliver as reference
from consensus_lab.clocks.scenarios import ANSWER, QUESTION, everest, random_broadcasts
from consensus_lab.clocks.vector import VectorClock
from consensus_lab.grading.base import INVARIANT, MUTATED_INPUT, PROPERTY, Check, expect, fail
from consensus_lab.sim import InvariantViolation

NODES = ("A", "B", "C", "D")
RANDOM_CASES = 500
SWEEP_SEEDS = range(40)
TRACE_TAIL = 15

Case = tuple[str, dict[str, int], dict[str, int], bool, str]


def _ask(module: ModuleType, sender: str, msg_vc: Mapping[str, int],
         local: Mapping[str, int], seed: int | None = None) -> Any:
    """Call the learner's function on copies of the vectors; fail if it changed them."""
    msg_copy, local_copy = dict(msg_vc), dict(local)
    answer = module.can_deliver(sender, msg_copy, local_copy)
    for name, before, after in (("msg_vc", msg_vc, msg_copy), ("local", local, local_copy)):
        expect(after == dict(before), f"can_deliver({sender!r}, msg_vc={dict(msg_vc)}, "
               f"local={dict(local)}) changed {name} to {after}; it must only read its arguments",
               kind=MUTATED_INPUT, seed=seed)
    return answer


def _run_cases(module: ModuleType, cases: list[Case]) -> None:
    for sender, msg_vc, local, expected, why in cases:
        got = _ask(module, sender, msg_vc, local)
        expect(isinstance(got, bool) and got == expected,
               f"can_deliver({sender!r}, msg_vc={msg_vc}, local={local}) returned {got!r}, "
               f"expected {expected}: {why}")


def check_sender_entry(module: ModuleType) -> None:
    """Rule 1: the sender's entry must be exactly local + 1 (not a gap, not old)."""
    _run_cases(module, [
        ("A", {"A": 1, "B": 0}, {"A": 0, "B": 0}, True, "A's first message, nothing missing"),
        ("A", {"A": 3, "B": 1}, {"A": 2, "B": 1}, True, "A's third message after its second"),
        ("A", {"A": 2, "B": 0}, {"A": 0, "B": 0}, False, "A's message #1 is missing (a gap)"),
        ("A", {"A": 4, "B": 0}, {"A": 2, "B": 0}, False, "A's message #3 is missing (a gap)"),
        ("A", {"A": 1, "B": 0}, {"A": 1, "B": 0}, False,
         "A's message #1 was already delivered (a duplicate)"),
        ("A", {"A": 1, "B": 0}, {"A": 3, "B": 0}, False, "an old message from A"),
    ])


def check_other_entries(module: ModuleType) -> None:
    """Rule 2: every other entry of the message must be <= local (no missing cause)."""
    _run_cases(module, [
        ("B", {"A": 1, "B": 1}, {"A": 0, "B": 0}, False,
         "B sent this after delivering A#1, which is not delivered here yet (the Everest answer)"),
        ("B", {"A": 1, "B": 1}, {"A": 1, "B": 0}, True, "A#1 is already here"),
        ("B", {"A": 0, "B": 1, "C": 2}, {"A": 5, "B": 0, "C": 2}, True,
         "local may be ahead of the message on other entries"),
        ("C", {"A": 2, "B": 1, "C": 1}, {"A": 2, "B": 0, "C": 0}, False, "B#1 is missing"),
        ("C", {"A": 2, "B": 1, "C": 1}, {"A": 1, "B": 1, "C": 0}, False, "A#2 is missing"),
    ])


def check_missing_entries(module: ModuleType) -> None:
    """A node missing from a vector counts as 0, on either side."""
    _run_cases(module, [
        ("A", {"A": 1}, {}, True, "local is empty: all zeros, and this is A#1"),
        ("A", {"A": 1}, {"B": 2}, True, "the message does not mention B: B counts as 0"),
        ("B", {"A": 1, "B": 1}, {"B": 0}, False, "local has no entry for A (0) but A#1 is needed"),
        ("B", {"B": 1}, {"A": 0}, True, "local has no entry for the sender B (0)"),
        ("C", {"C": 2}, {}, False, "C#1 is missing"),
    ])


def _random_vectors(rng: random.Random) -> tuple[str, dict[str, int], dict[str, int]]:
    """A sender, a message vector and a local vector that are often nearly deliverable."""
    local = {n: rng.randint(0, 3) for n in NODES if rng.random() < 0.8}
    sender = rng.choice(NODES)
    msg_vc = {n: max(0, c - rng.randint(0, 1)) for n, c in local.items() if rng.random() < 0.8}
    msg_vc[sender] = local.get(sender, 0) + rng.choice((1, 1, 1, 0, 2))
    if rng.random() < 0.3:
        bumped = rng.choice(NODES)
        msg_vc[bumped] = msg_vc.get(bumped, 0) + 1
    return sender, msg_vc, local


def check_random_vectors(module: ModuleType) -> None:
    """On 500 random (sender, msg_vc, local): same answer as the rule, arguments untouched."""
    for seed in range(RANDOM_CASES):
        sender, msg_vc, local = _random_vectors(random.Random(seed))
        got = _ask(module, sender, msg_vc, local, seed)
        want = reference(sender, msg_vc, local)
        expect(got == want, f"can_deliver({sender!r}, msg_vc={msg_vc}, local={local}) returned "
               f"{got!r}, expected {want} (case seed {seed})", kind=PROPERTY, seed=seed)


def check_everest(module: ModuleType) -> None:
    """Everest: Charlie holds back the answer and delivers the question first."""
    sim = everest(partial(CausalBroadcastNode, condition=module.can_deliver))
    charlie = cast(CausalBroadcastNode, sim.nodes["Charlie"])
    texts = [m.text for m in charlie.delivered]
    held = [str(m) for m in charlie.held_back] or "nothing"
    details = {"kind": INVARIANT, "trace": sim.trace.tail(TRACE_TAIL),
               "replay": _replay("everest")}
    if ANSWER in texts and (QUESTION not in texts or texts.index(ANSWER) < texts.index(QUESTION)):
        fail(f"Charlie delivered the answer before the question: delivered {texts}, still held "
             f"back {held}. The answer arrives first, stamped {{Alice: 1, Bob: 1}}, while "
             "Charlie has delivered nothing from Alice: it must wait", **details)
    expect(QUESTION in texts and ANSWER in texts, f"Charlie delivered {texts} and still holds "
           f"back {held}; once the question arrives both must be delivered", **details)


def check_sweep(module: ModuleType) -> None:
    """Seed sweep with reordering and duplicates: causal order holds, everything delivered."""
    sweep(condition=module.can_deliver, what="your can_deliver")


def _replay(call: str, plug: str = "condition=can_deliver") -> str:
    """How to rerun a scenario with the learner's code (shown in the report)."""
    return f"consensus_lab.clocks.{call}(partial(CausalBroadcastNode, {plug}))"


def sweep(*, condition: Callable[..., bool] = reference,
          clock_cls: Callable[..., Any] = VectorClock, what: str,
          plug: str = "condition=can_deliver") -> None:
    """Run :func:`random_broadcasts` over SWEEP_SEEDS; GradingFailure on the first violation."""
    factory = partial(CausalBroadcastNode, condition=condition, clock_cls=clock_cls)
    for seed in SWEEP_SEEDS:
        try:
            random_broadcasts(seed, factory=factory)
        except InvariantViolation as exc:
            fail(f"with {what}, seed {seed}, t={exc.time}: {exc.message}", prop=exc.name,
                 kind=INVARIANT, seed=seed, trace=exc.trace.tail(TRACE_TAIL),
                 replay=f"consensus_lab.clocks.random_broadcasts(seed={seed}, "
                 f"factory=partial(CausalBroadcastNode, {plug}))")


_RULE_HINT = ("two rules, both needed: the message must be the very next one from its "
              "sender, and it must not depend on anything from anyone else that has not "
              "been delivered here yet (missing entries count as 0)")

CHECKS: tuple[Check, ...] = (
    Check(name="sender_entry", prop="rule 1: the sender's entry is exactly local + 1",
          hint="compare msg_vc[sender] with local[sender] + 1 using == — a gap (> +1) and a "
          "duplicate (<= local) must both wait", fn=check_sender_entry),
    Check(name="other_entries", prop="rule 2: every other entry is <= local",
          hint="loop over the nodes of both vectors except the sender; any msg_vc[k] > "
          "local[k] means a cause has not been delivered here yet", fn=check_other_entries),
    Check(name="missing_entries", prop="a node missing from a vector counts as 0",
          hint="read entries with .get(node, 0) and loop over the keys of both mappings",
          fn=check_missing_entries),
    Check(name="random_vectors", prop="500 random vectors: same answer as the rule, inputs "
          "untouched", hint=_RULE_HINT, fn=check_random_vectors),
    Check(name="everest", prop="Everest: Charlie holds the answer back until the question",
          hint=_RULE_HINT, fn=check_everest),
    Check(name="sweep", prop="40 simulated runs with reordering and duplicates: causal order, "
          "everything delivered", hint=_RULE_HINT, fn=check_sweep),
)
