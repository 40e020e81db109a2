"""The immutable store in Raft's state agrees with KVStore, command for command."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from consensus_lab.kv import Command, KVStore
from consensus_lab.raft.store import EMPTY_STORE, KVValue

KEYS = st.one_of(st.integers(0, 40), st.sampled_from(["x", "y", "z", "long key"]))
OPS = st.sampled_from(["get", "put", "append", "cas", "noop"])


@st.composite
def commands(draw: st.DrawFn) -> list[Command]:
    found = []
    for _ in range(draw(st.integers(0, 60))):
        op = draw(OPS)
        value = (draw(st.integers(0, 3)), draw(st.integers(0, 3))) if op == "cas" else \
            draw(st.integers(0, 3))
        found.append(Command(client=draw(st.sampled_from(["c1", "c2"])),
                             seq=draw(st.integers(1, 30)), op=op,
                             key=None if op == "noop" else draw(KEYS),
                             value=None if op in ("get", "noop") else value))
    return found


@given(commands())
def test_the_value_store_answers_and_ends_as_kvstore(sequence: list[Command]) -> None:
    mutable, value = KVStore(), EMPTY_STORE
    for command in sequence:
        expected = mutable.apply(command)
        value, result = value.apply(command)
        assert result == expected, command
    assert value.snapshot() == mutable.snapshot()
    assert value.data == mutable.data and value.sessions == mutable.sessions
    assert KVValue.restore(value.snapshot()) == value


@given(st.permutations(list(range(0, 9000, 7)) + ["a", "b", "c"]))
def test_equal_contents_make_equal_stores_whatever_the_order(keys: list[object]) -> None:
    forward, backward = EMPTY_STORE, EMPTY_STORE
    for seq, key in enumerate(keys, 1):
        forward = forward.apply(Command(client="c", seq=seq, op="put", key=key, value=1))[0]
    for seq, key in enumerate(reversed(keys), 1):
        backward = backward.apply(Command(client="c", seq=seq, op="put", key=key, value=1))[0]
    assert forward.rows == backward.rows and forward.data == backward.data


def test_a_write_copies_one_bucket_and_equal_stores_are_equal() -> None:
    one, _ = EMPTY_STORE.apply(Command(client="c", seq=1, op="put", key=7, value=1))
    again, _ = EMPTY_STORE.apply(Command(client="c", seq=1, op="put", key=7, value=1))
    assert one == again and hash(one) == hash(again)
    shared = sum(a is b for a, b in zip(one.rows, EMPTY_STORE.rows, strict=True))
    assert shared == len(one.rows) - 1
