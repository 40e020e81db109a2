"""The replicated key-value store: sessions, semantics, and clients through Raft.

Unit tests drive :class:`KVStore` directly (every answer is known in
advance); cluster tests send client operations with ``sim.submit`` and read
the Knossos-style history: ``invoke`` then ``ok`` (it happened, with this
result), ``fail`` (it certainly did not) or ``info`` (the client gave up
not knowing).
"""

from __future__ import annotations

import pytest

from consensus_lab.raft import Command, KVStore, check_one_leader, one, raft_cluster, submit
from consensus_lab.sim import Operation, Simulation


def cmd(op: str, key: str | None = "k", value: object = None, client: str = "c1",
        seq: int = 1) -> Command:
    return Command(client=client, seq=seq, op=op, key=key, value=value)


# ---------------------------------------------------------------- the store
def test_get_put_append_cas_semantics() -> None:
    """Each op's result and effect, against answers worked out by hand."""
    store = KVStore()
    results = [store.apply(c) for c in [
        cmd("get", seq=1),  # missing key: None
        cmd("put", value="a", seq=2),  # put returns the value
        cmd("append", value="b", seq=3),  # append returns the new value
        cmd("append", key="fresh", value=7, seq=4),  # append to nothing: str(value)
        cmd("cas", value=("x", "z"), seq=5),  # expected "x", have "ab": no
        cmd("cas", value=("ab", "c"), seq=6),  # expected "ab": swapped
        cmd("get", seq=7),
        cmd("noop", key=None, seq=8),
    ]]
    assert results == [None, "a", "ab", "7", False, True, "c", None]
    assert store.data == {"k": "c", "fresh": "7"}


def test_a_duplicate_command_takes_effect_once_and_repeats_its_result() -> None:
    """§8: the store remembers each client's last sequence number and its result;
    a duplicate (same client, same seq) is answered from memory, not applied again."""
    store = KVStore()
    assert store.apply(cmd("append", value="x", seq=1)) == "x"
    assert store.apply(cmd("append", value="x", seq=1)) == "x"  # retried
    assert store.data == {"k": "x"}
    assert store.apply(cmd("append", value="y", seq=2)) == "xy"
    assert store.apply(cmd("append", value="x", seq=1)) == "stale duplicate"
    assert store.data == {"k": "xy"}
    assert store.sessions == {"c1": (2, "xy")}


def test_sessions_are_per_client() -> None:
    """Another client's seq 1 is a new command, not a duplicate of c1's."""
    store = KVStore()
    store.apply(cmd("append", value="a", client="c1", seq=1))
    store.apply(cmd("append", value="b", client="c2", seq=1))
    assert store.data == {"k": "ab"}
    assert store.sessions == {"c1": (1, "a"), "c2": (1, "ab")}


def test_plain_values_pass_through_unchanged() -> None:
    """6.5840-style tests replicate plain values: they are their own result."""
    store = KVStore()
    assert store.apply(42) == 42 and store.apply("x") == "x"
    assert store.data == {} and store.sessions == {}


def test_snapshot_restore_keeps_data_and_sessions() -> None:
    """A restored store holds the same data and still recognises duplicates (§7: the
    snapshot holds the session table too)."""
    store = KVStore()
    store.apply(cmd("put", value="v", seq=1))
    store.apply(cmd("append", key="j", value="w", client="c2", seq=4))
    copy = KVStore.restore(store.snapshot())
    assert copy.data == store.data and copy.sessions == store.sessions
    assert copy.apply(cmd("append", key="j", value="w", client="c2", seq=4)) == "w"
    assert copy.data["j"] == "w"
    assert KVStore.restore(None).data == {}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"op": "frob"}, "unknown command op 'frob'; allowed: get, put, append, cas, noop"),
    ({"op": "cas", "value": 5}, "cas needs value=(expected, new), got 5"),
    ({"op": "cas", "value": (1, 2, 3)}, "cas needs value=(expected, new), got (1, 2, 3)"),
])
def test_command_validation_names_the_problem(kwargs: dict[str, object],
                                              message: str) -> None:
    """A bad command is refused when it is built, with what was wrong and what is
    allowed — before it can reach a log."""
    with pytest.raises(ValueError) as caught:
        Command(client="c1", seq=1, key="k", **kwargs)
    assert str(caught.value) == message


# ---------------------------------------------------------------- through the cluster
def completions(sim: Simulation) -> list[tuple[str, str, object]]:
    """(f, type, value) of every completed operation, in completion order."""
    return [(op.f, op.type, op.value) for op in sim.history if op.type != "invoke"]


def run_until_done(sim: Simulation, within: int = 3_000) -> None:
    deadline = sim.now + within
    while sim.history.open_requests() and sim.now < deadline:
        sim.run(until=sim.now + 20)
    assert not sim.history.open_requests(), f"still open: {sim.history.open_requests()}"


def test_client_operations_through_the_leader_complete_ok_in_order() -> None:
    """Operations sent to the leader are committed, applied on every node and answered
    ``ok`` with their result; the history pairs each invoke with its completion."""
    sim = raft_cluster(3, seed=31)
    leader = check_one_leader(sim).node_id
    script = [("put", "x", "1"), ("append", "x", "2"), ("get", "x", None),
              ("cas", "x", ("12", "3")), ("cas", "x", ("12", "4")), ("get", "x", None)]
    for f, key, value in script:
        sim.submit(leader, f, key, value, client="c1", timeout=2_000)
        run_until_done(sim)
    assert completions(sim) == [("put", "ok", "1"), ("append", "ok", "12"), ("get", "ok", "12"),
                                ("cas", "ok", True), ("cas", "ok", False), ("get", "ok", "3")]
    assert [op.type for op in sim.history] == ["invoke", "ok"] * len(script)
    sim.run(until=sim.now + 200)  # followers learn the last commit index
    assert all(node.store.data == {"x": "3"} for node in sim.nodes.values())


def test_a_follower_fails_the_request_and_names_the_leader() -> None:
    """Only the leader takes commands; a follower answers ``fail`` (the command
    certainly did not happen) with a hint of who leads."""
    sim = raft_cluster(3, seed=32)
    leader = check_one_leader(sim).node_id
    follower = next(i for i in sim.node_ids if i != leader)
    sim.submit(follower, "put", "x", "1", client="c1", timeout=2_000)
    run_until_done(sim)
    assert completions(sim) == [("put", "fail", {"error": "not leader", "leader": leader})]
    assert all("x" not in node.store.data for node in sim.nodes.values())


def test_a_malformed_request_fails_without_harming_the_cluster() -> None:
    """A command the store cannot run is refused with the reason (it must never
    reach the log, where every node would crash applying it)."""
    sim = raft_cluster(3, seed=33)
    leader = check_one_leader(sim).node_id
    sim.submit(leader, "cas", "x", "not-a-pair", client="c1", timeout=2_000)
    sim.submit(leader, "frob", "x", 1, client="c2", timeout=2_000)
    run_until_done(sim)
    results = {op.f: (op.type, op.value) for op in sim.history if op.type != "invoke"}
    assert results == {
        "cas": ("fail", {"error": "cas needs value=(expected, new), got 'not-a-pair'"}),
        "frob": ("fail", {"error": "unknown command op 'frob'; allowed: get, put, append, "
                                   "cas, noop"}),
    }
    assert sim.nodes[leader].log.last_index == 0
    assert one(sim, "still-works", 3) == 1


def test_a_crashed_leader_leaves_the_client_not_knowing() -> None:
    """The leader takes the command and crashes before answering: the client times
    out and records ``info`` — it cannot know whether the command happened."""
    sim = raft_cluster(3, seed=34)
    leader = check_one_leader(sim).node_id
    request = sim.submit(leader, "put", "x", "1", client="c1", timeout=500)
    sim.run(until=lambda s: s.nodes[leader].log.last_index >= 1)
    sim.crash(leader)
    sim.run(until=sim.now + 600)
    ops = [op for op in sim.history if op.request_id == request.id]
    assert [(op.type, op.value) for op in ops] == [("invoke", "1"), ("info", None)]
    assert ops[1].time == ops[0].time + 500


def test_a_deposed_leaders_request_ends_as_info_never_ok() -> None:
    """A leader cut off in a minority accepts a command it can never commit; the
    majority elects a new leader; when the old one returns its entry is overwritten
    and the client, having heard nothing, records ``info`` — and the command is not
    applied anywhere."""
    sim = raft_cluster(5, seed=35)
    old = check_one_leader(sim).node_id
    sim.partition([old], [i for i in sim.node_ids if i != old])
    request = sim.submit(old, "put", "x", "stale", client="c1", timeout=3_000)
    new = None
    while new is None or new.node_id == old:
        new = check_one_leader(sim)
    sim.submit(new.node_id, "put", "x", "fresh", client="c2", timeout=3_000)
    sim.run(until=sim.now + 500)
    sim.heal()
    run_until_done(sim, within=4_000)
    by_request = {op.request_id: op for op in sim.history if op.type != "invoke"}
    assert by_request[request.id].type == "info"
    assert [(op.f, op.type, op.value) for op in sim.history
            if op.type == "ok"] == [("put", "ok", "fresh")]
    sim.run(until=sim.now + 300)
    assert all(node.store.data == {"x": "fresh"} for node in sim.nodes.values())


def test_a_command_in_the_log_twice_is_applied_once() -> None:
    """Exactly once through Raft: a client's command replicated twice (a retry that
    both copies of made it into the log) changes the store once, on every node."""
    sim = raft_cluster(3, seed=36)
    check_one_leader(sim)
    command = cmd("append", key="x", value="a", client="c9", seq=1)
    first = one(sim, command, 3)
    second_index, _, ok = submit(sim, command)
    assert ok and second_index == first + 1
    one(sim, cmd("get", key="x", client="c9", seq=2), 3)
    assert [n.store.data for n in sim.nodes.values()] == [{"x": "a"}] * 3
    assert sim.nodes["n1"].log.entry(first).command == sim.nodes["n1"].log.entry(
        second_index).command


def test_history_operations_carry_the_client_and_times() -> None:
    """Each history line names its client process, op, key and time."""
    sim = raft_cluster(3, seed=37)
    leader = check_one_leader(sim).node_id
    sim.submit(leader, "put", "k", "v", client="c7", timeout=2_000)
    run_until_done(sim)
    invoke, done = sim.history.ops
    assert isinstance(invoke, Operation)
    assert (invoke.process, invoke.type, invoke.f, invoke.key) == ("c7", "invoke", "put", "k")
    assert (done.process, done.type, done.value) == ("c7", "ok", "v")
    assert done.time > invoke.time


def test_a_retried_request_with_the_same_seq_takes_effect_once() -> None:
    """§8: a client that retries (same client id, same seq) must not apply twice."""
    from consensus_lab.raft import check_one_leader, raft_cluster

    sim = raft_cluster(3, seed=8)
    leader = check_one_leader(sim).node_id
    for _ in range(2):  # the first answer "was lost", the client retries
        sim.submit(leader, "append", key="x", value="a", client="c1", seq=1, timeout=500)
        sim.run(until=sim.now + 300)
    sim.submit(leader, "get", key="x", client="c1", seq=2, timeout=500)
    sim.run(until=sim.now + 300)
    oks = [op.value for op in sim.history if op.type == "ok"]
    assert oks == ["a", "a", "a"]  # both appends answer "a"; the read sees one "a"
