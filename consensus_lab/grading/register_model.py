"""Grading checks for the ``register_model`` exercise (線性一致性).

Theory of operation: the learner writes the compare-and-set register's step
function ``cas_step(state, op) -> (ok, new_state)`` (the sequential
specification a linearizability checker needs; Knossos, Porcupine) and,
optionally, ``brute_force_linearizable(history, step, init)``, the
definition of linearizability (Herlihy & Wing 1990) as an exhaustive search.
The checks, in four layers:

1. one check per rule (read, write, cas that succeeded, cas whose compare
   failed, cas with an unknown outcome), on cases chosen so that each
   classic slip gives a different wrong answer, then 500 seeded random
   ``(state, op)`` pairs against the reference
   :data:`~consensus_lab.consistency.models.cas_register`;
2. the real checker (:func:`consensus_lab.consistency.check`) with a
   :class:`~consensus_lab.consistency.Model` built from the learner's step,
   on hand-made histories and on real Jepsen etcd histories from Porcupine's
   test data: its verdict must be the reference's. A disagreement is
   explained by the first step of a witness order that the two models judge
   differently;
3. the brute-force checker on hand-made tiny histories (real-time order is
   what it is most often forgotten), then on seeded random tiny histories
   against the real checker, Hypothesis style: a disagreement is shrunk to a
   smallest history that still shows it, reported with its seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from consensus_lab.consistency import History, Model, Op, cas_register, check
from consensus_lab.consistency.bench import default_data_dir
from consensus_lab.consistency.formats import load
from consensus_lab.grading.base import PROPERTY, Check, CheckSkipped, expect, fail

EXERCISE = "register_model"
RANDOM_STEPS = 500
RANDOM_HISTORIES = 200
ETCD_TIMEOUT_S = 2.0
#: Porcupine etcd histories (Jepsen runs against etcd 3.x): both verdicts, each decided by
#: the reference model in well under 0.2 s, and together catching every classic slip.
ETCD_FILES = ("etcd_000.log", "etcd_005.log", "etcd_018.log", "etcd_001.log", "etcd_025.log",
              "etcd_076.log", "etcd_040.log", "etcd_098.log", "etcd_085.log", "etcd_100.log",
              "etcd_097.log", "etcd_045.log")
Step = Callable[[Any, Op], tuple[bool, Any]]
_ANY = object()  # "the new state does not matter" (the step is illegal anyway)


def _op(f: str, value: Any = None, output: Any = None, status: str = "ok") -> Op:
    return Op(id=0, process="c1", f=f, value=value, output=output, call=0,
              ret=1 if status == "ok" else float("inf"), status=status)


def _show(op: Op) -> str:
    """``read -> 3``, ``write(5)``, ``cas(1, 2) -> False``, ``cas(1, 2) [info]``."""
    if op.f == "read":
        return f"read -> {op.output!r}"
    if op.f == "write":
        return f"write({op.value!r})" + (" [info]" if op.status == "info" else "")
    expected, new = op.value
    tail = " [info]" if op.status == "info" else f" -> {op.output!r}"
    return f"cas({expected!r}, {new!r}){tail}"


def _lines(history: History) -> str:
    """The ops in call order on one line: ``c1 write(1) @[0,1]; c2 read -> 1 @[2,3]``."""
    return "; ".join(str(op) for op in sorted(history, key=lambda o: (o.call, o.id))) or \
        "(no operations)"


def _call(step: Step, state: Any, op: Op) -> tuple[bool, Any]:
    """Run the learner's step; a result of the wrong shape is a failure that says so."""
    result = step(state, op)
    shown = f"cas_step({state!r}, {_show(op)})"
    expect(isinstance(result, tuple) and len(result) == 2,
           f"{shown} returned {result!r}; a step returns a pair (ok, new_state)")
    ok, new_state = result
    expect(isinstance(ok, bool), f"{shown} returned ok={ok!r}; ok must be True or False")
    expect(isinstance(new_state, Hashable),
           f"{shown} returned the state {new_state!r}, which is not hashable; the checker "
           "remembers states in a set, so keep the state an int, None or a tuple")
    return ok, new_state


# -- 1. the rules, one check each ---------------------------------------------------------

Case = tuple[Any, Op, bool, Any, str]


def _run_cases(module: ModuleType, cases: list[Case]) -> None:
    for state, op, want_ok, want_state, why in cases:
        before = (op.f, op.value, op.output, op.status)
        ok, new_state = _call(module.cas_step, state, op)
        expect((op.f, op.value, op.output, op.status) == before,
               f"cas_step({state!r}, {_show(op)}) changed the op; a step only reads it")
        right = ok == want_ok and (not want_ok or want_state is _ANY or new_state == want_state)
        wanted = f"({want_ok}, {want_state!r})" if want_ok else "(False, <any state>)"
        expect(right, f"cas_step({state!r}, {_show(op)}) returned ({ok}, {new_state!r}), "
               f"expected {wanted}: {why}")


def check_read(module: ModuleType) -> None:
    """read: legal iff it returned the current value; the state is unchanged."""
    _run_cases(module, [
        (None, _op("read", output=None), True, None, "nothing was written yet, so nil is "
         "the value — the register starts at None"),
        (None, _op("read", output=1), False, _ANY, "the register holds nil (nothing written "
         "yet), so a read that returned 1 cannot go here"),
        (3, _op("read", output=3), True, 3, "the register holds 3; reading does not change it"),
        (3, _op("read", output=4), False, _ANY, "the register holds 3, so a read that "
         "returned 4 cannot go here: a read must return the current value"),
        (3, _op("read", output=None), False, _ANY, "after a write, nil is never read again"),
    ])


def check_write(module: ModuleType) -> None:
    """write: always legal; the written value becomes the state."""
    _run_cases(module, [
        (None, _op("write", 5), True, 5, "a write is always legal and the register then "
         "holds the written value"),
        (3, _op("write", 5), True, 5, "after write(5) the register holds 5, not the old 3"),
        (5, _op("write", 5), True, 5, "writing the value it already holds is fine"),
        (3, _op("write", 7, status="info"), True, 7, "a write whose outcome is unknown, when "
         "the checker places it, took effect"),
    ])


def check_cas_ok(module: ModuleType) -> None:
    """cas that returned True: legal iff expected == state; the state becomes new."""
    _run_cases(module, [
        (1, _op("cas", (1, 2), True), True, 2, "the compare matched (the register held 1), "
         "so the swap happened: the register holds 2"),
        (3, _op("cas", (1, 2), True), False, _ANY, "the register holds 3, not 1, so a cas "
         "(1, 2) cannot have succeeded here"),
        (None, _op("cas", (None, 4), True), True, 4, "expected nil and the register is nil"),
    ])


def check_cas_false(module: ModuleType) -> None:
    """cas that returned False: legal iff expected != state; the state is unchanged."""
    _run_cases(module, [
        (1, _op("cas", (2, 3), False), True, 1, "the compare failed (2 != 1), so nothing "
         "was swapped: the register keeps 1"),
        (2, _op("cas", (2, 3), False), False, _ANY, "the register holds 2, so the compare "
         "would have matched: a cas (2, 3) that returned False cannot go here"),
        (None, _op("cas", (0, 3), False), True, None, "0 is not nil: the compare fails and "
         "the register stays nil"),
    ])


def check_cas_info(module: ModuleType) -> None:
    """cas with an unknown outcome (info): when placed, it took effect."""
    _run_cases(module, [
        (1, _op("cas", (1, 2), status="info"), True, 2, "the client timed out, but the cas "
         "may have happened; the checker may leave it out (never happened), and when it "
         "places it, it took effect: the register holds 2 afterwards"),
        (3, _op("cas", (1, 2), status="info"), False, _ANY, "the register holds 3, so the "
         "cas (1, 2) cannot take effect here (the checker can still leave it out)"),
    ])


def _random_op(rng: random.Random) -> Op:
    values = (None, 1, 2, 3)
    kind = rng.choice(("read", "write", "cas", "cas", "cas-info"))
    if kind == "read":
        return _op("read", output=rng.choice(values))
    if kind == "write":
        return _op("write", rng.choice(values[1:]), status=rng.choice(("ok", "ok", "info")))
    pair = (rng.choice(values), rng.choice(values[1:]))
    if kind == "cas-info":
        return _op("cas", pair, status="info")
    return _op("cas", pair, rng.random() < 0.5)


def check_random_steps(module: ModuleType) -> None:
    """500 seeded random (state, op) pairs: the same answer as the rules."""
    rng = random.Random(2024)
    for case in range(RANDOM_STEPS):
        state, op = rng.choice((None, 1, 2, 3)), _random_op(rng)
        ok, new_state = _call(module.cas_step, state, op)
        want_ok, want_state = cas_register.step(state, op)
        wanted = f"(True, {want_state!r})" if want_ok else "(False, <any state>)"
        expect(ok == want_ok and (not ok or new_state == want_state),
               f"cas_step({state!r}, {_show(op)}) returned ({ok}, {new_state!r}), expected "
               f"{wanted} (random case {case})", kind=PROPERTY, seed=2024)


# -- 2. the real checker with the learner's model ---------------------------------------------


def learner_model(module: ModuleType) -> Model:
    """The checker's Model built from the learner's ``cas_step``; nil initial state."""
    return Model("your cas-register", lambda: None, module.cas_step)


def _first_disagreement(order: Sequence[Op], judge: Step, other: Step) -> str:
    """Walk ``order`` with ``other``; name the first step that ``judge`` and ``other`` differ on."""
    state: Any = None
    for op in order:
        mine, theirs = judge(state, op), other(state, op)
        if mine[0] != theirs[0] or (mine[0] and mine[1] != theirs[1]):
            return (f"at {op} the register holds {state!r}: your cas_step returns "
                    f"{mine}, the rules say {theirs}")
        state = theirs[1]
    return ""


def _compare_verdicts(module: ModuleType, history: History, name: str,
                      expected: bool | None = None, timeout: float | None = None) -> None:
    """Fail unless the checker with the learner's model agrees with the reference verdict."""
    reference = check(history, cas_register, timeout=timeout)
    want = reference.linearizable if expected is None else expected
    mine = check(history, learner_model(module), timeout=timeout)
    if mine.linearizable is want:
        return
    word = {True: "linearizable", False: "not linearizable", None: "unknown (timed out)"}
    why = ""
    if want and reference.witness:
        why = _first_disagreement(reference.witness, module.cas_step, cas_register.step)
        why = f"Along the witness order the rules find, {why}." if why else ""
    elif mine.witness:
        why = _first_disagreement(mine.witness, module.cas_step, cas_register.step)
        why = f"Your model accepts an order that the rules refuse: {why}." if why else ""
    fail(f"{name}: the checker with your cas_step says {word[mine.linearizable]}, the "
         f"expected verdict is {word[want]}. {why}".rstrip())


def _history(rows: list[tuple[Any, ...]]) -> History:
    return History.build(rows)


SMALL_HISTORIES: list[tuple[str, list[tuple[Any, ...]]]] = [
    ("the chapter's stale read (c3 reads nil after c2 already read 1)",
     [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3), ("c3", "read", None, 4, 5)]),
    ("a read concurrent with a write may return either value",
     [("c1", "write", 1, 0, 10), ("c2", "read", None, 1, 3), ("c3", "read", 1, 4, 5)]),
    ("a successful cas, then a read of its new value",
     [("c1", "write", 1, 0, 2), ("c2", "cas", (1, 2), 3, 5), ("c1", "read", 2, 6, 7)]),
    ("a cas whose compare failed leaves the value alone",
     [("c1", "write", 1, 0, 2), ("c2", "cas", (3, 4), 3, 5, "false"), ("c1", "read", 1, 6, 7)]),
    ("a cas that reported False although the compare would match",
     [("c1", "write", 1, 0, 2), ("c2", "cas", (1, 4), 3, 5, "false"), ("c1", "read", 1, 6, 7)]),
    ("a timed-out cas that took effect: a later read sees its value",
     [("c1", "write", 1, 0, 2), ("c2", "cas", (1, 9), 3, 4, "info"), ("c1", "read", 9, 6, 7)]),
    ("a timed-out cas that never happened",
     [("c1", "write", 1, 0, 2), ("c2", "cas", (1, 9), 3, 4, "info"), ("c1", "read", 1, 6, 7)]),
    ("a read of a value nobody wrote",
     [("c1", "write", 1, 0, 2), ("c2", "read", 7, 3, 4)]),
    ("a write that finished is not undone: nil is never read again",
     [("c1", "write", 1, 0, 2), ("c2", "read", None, 3, 4)]),
]


def check_small_histories(module: ModuleType) -> None:
    """The real checker with your model on hand-made histories: the reference's verdicts."""
    for name, rows in SMALL_HISTORIES:
        _compare_verdicts(module, _history(rows), f"on '{name}' ({_lines(_history(rows))})")


def check_porcupine_etcd(module: ModuleType) -> None:
    """Real Jepsen etcd histories (Porcupine's test data): the expected verdicts."""
    _call(module.cas_step, None, _op("read", output=None))  # the stub fails here, data or not
    data = default_data_dir()
    expected = _expected_verdicts(data)
    if not expected:
        raise CheckSkipped(f"Porcupine's etcd histories are not here ({data} has no "
                           "EXPECTED.tsv); this check needs the lab's shared bench data "
                           "beside the repository (../shared/bench-data/porcupine)")
    for name in ETCD_FILES:
        history = load(data / "test_data" / "jepsen" / name, "jepsen")
        _compare_verdicts(module, history, f"on the Jepsen etcd history {name} "
                          f"({len(history)} ops)", expected=expected[name],
                          timeout=ETCD_TIMEOUT_S)


def _expected_verdicts(data: Path) -> dict[str, bool]:
    from consensus_lab.consistency.bench import read_expected

    if not (data / "EXPECTED.tsv").is_file():
        return {}
    return {Path(rel).name: verdict for rel, _n, verdict in read_expected(data)
            if Path(rel).name in ETCD_FILES}


# -- 3. the brute-force checker ------------------------------------------------------------------

BRUTE_CASES: list[tuple[str, list[tuple[Any, ...]], bool]] = [
    ("an empty history", [], True),
    ("a write, then a read of it", [("c1", "write", 1, 0, 1), ("c2", "read", 1, 2, 3)], True),
    ("a read that started after a write finished, and still saw nil: real time puts the "
     "write first", [("c1", "write", 1, 0, 1), ("c2", "read", None, 2, 3)], False),
    ("the chapter's stale read: c2's read of 1 returned (t=3) before c3's read began (t=4), so "
     "in every valid order c3 comes after c2 and cannot see nil",
     [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3), ("c3", "read", None, 4, 5)], False),
    ("overlapping ops may go in either order: the read of nil can go before the write",
     [("c1", "write", 1, 0, 10), ("c2", "read", None, 1, 3), ("c3", "read", 1, 4, 5)], True),
    ("a read of a value nobody wrote", [("c1", "write", 1, 0, 1), ("c2", "read", 2, 2, 3)],
     False),
    ("cas chain", [("c1", "write", 1, 0, 1), ("c2", "cas", (1, 2), 2, 3),
                   ("c1", "cas", (1, 3), 4, 5, "false"), ("c2", "read", 2, 6, 7)], True),
    ("two writes in real-time order; a later read returns the older value",
     [("c1", "write", 1, 0, 1), ("c2", "write", 2, 2, 3), ("c1", "read", 1, 4, 5)], False),
]


def _brute(module: ModuleType, history: History) -> Any:
    verdict = module.brute_force_linearizable(history, cas_register.step, None)
    expect(isinstance(verdict, bool), f"brute_force_linearizable returned {verdict!r} on "
           f"{_lines(history)}; it must return True or False")
    return verdict


def check_brute_force_examples(module: ModuleType) -> None:
    """Brute force on tiny hand-made histories, real-time order included."""
    for name, rows, want in BRUTE_CASES:
        history = _history(rows)
        got = _brute(module, history)
        expect(got == want, f"brute_force_linearizable returned {got} on {name} "
               f"({_lines(history)}); expected {want}")


def random_history(rng: random.Random) -> History:
    """A tiny history of ``ok`` ops on one register; outputs from a random linearization,
    sometimes corrupted (so both verdicts occur). Integer times, ties allowed."""
    count = rng.randint(2, 5)
    free_at = {p: 0 for p in ("c1", "c2", "c3")[: rng.randint(1, 3)]}
    rows: list[tuple[str, str, int, int, float]] = []  # process, f, call, return, point
    for _ in range(count):
        process = rng.choice(sorted(free_at))
        call = free_at[process] + rng.randint(0, 3)
        ret = call + rng.randint(0, 4)
        free_at[process] = ret + 1
        rows.append((process, rng.choice(("read", "write", "cas")), call, ret,
                     rng.uniform(call, ret)))
    state: Any = None
    history = History()
    for process, f, call, ret, _point in sorted(rows, key=lambda r: r[4]):
        value: Any = None
        output: Any = None
        if f == "read":
            output = state
        elif f == "write":
            value = state = rng.randint(1, 3)
        else:
            value = (rng.choice((None, 1, 2, 3)), rng.randint(1, 3))
            output = value[0] == state
            state = value[1] if output else state
        history.add(process, f, value, call, ret, output=output)
    return _corrupt(rng, history) if rng.random() < 0.5 else history


def _corrupt(rng: random.Random, history: History) -> History:
    ops = list(history)
    i = rng.randrange(len(ops))
    op = ops[i]
    if op.f == "read":
        output: Any = rng.choice([v for v in (None, 1, 2, 3) if v != op.output])
    elif op.f == "cas":
        output = not op.output
    else:
        return history
    ops[i] = Op(id=op.id, process=op.process, f=op.f, value=op.value, output=output,
                call=op.call, ret=op.ret)
    return History(ops)


def _shrink(history: History, disagrees: Callable[[History], bool]) -> History:
    """Drop ops one at a time while the disagreement persists (a smallest failing case)."""
    ops = list(history)
    shrunk = True
    while shrunk:
        shrunk = False
        for i in range(len(ops)):
            smaller = History(ops[:i] + ops[i + 1:]).renumbered()
            if disagrees(smaller):
                ops, shrunk = list(smaller), True
                break
    return History(ops)


def check_brute_force_random(module: ModuleType) -> None:
    """200 seeded random tiny histories: the same verdict as the real checker."""
    for seed in range(RANDOM_HISTORIES):
        history = random_history(random.Random(seed))

        def disagrees(h: History) -> bool:
            return _brute(module, h) != bool(check(h, cas_register))

        if not disagrees(history):
            continue
        small = _shrink(history, disagrees)
        real = check(small, cas_register)
        order = " → ".join(str(op) for op in real.witness)
        truth = (f"linearizable, e.g. in the order {order}" if real else real.explanation)
        fail(f"on this history (random case seed {seed}, shrunk from {len(history)} to "
             f"{len(small)} ops): {_lines(small)} — brute_force_linearizable returned "
             f"{_brute(module, small)}; the real checker says {truth}",
             kind=PROPERTY, seed=seed,
             replay=f"consensus_lab.grading.register_model.random_history(random.Random({seed}))")


# Hints point at the rule and the usual slip, not at the code.
_READ = "a read changes nothing; it is legal only if what it returned is what the register holds"
_WRITE = "after a write the register holds the written value, whatever it held before"
_CAS = ("cas (expected, new) with output True: the compare matched and the value became new; "
        "with output False: the compare did not match and nothing changed")
_INFO = ("an info op may have happened or not; the checker already tries leaving it out, so "
         "your step only needs the case where it happened")
_RULES = ("the failing step names the state, the op and what the rules answer; compare "
          "with the rule for that operation in the exercise's docstring")
_BRUTE = ("a permutation counts only if it respects real time: when a.ret < b.call, a must "
          "come before b; ops whose intervals overlap may go in either order")

CHECKS: tuple[Check, ...] = (
    Check(name="read", prop="read: legal iff it returned the current value; state unchanged",
          hint=_READ, fn=check_read),
    Check(name="write", prop="write: always legal; the value becomes the state", hint=_WRITE,
          fn=check_write),
    Check(name="cas_ok", prop="cas -> True: legal iff expected == state; state becomes new",
          hint=_CAS, fn=check_cas_ok),
    Check(name="cas_false", prop="cas -> False: legal iff expected != state; state unchanged",
          hint=_CAS, fn=check_cas_false),
    Check(name="cas_info", prop="cas with unknown outcome (info): placed means it took effect",
          hint=_INFO, fn=check_cas_info),
    Check(name="random_steps", prop="500 random (state, op) pairs: the same answer as the rules",
          hint=_RULES, fn=check_random_steps),
    Check(name="small_histories", prop="the real checker with your model: hand-made histories",
          hint=_RULES, fn=check_small_histories),
    Check(name="porcupine_etcd", prop="the real checker with your model: 12 Jepsen etcd "
          "histories", hint=_RULES, fn=check_porcupine_etcd),
    Check(name="brute_force_examples", prop="(optional part) brute force on tiny hand-made "
          "histories", hint=_BRUTE, fn=check_brute_force_examples),
    Check(name="brute_force_random", prop="(optional part) brute force = the real checker on "
          "200 random tiny histories", hint=_BRUTE, fn=check_brute_force_random),
)
