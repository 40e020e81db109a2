"""Scenario tests: the CP and AP stores with and without a partition (CAP, syllabus row 4).

The experiments use the default workload: five nodes, one client each,
side A = {n1, n2} cut from side B = {n3, n4, n5} between t=500 and t=1500.
"""

from __future__ import annotations

from functools import partial

import pytest

from consensus_lab.sim import ConfigError, History, Simulation
from consensus_lab.stores import (
    DynamoConfig,
    DynamoNode,
    Versioned,
    Write,
    find_anomalies,
    partition_experiment,
)
from consensus_lab.viz.experiments import cap_table, plot_cap


@pytest.fixture(scope="module")
def runs() -> dict[str, object]:
    return {
        "cp": partition_experiment("cp", seed=1),
        "ap": partition_experiment("ap", seed=1),
        "ap-skew": partition_experiment("ap", seed=1, clock_skew={"n1": 1000}),
        "siblings": partition_experiment("ap-siblings", seed=1),
    }


@pytest.mark.parametrize("store", ["cp", "ap", "ap-siblings"])
def test_without_a_partition_every_request_is_answered(store: str) -> None:
    res = partition_experiment(store, seed=2, partition_at=0, heal_at=0, duration=800)
    for side in res.sides.values():
        assert side.requests > 0 and side.ok == side.requests
    if store == "cp":
        assert res.anomalies.stale_reads == () and res.anomalies.lost_writes == ()


def test_cp_minority_side_is_unavailable_and_majority_side_is_not(runs: dict) -> None:
    a, b = runs["cp"].sides["A"], runs["cp"].sides["B"]
    assert a.partition_requests > 0 and a.availability_in_partition == 0.0
    assert a.fail + a.info > 0
    assert b.partition_requests > 0 and b.availability_in_partition == 1.0


def test_cp_never_reads_stale_or_loses_a_write(runs: dict) -> None:
    assert runs["cp"].anomalies.stale_reads == ()
    assert runs["cp"].anomalies.lost_writes == ()


def test_ap_answers_both_sides_and_reads_stale(runs: dict) -> None:
    res = runs["ap"]
    assert all(s.availability_in_partition == 1.0 for s in res.sides.values())
    assert all(s.stale_reads > 0 for s in res.sides.values())


def test_lww_under_clock_skew_loses_acknowledged_writes(runs: dict) -> None:
    """n1's clock runs 1000 ticks ahead: its partition-time writes beat later ones from B."""
    res = runs["ap-skew"]
    assert len(res.anomalies.lost_writes) > 0
    assert res.sides["B"].lost_writes > 0
    assert all(s.availability_in_partition == 1.0 for s in res.sides.values())


def test_replicas_converge_after_healing(runs: dict) -> None:
    """Anti-entropy: after settling, every replica holds the same versions of each key."""
    for name in ("ap", "ap-skew", "siblings"):
        nodes = runs[name].sim.nodes.values()
        for key in ("x", "y"):
            assert len({node.data.get(key) for node in nodes}) == 1, (name, key)


def test_siblings_keep_both_concurrent_writes_until_a_write_merges_them() -> None:
    sim = Simulation(partial(DynamoNode, config=DynamoConfig(mode="siblings",
                                                             anti_entropy_every=20)),
                     3, seed=3)
    sim.partition(["n1"], ["n2", "n3"])
    sim.submit("n1", "write", "x", "left", client="c1")
    sim.submit("n3", "write", "x", "right", client="c3")
    sim.run(until=100)
    sim.heal()
    sim.run(until=300)
    sim.submit("n2", "read", "x", client="c2")
    sim.run(until=350)
    read = sim.history.ops[-1]
    assert read.type == "ok" and read.value.values == ("left", "right")
    sim.submit("n2", "write", "x", Write(value="both", context=read.value.context), client="c2")
    sim.run(until=600)
    sim.submit("n1", "read", "x", client="c1")
    sim.run(until=650)
    assert sim.history.ops[-1].value == Versioned(values=("both",),
                                                  context=(("n1", 1), ("n2", 1), ("n3", 1)))


def test_siblings_experiment_keeps_concurrent_values(runs: dict) -> None:
    assert any(len(values) > 1 for values in runs["siblings"].final.values())
    assert runs["siblings"].anomalies.lost_writes == ()


def test_same_seed_same_digest_other_seed_other_digest() -> None:
    first = partition_experiment("ap", seed=5, duration=600, partition_at=100, heal_at=300)
    again = partition_experiment("ap", seed=5, duration=600, partition_at=100, heal_at=300)
    other = partition_experiment("ap", seed=6, duration=600, partition_at=100, heal_at=300)
    assert first.digest() == again.digest() != other.digest()
    assert str(first.history) == str(again.history)


def test_cap_table_has_one_row_per_store_and_side(runs: dict) -> None:
    table = cap_table([runs["cp"], runs["ap"]])
    assert list(table["store"]) == ["cp", "cp", "ap", "ap"]
    assert list(table["side"]) == ["A", "B", "A", "B"]
    assert table.loc[0, "availability_in_partition"] == 0.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"store": "etcd"}, "unknown store 'etcd'; allowed: cp, raft, ap, ap-siblings"),
    ({"store": "ap", "r": 6}, "r must be in [1, N=5], got 6"),
    ({"store": "ap", "w": 9, "n_replicas": 3}, "w must be in [1, N=3], got 9"),
    ({"store": "cp", "w": 2}, "r and w apply to the AP stores only (got r=None, w=2); "
                              "the CP store always uses majorities"),
])
def test_bad_input_names_the_value_and_what_is_allowed(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        partition_experiment(**kwargs)
    assert str(err.value) == message


# -- the anomaly rules on hand-made histories ------------------------------------------

def make(*rows: tuple) -> History:
    """rows: (request id, process, type, f, key, value, time)."""
    h = History()
    for rid, process, kind, f, key, value, time in rows:
        h.add(process, kind, f, key, value, time, request_id=rid)
    return h


def test_a_read_older_than_a_completed_write_is_stale() -> None:
    h = make((1, "c1", "invoke", "write", "x", "a", 0), (1, "c1", "ok", "write", "x", "a", 5),
             (2, "c1", "invoke", "write", "x", "b", 10), (2, "c1", "ok", "write", "x", "b", 15),
             (3, "c2", "invoke", "read", "x", None, 20), (3, "c2", "ok", "read", "x", "a", 25),
             (4, "c2", "invoke", "read", "x", None, 12), (4, "c2", "ok", "read", "x", "a", 30))
    found = find_anomalies(h, {"x": ("b",)})
    assert [inv.request_id for inv, _ in found.stale_reads] == [3]  # 4 overlaps b: fine
    assert found.lost_writes == ()


def test_an_acked_write_overwritten_by_an_older_one_is_lost() -> None:
    h = make((1, "c1", "invoke", "write", "x", "a", 0), (1, "c1", "ok", "write", "x", "a", 5),
             (2, "c2", "invoke", "write", "x", "b", 10), (2, "c2", "ok", "write", "x", "b", 15),
             (3, "c3", "invoke", "write", "x", "c", 11), (3, "c3", "info", "write", "x", None, 99))
    assert [i.value for i, _ in find_anomalies(h, {"x": ("a",)}).lost_writes] == ["b"]
    assert find_anomalies(h, {"x": ("c",)}).lost_writes == ()  # c may be later than b
    assert find_anomalies(h, {"x": ("a", "b")}).lost_writes == ()  # b kept as a sibling


def test_plot_cap_draws_availability_and_anomalies(runs: dict) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plot_cap([runs["cp"], runs["ap"]])
    try:
        left, right = fig.axes
        assert [p.get_height() for p in left.patches] == [0.0, 1.0, 1.0, 1.0]
        assert len(right.patches) == 8  # stale and lost bars for four rows
    finally:
        plt.close(fig)
