"""Unit and scenario tests of the simulator: time, delivery, timers, faults."""

from __future__ import annotations

import pytest

from consensus_lab.sim import ClientRequest, ConfigError, Fire, Network, Request, Simulation
from consensus_lab.viz import to_dataframe
from tests.simnodes import Gossip, Ping, Recorder


def make(n: int = 3, **kw: object) -> Simulation:
    kw.setdefault("network", Network(latency=(5, 5)))
    return Simulation(Recorder, n, **kw)  # type: ignore[arg-type]


def ping_from(sim: Simulation, node: str, n: int) -> None:
    for peer in sim.nodes[node].peers:  # type: ignore[union-attr]
        sim._outs[node].send(peer, Ping(n=n), "")


def test_nodes_start_at_time_zero_in_id_order() -> None:
    sim = make()
    starts = [r.node for r in sim.trace if r.kind == "start"]
    assert starts == ["n1", "n2", "n3"] and sim.now == 0


def test_message_arrives_after_its_latency() -> None:
    sim = make()
    ping_from(sim, "n1", 1)
    sim.stabilize()
    assert sim.now == 5
    assert sim.nodes["n2"].received == [("n1", 1)]  # type: ignore[union-attr]


def test_equal_time_events_fire_in_schedule_order() -> None:
    sim = make()
    for i in range(5):
        ping_from(sim, "n1", i)
    sim.stabilize()
    assert [n for _, n in sim.nodes["n3"].received] == [0, 1, 2, 3, 4]  # type: ignore[union-attr]


def test_links_are_fifo_without_reorder() -> None:
    sim = Simulation(Recorder, 2, seed=3, network=Network(latency=(1, 50)))
    for i in range(40):
        sim._outs["n1"].send("n2", Ping(n=i), "")
    sim.stabilize()
    assert [n for _, n in sim.nodes["n2"].received] == list(range(40))  # type: ignore[union-attr]


def test_reorder_lets_messages_overtake() -> None:
    sim = Simulation(Recorder, 2, seed=3, network=Network(latency=(1, 2), reorder=0.5))
    for i in range(40):
        sim._outs["n1"].send("n2", Ping(n=i), "")
    sim.stabilize()
    got = [n for _, n in sim.nodes["n2"].received]  # type: ignore[union-attr]
    assert sorted(got) == list(range(40)) and got != list(range(40))


def test_drop_one_loses_everything_and_traces_it() -> None:
    sim = make(network=Network(drop=1.0))
    ping_from(sim, "n1", 1)
    sim.stabilize()
    assert sim.stats["dropped"] == 2 and sim.stats["delivered"] == 0
    assert [r.detail for r in sim.trace.filter(kind="drop")] == ["lost", "lost"]


def test_duplicate_one_delivers_twice() -> None:
    sim = make(network=Network(latency=(2, 2), duplicate=1.0))
    sim._outs["n1"].send("n2", Ping(n=7), "")
    sim.stabilize()
    assert sim.nodes["n2"].received == [("n1", 7), ("n1", 7)]  # type: ignore[union-attr]


def test_per_link_override_applies_to_that_direction_only() -> None:
    net = Network(latency=(1, 1)).with_link("n1", "n2", drop=1.0)
    sim = make(network=net)
    sim._outs["n1"].send("n2", Ping(n=1), "")
    sim._outs["n2"].send("n1", Ping(n=2), "")
    sim.stabilize()
    assert sim.nodes["n2"].received == []  # type: ignore[union-attr]
    assert sim.nodes["n1"].received == [("n2", 2)]  # type: ignore[union-attr]


def test_timer_fires_after_delay_and_can_be_replaced_or_cancelled() -> None:
    sim = make()
    out = sim._outs["n1"]
    out.set_timer("a", 10, 10)
    out.set_timer("b", 4, 4)
    out.set_timer("a", 20, 20)  # replaces the first "a"
    out.set_timer("c", 6, 6)
    out.cancel_timer("c")
    sim.stabilize()
    assert sim.nodes["n1"].timers == [("b", 4), ("a", 20)]  # type: ignore[union-attr]


def test_clock_skew_and_drift_change_local_time_and_timer_length() -> None:
    sim = make()
    sim.set_clock("n1", skew=100, drift_ppm=1_000_000)  # local clock runs twice as fast
    sim._outs["n1"].set_timer("t", 10, 10)  # 10 local ticks = 5 true ticks
    sim.stabilize()
    assert sim.now == 5
    assert sim.nodes["n1"].timers == [("t", 110)]  # type: ignore[union-attr]


def test_run_until_time_stops_there_and_advances_the_clock() -> None:
    sim = Simulation(Gossip, 3, seed=1)
    sim.run(until=100)
    assert sim.now == 100 and all(r.time <= 100 for r in sim.trace)
    assert sim.peek() is not None and sim.peek() > 100  # type: ignore[operator]


def test_run_until_predicate() -> None:
    sim = Simulation(Gossip, 3, seed=1)
    sim.run(until=lambda s: s.stats["delivered"] >= 10, max_steps=10_000)
    assert sim.stats["delivered"] == 10


def test_pending_lists_live_events_in_firing_order_and_fire_picks_one() -> None:
    sim = make(network=Network(latency=(1, 9)), seed=5)
    ping_from(sim, "n1", 1)
    pending = sim.pending()
    assert [p.kind for p in pending] == ["deliver", "deliver"]
    assert pending == sorted(pending, key=lambda p: (p.time, p.id))
    last = pending[-1]
    sim.fire(last.id)
    assert sim.nodes[last.node].received == [("n1", 1)]  # type: ignore[union-attr]
    assert sim.now == 0  # fired now, ahead of its turn
    assert [p.id for p in sim.pending()] == [pending[0].id]


def test_client_request_reply_is_recorded_as_invoke_then_ok() -> None:
    sim = make()
    sim.submit("n1", "ping", value=3, client="c1")
    sim.submit("n2", "nope", client="c2")
    sim.stabilize()
    kinds = [(op.process, op.type, op.value) for op in sim.history]
    assert ("c1", "invoke", 3) in kinds and ("c1", "ok", "sent") in kinds
    assert ("c2", "fail", "unknown f nope") in kinds
    assert [inv.process for inv, comp in sim.history.pairs() if comp is None] == []


def test_client_timeout_records_info_and_ignores_late_reply() -> None:
    sim = make()
    sim.submit("n1", "ignore", timeout=20)
    sim.pause("n2")
    req = sim.submit("n2", "save", value=1, timeout=8)
    sim.run(until=30)
    sim.resume("n2")
    sim.stabilize()
    types = [op.type for op in sim.history if op.request_id == req.id]
    assert types == ["invoke", "info"]
    assert any(r.detail == "late reply ignored" for r in sim.trace)
    assert [op.type for op in sim.history if op.f == "ignore"] == ["invoke", "info"]


def test_trace_strings_are_one_line_and_digest_is_stable() -> None:
    sim = make()
    ping_from(sim, "n1", 42)
    sim.stabilize()
    lines = [str(r) for r in sim.trace]
    assert "t=0000 n1->n2 Ping(42)" in lines
    assert any(line.startswith("t=0005 n1->n2 deliver Ping(42)") for line in lines)
    assert all("\n" not in line for line in lines)
    assert len(sim.trace.digest()) == 64


def test_trace_filter_dataframe_and_jsonl(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sim = make()
    ping_from(sim, "n1", 1)
    sim.stabilize()
    sends = sim.trace.filter(kind="send")
    assert len(sends) == 2 and all(r.kind == "send" for r in sends)
    assert len(sim.trace.filter(node="n3")) == 3  # start, send to n3, deliver at n3
    df = to_dataframe(sim.trace)
    assert list(df["kind"]).count("deliver") == 2
    path = tmp_path / "t.jsonl"
    sim.trace.to_jsonl(path)
    assert len(path.read_text().splitlines()) == len(sim.trace)
    with pytest.raises(ValueError, match="unknown trace kind 'sned'"):
        sim.trace.filter(kind="sned")


def test_history_to_dataframe() -> None:
    sim = make()
    sim.submit("n1", "save", value=9)
    sim.stabilize()
    df = to_dataframe(sim.history)
    assert list(df["type"]) == ["invoke", "ok"]


def test_invariant_violation_stops_the_run_with_trace_seed_and_choices() -> None:
    from consensus_lab.sim import InvariantViolation

    sim = Simulation(Gossip, 3, seed=4)
    sim.add_invariant("fewer than 5 deliveries",
                      lambda s: s.stats["delivered"] < 5 or f"{s.stats['delivered']} delivered")
    with pytest.raises(InvariantViolation) as caught:
        sim.run(until=1_000)
    err = caught.value
    assert err.name == "fewer than 5 deliveries" and err.message == "5 delivered"
    assert err.seed == 4 and err.step == sim.steps and err.choices == sim.choices
    assert "invariant 'fewer than 5 deliveries' violated after step" in str(err)
    assert "deliver Rumor" in str(err)  # the trace tail is in the message
    assert sim.now < 1_000  # the run stopped at the violation


def test_invariant_returning_none_or_true_passes() -> None:
    sim = Simulation(Gossip, 3, seed=4)
    sim.add_invariant("none", lambda s: None)
    sim.add_invariant("true", lambda s: True)
    assert sim.run(until=200) > 0


def test_cancelled_timer_is_not_pending() -> None:
    sim = make()
    sim._outs["n1"].set_timer("a", 3, 3)
    sim._outs["n1"].cancel_timer("a")
    assert sim.pending() == [] and sim.peek() is None and sim.step() is False


def test_drop_loses_one_pending_message_and_replays() -> None:
    net = Network(latency=(1, 9))
    sim = make(network=net, seed=5)
    sim.submit("n1", "ping", value=1)
    sim.run(until=lambda s: len([p for p in s.pending() if p.kind == "deliver"]) == 2,
            max_steps=10)
    first, second = [p for p in sim.pending() if p.kind == "deliver"]
    sim.drop(first.id)
    sim.stabilize()
    assert sim.nodes[first.node].received == []  # type: ignore[union-attr]
    assert sim.nodes[second.node].received == [("n1", 1)]  # type: ignore[union-attr]
    assert [r.detail for r in sim.trace.filter(kind="drop")] == ["dropped by hand"]
    copy = Simulation.replay(Recorder, 3, sim.choices, sim.steps, network=net)
    assert copy.trace.digest() == sim.trace.digest()


def test_drop_refuses_a_timer() -> None:
    sim = make()
    sim._outs["n1"].set_timer("a", 3, 3)
    (timer,) = sim.pending()
    with pytest.raises(ConfigError, match="is a timer, not a message"):
        sim.drop(timer.id)
    assert sim.pending() == [timer]


def test_call_runs_a_node_method_as_a_recorded_input() -> None:
    net = Network(latency=(3, 3))
    sim = make(network=net)
    sim.call("n1", "take", Request(ClientRequest(id=99, client="c9", f="save", value=5)))
    sim.stabilize()
    assert sim.nodes["n1"].durable == 5  # type: ignore[union-attr]
    copy = Simulation.replay(Recorder, 3, sim.choices, sim.steps, network=net)
    assert copy.nodes["n1"].durable == 5 and copy.trace.digest() == sim.trace.digest()  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="Recorder has no method 'explode'"):
        sim.call("n1", "explode")
    sim.crash("n2")
    with pytest.raises(ConfigError, match="cannot call take\\(\\) on n2: it is crashed"):
        sim.call("n2", "take", Fire("t"))
