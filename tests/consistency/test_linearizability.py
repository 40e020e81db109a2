"""Hand-written good and bad histories (one-line reason each), checker properties."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus_lab.consistency import History, Op, check, get_model
from consensus_lab.consistency.models import by_key

# (name, model, rows, expected verdict, reason).
# Rows: (process, f, value, call, ret[, status[, key]]);
# for reads the value is the value returned; cas value is (expected, new).
CORPUS = [
    ("good-read", "register",
     [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3), ("c3", "read", 1, 4, 5)],
     "ok", "chapter's good read: once c2 saw 1 (the write took effect), later reads see 1"),
    ("stale-read", "register",
     [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3), ("c3", "read", None, 4, 5)],
     "illegal", "chapter's stale read: c3 starts after c2 saw 1 yet sees the old value"),
    ("read-during-write-old", "register",
     [("c1", "write", 1, 0, 10), ("c2", "read", None, 1, 3)],
     "ok", "a read concurrent with a write may return the old value"),
    ("read-during-write-new", "register",
     [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3)],
     "ok", "... or the new one"),
    ("read-never-written", "register",
     [("c1", "write", 1, 0, 2), ("c2", "read", 7, 3, 4)],
     "illegal", "nobody wrote 7"),
    ("concurrent-writes-either", "register",
     [("c1", "write", 1, 0, 5), ("c2", "write", 2, 0, 5), ("c3", "read", 1, 6, 7),
      ("c4", "read", 1, 8, 9)],
     "ok", "concurrent writes may take effect in either order (2 then 1)"),
    ("concurrent-writes-flipflop", "register",
     [("c1", "write", 1, 0, 5), ("c2", "write", 2, 0, 5), ("c3", "read", 1, 6, 7),
      ("c4", "read", 2, 8, 9)],
     "illegal", "after both writes finish the value cannot change from 1 to 2"),
    ("sequential-writes", "register",
     [("c1", "write", 1, 0, 1), ("c1", "write", 2, 2, 3), ("c2", "read", 1, 4, 5)],
     "illegal", "write 2 finished before the read began, so 1 is stale"),
    ("info-took-effect", "register",
     [("c1", "write", 1, 0, 1, "info"), ("c2", "read", 1, 5, 6)],
     "ok", "a timed-out write may have happened: the read explains it"),
    ("info-never-happened", "register",
     [("c1", "write", 1, 0, 1, "info"), ("c2", "read", None, 5, 6)],
     "ok", "a timed-out write may never have happened"),
    ("info-late-effect", "register",
     [("c1", "write", 1, 0, 1, "info"), ("c2", "read", None, 5, 6), ("c3", "read", 1, 7, 8)],
     "ok", "an unknown write may take effect long after the client gave up"),
    ("info-cannot-undo", "register",
     [("c1", "write", 1, 0, 1, "info"), ("c2", "read", 1, 5, 6), ("c3", "read", None, 7, 8)],
     "illegal", "once seen, the unknown write cannot be unseen"),
    ("info-before-call", "register",
     [("c2", "read", 1, 0, 1), ("c1", "write", 1, 2, 3, "info")],
     "illegal", "an unknown write cannot take effect before it was invoked"),
    ("failed-write-did-not-happen", "register",
     [("c1", "write", 1, 0, 1, "fail"), ("c2", "read", 1, 5, 6)],
     "illegal", "a failed write certainly did not happen, so nobody wrote 1"),
    ("info-read-ignored", "register",
     [("c1", "write", 1, 0, 1), ("c2", "read", 99, 2, 3, "info")],
     "ok", "a read whose outcome is unknown constrains nothing"),
    ("cas-ok", "cas-register",
     [("c1", "write", 1, 0, 1), ("c2", "cas", (1, 2), 2, 3), ("c3", "read", 2, 4, 5)],
     "ok", "cas 1->2 succeeds on 1"),
    ("cas-wrong-expected", "cas-register",
     [("c1", "write", 1, 0, 1), ("c2", "cas", (3, 2), 2, 3)],
     "illegal", "cas 3->2 cannot succeed when the value is 1"),
    ("cas-false-ok", "cas-register",
     [("c1", "write", 1, 0, 1), ("c2", "cas", (3, 2), 2, 3, "false")],
     "ok", "a cas that reports compare-failed on a mismatch is fine"),
    ("cas-false-wrong", "cas-register",
     [("c1", "write", 1, 0, 1), ("c2", "cas", (1, 2), 2, 3, "false")],
     "illegal", "the compare cannot fail when the value equals the expected one"),
    ("cas-nil-initial", "cas-register",
     [("c1", "read", None, 0, 1), ("c2", "cas", (None, 5), 2, 3), ("c1", "read", 5, 4, 5)],
     "ok", "the register starts at nil (as in Porcupine's etcd tests)"),
    ("two-keys-independent", "register",
     [("c1", "write", 1, 0, 1, "ok", "x"), ("c2", "read", None, 2, 3, "ok", "y"),
      ("c2", "read", 1, 4, 5, "ok", "x")],
     "ok", "keys are separate registers"),
    ("two-keys-one-bad", "register",
     [("c1", "write", 1, 0, 1, "ok", "x"), ("c2", "read", 1, 2, 3, "ok", "y")],
     "illegal", "key y was never written"),
    ("empty", "register", [], "ok", "nothing to explain"),
]


@pytest.mark.parametrize(("name", "model", "rows", "verdict", "reason"), CORPUS,
                         ids=[c[0] for c in CORPUS])
def test_corpus(name: str, model: str, rows: list, verdict: str, reason: str) -> None:
    result = check(History.build(rows), model)
    assert result.verdict == verdict, f"{name}: {reason}; got {result.explanation}"
    assert result.explanation
    if verdict == "ok":
        assert_valid_witness(History.build(rows), model, result.witness)
    else:
        assert result.culprit
        assert check(result.culprit, model).verdict == "illegal", "the culprit is illegal alone"


def test_prefix_stops_at_the_first_impossible_op_and_the_culprit_names_it() -> None:
    rows = [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3), ("c3", "read", None, 4, 5),
            ("c4", "write", 2, 20, 21), ("c5", "read", 2, 22, 23)]
    result = check(History.build(rows), "register")
    assert result.verdict == "illegal"
    assert {op.process for op in result.prefix} == {"c1", "c2", "c3"}
    assert result.prefix[0].status == "info", "the pending write is optional in the prefix"
    assert {op.process for op in result.culprit} == {"c1", "c2", "c3"}
    assert "c3 read -> None" in result.explanation


def test_timeout_gives_unknown() -> None:
    # many concurrent writes with one impossible read: a large search space
    rows = [(f"c{i}", "write", i, 0, 100) for i in range(40)]
    rows += [(f"r{i}", "read", i, 101 + 2 * i, 102 + 2 * i) for i in range(40)]
    result = check(History.build(rows), "register", timeout=0.0)
    assert result.verdict == "unknown"
    assert result.linearizable is None
    assert "gave up" in result.explanation


def assert_valid_witness(history: History, model: str, witness: list[Op]) -> None:
    """Every ok op once, real-time order respected, each key's replay legal."""
    m = get_model(model)
    needed = {op.id for op in history.checkable() if op.status == "ok"}
    assert needed <= {op.id for op in witness}
    for part in by_key(witness):
        state = m.init()
        for k, op in enumerate(part):
            ok, state = m.step(state, op)
            assert ok, f"witness step {op} illegal"
            assert all(not later.ret < op.call for later in part[k + 1:]), "real time violated"


# --- properties --------------------------------------------------------------------------

@st.composite
def run_register(draw: st.DrawFn, cas: bool = False) -> History:
    """Run a sequential register: each op takes effect at a point inside its interval."""
    n = draw(st.integers(0, 12))
    specs = []
    for i in range(n):
        call = draw(st.integers(0, 30))
        point = call + draw(st.integers(0, 10))
        ret = point + draw(st.integers(0, 10))
        kinds = ["read", "write", "cas"] if cas else ["read", "write"]
        f = draw(st.sampled_from(kinds))
        status = draw(st.sampled_from(["ok", "ok", "ok", "info", "fail"]))
        happened = status == "ok" or (status == "info" and draw(st.booleans()))
        arg = (draw(st.integers(0, 2)), draw(st.integers(0, 2))) if f == "cas" else draw(
            st.integers(0, 3))
        specs.append((point, i, f"c{i}", f, arg, call, ret, status, happened))
    history, state = History(), None
    for _point, _i, process, f, arg, call, ret, status, happened in sorted(specs):
        output, value = None, None
        if f == "read":
            output = state
        elif f == "write":
            value = arg
            if happened:
                state = arg
        else:
            value = arg
            output = arg[0] == state
            if happened and output:
                state = arg[1]
        if status == "fail":
            output = None
        history.add(process, f, value, call, ret, output=output, status=status)
    return history


@settings(max_examples=200, deadline=None)
@given(run_register())
def test_histories_of_a_real_register_are_linearizable(history: History) -> None:
    result = check(history, "register")
    assert result.verdict == "ok", result.explanation
    assert_valid_witness(history, "register", result.witness)


@settings(max_examples=200, deadline=None)
@given(run_register(cas=True))
def test_histories_of_a_real_cas_register_are_linearizable(history: History) -> None:
    assert check(history, "cas-register").verdict == "ok"


def brute_force(history: History, model: str) -> bool:
    """Try every subset of the info ops and every order: the definition, literally."""
    m = get_model(model)
    ops = history.checkable()
    required = [op for op in ops if op.status == "ok"]
    optional = [op for op in ops if op.status == "info"]
    for k in range(len(optional) + 1):
        for extra in itertools.combinations(optional, k):
            for order in itertools.permutations(required + list(extra)):
                if any(b.ret < a.call for i, a in enumerate(order) for b in order[i + 1:]):
                    continue
                state, ok = m.init(), True
                for op in order:
                    ok, state = m.step(state, op)
                    if not ok:
                        break
                if ok:
                    return True
    return False


@st.composite
def random_history(draw: st.DrawFn) -> History:
    """Arbitrary small histories: outputs drawn at random, so many are illegal."""
    history = History()
    for i in range(draw(st.integers(0, 5))):
        call = draw(st.integers(0, 8))
        ret = call + draw(st.integers(0, 6))
        f = draw(st.sampled_from(["read", "write", "cas"]))
        status = draw(st.sampled_from(["ok", "ok", "info"]))
        if f == "read":
            history.add(f"c{i}", f, None, call, ret, output=draw(st.sampled_from([None, 1, 2])),
                        status=status)
        elif f == "write":
            history.add(f"c{i}", f, draw(st.integers(1, 2)), call, ret, status=status)
        else:
            value = (draw(st.sampled_from([None, 1, 2])), draw(st.integers(1, 2)))
            history.add(f"c{i}", f, value, call, ret, output=draw(st.booleans()), status=status)
    return history


@settings(max_examples=400, deadline=None)
@given(random_history())
def test_check_agrees_with_brute_force(history: History) -> None:
    expected = brute_force(history, "cas-register")
    result = check(history, "cas-register")
    assert (result.verdict == "ok") == expected
    if not expected:  # the prefix certificate is sound: illegal by the definition too
        assert not brute_force(History(result.prefix), "cas-register")
        assert not brute_force(History(result.culprit), "cas-register")


@st.composite
def random_kv_history(draw: st.DrawFn) -> History:
    """Small kv histories with random outputs: exercises the doomed-read cut (appends only
    grow the string, a put resets it)."""
    history = History()
    for i in range(draw(st.integers(0, 6))):
        call = draw(st.integers(0, 8))
        ret = call + draw(st.integers(0, 6))
        f = draw(st.sampled_from(["get", "get", "append", "append", "put"]))
        status = draw(st.sampled_from(["ok", "ok", "ok", "info"]))
        if f == "get":
            history.add(f"c{i}", f, None, call, ret, status=status,
                        output=draw(st.sampled_from(["", "a", "b", "ab", "ba", "aa", "abb"])))
        else:
            history.add(f"c{i}", f, draw(st.sampled_from(["a", "b"])), call, ret, status=status)
    return history


@settings(max_examples=400, deadline=None)
@given(random_kv_history())
def test_kv_check_agrees_with_brute_force(history: History) -> None:
    expected = brute_force(history, "kv")
    result = check(history, "kv")
    assert (result.verdict == "ok") == expected, result.explanation
    if not expected:
        assert not brute_force(History(result.prefix), "kv")


@st.composite
def run_kv(draw: st.DrawFn) -> History:
    """Run a sequential kv store on two keys; each op takes effect inside its interval."""
    specs = []
    for i in range(draw(st.integers(0, 14))):
        call = draw(st.integers(0, 30))
        point = call + draw(st.integers(0, 10))
        ret = point + draw(st.integers(0, 10))
        f = draw(st.sampled_from(["get", "append", "append", "put"]))
        specs.append((point, i, f, draw(st.sampled_from(["k", "j"])), f"x{i}y", call, ret))
    history, state = History(), {"k": "", "j": ""}
    for _point, i, f, key, value, call, ret in sorted(specs):
        if f == "get":
            history.add(f"c{i}", f, None, call, ret, output=state[key], key=key)
        else:
            state[key] = value if f == "put" else state[key] + value
            history.add(f"c{i}", f, value, call, ret, key=key)
    return history


@settings(max_examples=200, deadline=None)
@given(run_kv())
def test_histories_of_a_real_kv_store_are_linearizable(history: History) -> None:
    result = check(history, "kv")
    assert result.verdict == "ok", result.explanation
    assert_valid_witness(history, "kv", result.witness)


def test_op_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="status must be one of"):
        Op(id=0, process="c1", f="read", status="maybe")
    with pytest.raises(ValueError, match="completes .* before it is invoked"):
        Op(id=0, process="c1", f="read", call=5, ret=3)
    assert Op(id=0, process="c1", f="write", value=1, ret=3, status="info").ret == math.inf


def test_unknown_model_and_operation() -> None:
    with pytest.raises(ValueError, match="unknown model 'queue'"):
        check(History(), "queue")
    with pytest.raises(ValueError, match="register supports read/write"):
        check(History.build([("c1", "cas", (1, 2), 0, 1)]), "register")
