"""CapModel and CapExplorer without a browser: real seeded runs, properties CAP says must hold.

No number below is copied from a run: each test asserts what the rules force
(a side without a majority cannot complete a majority operation; an AP node
answers from its own replica; a bad setting changes nothing).
"""

from __future__ import annotations

from functools import partial

import pytest

from consensus_lab.consistency import check
from consensus_lab.consistency.models import Siblings
from consensus_lab.sim import Simulation
from consensus_lab.stores import partition_experiment
from consensus_lab.stores.raftstore import RaftStoreNode
from consensus_lab.widgets import CapExplorer, CapModel
from consensus_lab.widgets.cap import (
    RECENT,
    STORES,
    CapSettings,
    CapSettingsError,
    quorum_note,
    quorum_sweep,
    register_history,
    run_settings,
)


def side(run, name: str) -> dict:
    return next(row for row in run.rows() if row["side"] == name)


def test_same_settings_and_seed_give_the_same_run() -> None:
    """Two fresh models, same settings: same trace digest, same table; another seed differs."""
    first = CapModel().run(store="ap", seed=3)
    again = CapModel().run(store="ap", seed=3)
    assert first.result.digest() == again.result.digest()
    assert first.rows() == again.rows()
    assert first.explanation() == again.explanation()
    assert CapModel().run(store="ap", seed=4).result.digest() != first.result.digest()


def test_rows_are_the_experiments_side_stats() -> None:
    """The table shows exactly what partition_experiment measured, side by side."""
    run = CapModel().run(store="cp", n=5)
    for row in run.rows():
        stats = run.result.sides[row["side"]]
        assert row["nodes"] == ",".join(stats.nodes)
        assert (row["requests"], row["ok"], row["fail"], row["timed out"]) == (
            stats.requests, stats.ok, stats.fail, stats.info)
        assert row["availability"] == round(stats.availability_in_partition, 3)
    assert side(run, "A")["nodes"] == "n1,n2" and not side(run, "A")["majority"]
    assert side(run, "B")["majority"]


@pytest.mark.parametrize("changes, message", [
    ({"n": 3, "r": 4}, r"R=4 is more than N=3.*Choose R from 1 to 3"),
    ({"n": 3, "w": 5}, r"W=5 is more than N=3.*Choose W from 1 to 3"),
    ({"n": 9}, r"N \(nodes in the cluster\) must be a whole number from 3 to 7, got 9"),
    ({"store": "mongo"}, r"unknown store 'mongo'; choose one of: 'cp'"),
    ({"cut": 5}, r"side A\) of N=5 nodes must be a whole number from 1 to 4, got 5"),
    ({"seed": -1}, r"seed must be a whole number 0 or more, got -1"),
    ({"partition": "yes"}, r"partition must be True or False, got 'yes'"),
    ({"quorum": 2}, r"unknown setting quorum; allowed: cut, n, partition"),
])
def test_bad_settings_are_refused_and_nothing_changes(changes: dict, message: str) -> None:
    """A kind error naming the bad value and what is allowed; settings and runs unchanged."""
    model = CapModel()
    model.run(store="ap", r=2, w=2)
    before = (model.settings, list(model.runs), model.count)
    with pytest.raises(CapSettingsError, match=message):
        model.run(**changes)
    assert (model.settings, list(model.runs), model.count) == before


def test_r_and_w_above_n_is_a_value_error_too() -> None:
    """CapSettingsError is a ValueError, so callers that catch ValueError see it."""
    with pytest.raises(ValueError, match="R=6 is more than N=5"):
        CapSettings(store="ap", r=6).check()


@pytest.mark.parametrize("store", list(STORES))
def test_without_a_partition_every_store_answers_everyone(store: str) -> None:
    """Control run: in the same window every request on both sides is answered, no anomaly."""
    run = CapModel().run(store=store, partition=False)
    for row in run.rows():
        assert row["window requests"] > 0
        assert row["availability"] == 1.0, row
    assert run.stale_reads == 0 and run.lost_writes == 0
    assert "no cut" in run.settings.label() and "No partition" in run.meaning()


@pytest.mark.parametrize("store", ["cp", "raft"])
@pytest.mark.parametrize("n", [3, 5, 7])
def test_cp_minority_answers_nothing_during_the_partition(store: str, n: int) -> None:
    """No majority, no answer: no request side A (n // 2 nodes) sent while cut off succeeds
    before the heal (the majority side still works); nothing is stale or lost and the
    history is linearizable. (Raft may serve a late request after the heal, as etcd does.)"""
    run = CapModel().run(store=store, n=n)
    a, b = side(run, "A"), side(run, "B")
    assert a["window requests"] > 0 and a["ok before heal"] == 0
    if store == "cp":  # ABD does not retry: whatever was sent while cut off fails
        assert a["availability"] == 0.0
    assert b["ok before heal"] > 0.5 * b["window requests"]
    assert run.stale_reads == run.lost_writes == 0
    assert run.verdict.verdict == "ok"
    assert "CP gives up availability" in run.meaning()


def test_cp_side_of_exactly_half_has_no_majority_either() -> None:
    """Six nodes cut 3 | 3: neither side holds a majority, so neither answers."""
    run = CapModel().run(store="cp", n=6, cut=3)
    assert all(not row["majority"] and row["ok before heal"] == 0 for row in run.rows())


@pytest.mark.parametrize("store", ["ap", "ap-siblings"])
def test_ap_answers_everyone_and_pays_with_anomalies(store: str) -> None:
    """R = W = 1 on the default seed: both sides 100 % during the partition, stale reads,
    and the checker rejects the history."""
    run = CapModel().run(store=store, r=1, w=1)
    assert [row["availability"] for row in run.rows()] == [1.0, 1.0]
    assert run.stale_reads > 0
    assert run.verdict.verdict == "illegal" and run.verdict.culprit
    assert "gives up linearizability" in run.meaning()
    assert run.explanation().startswith("✘ ") and "not linearizable" in run.explanation()


def test_clock_skew_makes_lww_lose_acknowledged_writes_but_not_siblings() -> None:
    """n1's clock 1 s ahead: its writes win LWW over later ones, which are lost.
    Siblings keep concurrent writes side by side, so no write is lost."""
    model = CapModel(store="ap")
    assert model.run(skew=True).lost_writes > 0
    assert model.run(store="ap-siblings").lost_writes == 0


def test_strict_quorum_on_n3_leaves_the_single_node_side_unavailable() -> None:
    """N = 3 cut 1 | 2: with R >= 2 and W >= 2 the lone node can finish nothing; with
    R = W = 1 it answers everything."""
    sweep = quorum_sweep(3)
    assert len(sweep) == 9 and set(zip(sweep["R"], sweep["W"], strict=True)) == {
        (r, w) for r in (1, 2, 3) for w in (1, 2, 3)}
    assert (sweep["R+W>N"] == (sweep["R"] + sweep["W"] > 3)).all()
    both_big = sweep[(sweep["R"] >= 2) & (sweep["W"] >= 2)]
    assert (both_big["A available"] == 0.0).all()
    ones = sweep[(sweep["R"] == 1) & (sweep["W"] == 1)].iloc[0]
    assert ones["A available"] == 1.0 and ones["B available"] == 1.0


def test_quorum_note_matches_the_store() -> None:
    """The one line says strict quorum only when R + W > N, and R/W do not apply to CP."""
    assert "strict quorum" in quorum_note(CapSettings(store="ap", n=3, r=2, w=2))
    assert "no hinted handoff" in quorum_note(CapSettings(store="ap", n=3, r=2, w=2))
    assert "need not overlap" in quorum_note(CapSettings(store="ap", n=3, r=1, w=2))
    for store in ("cp", "raft"):
        assert "do not apply" in quorum_note(CapSettings(store=store, n=5))
        assert "3 of 5" in quorum_note(CapSettings(store=store, n=5))


def test_register_history_unwraps_siblings() -> None:
    """Siblings writes become plain values; a read of two siblings becomes Siblings."""
    run = run_settings(CapSettings(store="ap-siblings"))
    history = register_history(run.result)
    writes = [op for op in history if op.f == "write"]
    assert writes and all(isinstance(op.value, str) for op in writes)
    reads = [op.output for op in history if op.f == "read" and op.status == "ok"]
    assert all(out is None or isinstance(out, str | Siblings) for out in reads)
    assert any(isinstance(out, Siblings) and len(out.values) > 1 for out in reads)
    assert "siblings" in check(history, "register").explanation


def test_model_keeps_the_recent_runs_and_tabulates_them() -> None:
    model = CapModel()
    for seed in range(RECENT + 2):
        model.run(seed=seed)
    assert [r.number for r in model.runs] == list(range(3, RECENT + 3))
    table = model.table()
    assert len(table) == 2 * RECENT and set(table["side"]) == {"A", "B"}


def test_raft_store_forwards_to_the_leader_and_refuses_unknown_operations() -> None:
    """Any node takes a request: followers forward, the leader answers via the log."""
    result = partition_experiment("raft", 3, partition=False, partition_at=400, heal_at=800,
                                  duration=800)
    ok = [op for op in result.history.ops if op.type == "ok"]
    assert {op.process for op in ok} == {"c1", "c2", "c3"}
    sim = Simulation(RaftStoreNode, 3, seed=0)
    sim.run(until=600)
    request = sim.submit("n1", "cas", "x", (1, 2), client="c9")
    sim.run(until=700)
    fail = [op for op in sim.history.ops if op.type == "fail" and op.request_id == request.id]
    assert fail and "unknown operation 'cas'" in fail[0].value


def test_raft_store_holds_requests_until_a_leader_is_known() -> None:
    """Before the first election a request waits (etcd's Propose blocks); a node cut off
    from everyone gives up after op_timeout with "no leader"."""
    sim = Simulation(partial(RaftStoreNode, op_timeout=2000), 3, seed=0)
    early = sim.submit("n2", "write", "x", "v1", client="c2")
    sim.run(until=1000)
    assert [(op.type, op.value) for op in sim.history.ops if op.request_id == early.id] == [
        ("invoke", "v1"), ("ok", "v1")]
    alone = Simulation(partial(RaftStoreNode, op_timeout=200), 3, seed=0)
    alone.partition(["n1"], ["n2", "n3"])
    request = alone.submit("n1", "read", "x", client="c1")
    alone.run(until=400)
    done = [op for op in alone.history.ops if op.request_id == request.id and op.type != "invoke"]
    assert [(op.type, op.value) for op in done] == [("fail", "no leader")]


# -- the widget -------------------------------------------------------------------------


@pytest.fixture
def explorer() -> CapExplorer:
    return CapExplorer()


def test_explorer_starts_with_one_cp_run(explorer: CapExplorer) -> None:
    assert explorer.model.count == 1
    assert "#1 CP-ABD N=5 cut 2|3" in explorer.verdict.value
    assert "✔" in explorer.verdict.value
    assert explorer.r.disabled and explorer.w.disabled
    assert explorer.table.value.count("<tr>") == 3  # header + two sides
    assert "cl-cap" in explorer.widget._dom_classes
    assert "cl-cap-verdict" in explorer.verdict._dom_classes


def test_changing_the_store_reruns_and_redraws(explorer: CapExplorer) -> None:
    """Switch to AP: enabled R/W, a red verdict, both sides at 100 %, two runs in the chart."""
    table_before = explorer.table.value
    explorer.store.value = "ap"
    assert explorer.model.last.settings.store == "ap" and explorer.model.count == 2
    assert not explorer.r.disabled
    assert "not linearizable" in explorer.verdict.value
    assert explorer.table.value != table_before
    assert explorer.chart.value.count('data-side="A"') == 2
    assert "R + W = 2" in explorer.quorum.value


def test_partition_toggle_and_n_slider(explorer: CapExplorer) -> None:
    """Partition off: 100 % both sides; a smaller N narrows R, W and the cut to fit."""
    explorer.partition.value = False
    assert "No partition" in explorer.verdict.value
    assert [row["availability"] for row in explorer.model.last.rows()] == [1.0, 1.0]
    assert explorer.cut.disabled and explorer.partition.description == "partition off"
    explorer.partition.value = True
    explorer.store.value = "ap"
    explorer.r.value = explorer.w.value = 5
    explorer.n.value = 3
    assert (explorer.r.max, explorer.r.value, explorer.w.value) == (3, 3, 3)
    assert explorer.cut.value == 1 and explorer.cut.max == 2
    assert explorer.model.settings.n == 3 and explorer.model.settings.side_a == ("n1",)


def test_bad_seed_shows_the_error_and_restores_the_controls(explorer: CapExplorer) -> None:
    runs = explorer.model.count
    explorer.seed.value = -5
    assert "seed must be a whole number 0 or more, got -5" in explorer.error.value
    assert explorer.seed.value == 0 and explorer.model.count == runs
    explorer.seed.value = 2
    assert explorer.error.value == "" and explorer.model.settings.seed == 2


def test_plot_runs_draws_each_runs_availability_and_anomalies() -> None:
    """Left bars are the per-side availabilities, right bars the stale/lost counts."""
    import matplotlib.pyplot as plt

    from consensus_lab.widgets.cap_views import plot_runs

    model = CapModel()
    model.run(store="cp")
    model.run(store="ap", skew=True)
    fig = plot_runs(model.runs)
    left, right = fig.axes
    heights = [round(bar.get_height(), 3) for bar in left.patches]
    expected = [side(run, s)["availability"] for s in ("A", "B") for run in model.runs]
    assert heights == expected
    counts = [bar.get_height() for bar in right.patches]
    assert counts == [r.stale_reads for r in model.runs] + [r.lost_writes for r in model.runs]
    assert [t.get_text() for t in left.get_xticklabels()] == ["#1 CP-ABD", "#2 AP-LWW skew"]
    plt.close(fig)
