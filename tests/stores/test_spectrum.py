"""The consistency spectrum: the same workload on four stores (syllabus row 2).

Properties that must hold on every seed (each store keeps its promise), and
documented seeds on which a weaker store breaks a stronger model. The sweep
covers seeds 0–19 with the default settings (three clients of eight
operations, two keys, replicas 10–50 ticks apart, n1's clock 100 ticks ahead):

* sequential store not linearizable: 14 of 20 seeds, e.g. 0, 1, 2 (stale reads);
* causal store not sequential: seeds 6, 11 and 14;
* eventual store not causal: seed 16 (c2's own write loses to an older value
  stamped by n1's fast clock); it breaks writes-follow-reads on 10 seeds.

``DEFAULT_SEED`` (46) shows all three at once.
"""

from __future__ import annotations

import pytest

from consensus_lab.consistency import check_sequential
from consensus_lab.sim import ConfigError
from consensus_lab.stores import (
    SPECTRUM_STORES,
    SpectrumResult,
    spectrum_run,
    spectrum_runs,
    spectrum_workload,
)
from consensus_lab.stores.spectrum import DEFAULT_SEED, MODELS, TOO_BIG
from consensus_lab.viz.experiments import plot_spectrum, spectrum_table

SWEEP = range(20)
SESSION = ("read_your_writes", "monotonic_reads", "monotonic_writes", "writes_follow_reads")
DOCUMENTED = {  # store -> (model it breaks, seeds of the sweep on which it does)
    "sequential": ("linearizable", (0, 1, 2)),
    "causal": ("sequential", (6, 11, 14)),
    "eventual": ("causal", (16,)),
}


@pytest.fixture(scope="module")
def sweep() -> dict[tuple[str, int], SpectrumResult]:
    return {(r.store, r.seed): r for r in spectrum_runs(SWEEP)}


@pytest.fixture(scope="module")
def default_runs() -> list[SpectrumResult]:
    return spectrum_runs(DEFAULT_SEED)


# -- what every store promises, on every seed --------------------------------------------------

def test_linearizable_store_is_always_linearizable_and_never_stale(sweep: dict) -> None:
    for seed in SWEEP:
        run = sweep[("linearizable", seed)]
        assert all(run.verdicts().values()), (seed, run.verdicts())
        assert run.anomalies().stale_reads == () and run.anomalies().lost_writes == ()


def test_sequential_store_is_always_sequential_and_reads_its_writes(sweep: dict) -> None:
    for seed in SWEEP:
        verdicts = sweep[("sequential", seed)].verdicts()
        assert verdicts["sequential"] is True, seed
        assert verdicts["read_your_writes"] and verdicts["causal"], (seed, verdicts)


def test_causal_store_is_always_causal_with_every_session_guarantee(sweep: dict) -> None:
    for seed in SWEEP:
        verdicts = sweep[("causal", seed)].verdicts()
        assert verdicts["causal"], seed
        assert all(verdicts[g] for g in SESSION), (seed, verdicts)


def test_every_store_converges_after_settling(sweep: dict) -> None:
    assert all(run.converged for run in sweep.values())


@pytest.mark.parametrize("store", ["sequential", "causal", "eventual"])
def test_weaker_stores_break_the_stronger_model_on_the_documented_seeds(
        sweep: dict, store: str) -> None:
    model, seeds = DOCUMENTED[store]
    broken = [seed for seed in SWEEP if sweep[(store, seed)].verdicts()[model] is False]
    assert set(seeds) <= set(broken), (store, model, broken)


def test_sequential_store_stale_reads_are_what_breaks_linearizability(sweep: dict) -> None:
    stale = [s for s in SWEEP if sweep[("sequential", s)].anomalies().stale_reads]
    assert stale and all(not sweep[("sequential", s)].verdicts()["linearizable"] for s in stale)


# -- the picture on the default seed ------------------------------------------------------------

def test_default_seed_shows_each_store_breaking_the_next_stronger_model(
        default_runs: list[SpectrumResult]) -> None:
    held = {r.store: r.verdicts() for r in default_runs}
    strength = ("linearizable", "sequential", "causal")
    for rank, store in enumerate(SPECTRUM_STORES):
        for level, model in enumerate(strength):
            assert held[store][model] is (level >= rank), (store, model)


def test_stronger_is_slower(default_runs: list[SpectrumResult]) -> None:
    """Reads: two quorum round trips vs. local. Writes: quorum > sequencer > local."""
    table = spectrum_table(default_runs)
    assert table.loc["linearizable", "read_mean"] > 10 * table.loc["sequential", "read_mean"]
    writes = table["write_mean"]
    assert writes["linearizable"] > writes["sequential"] > 5 * writes["causal"]
    assert abs(writes["causal"] - writes["eventual"]) < 2


def test_table_shape_and_values(default_runs: list[SpectrumResult]) -> None:
    table = spectrum_table(default_runs)
    assert list(table.index) == list(SPECTRUM_STORES)
    assert list(table.columns) == ["runs", "read_mean", "read_p95", "write_mean", "write_p95",
                                   *MODELS, "stale_reads", "lost_writes", "converged"]
    assert table.loc["linearizable", "stale_reads"] == 0
    assert table.loc["sequential", "stale_reads"] >= 1
    assert set(table["linearizable"]) == {"yes", "no"}
    run = default_runs[1]
    reads = run.latencies("read")
    assert table.loc["sequential", "read_p95"] == sorted(reads)[-(len(reads) // 20) - 1]


def test_sweep_table_counts_seeds(sweep: dict) -> None:
    table = spectrum_table(list(sweep.values()))
    assert table.loc["linearizable", "linearizable"] == "20/20"
    assert table.loc["sequential", "sequential"] == "20/20"
    assert table.loc["causal", "causal"] == "20/20"
    assert table.loc["eventual", "causal"] != "20/20"
    assert (table["runs"] == 20).all()


def test_sequential_check_is_skipped_honestly_when_too_big(
        default_runs: list[SpectrumResult]) -> None:
    run = default_runs[0]
    assert run.verdicts(sequential_limit=10)["sequential"] is None
    assert spectrum_table([run], sequential_limit=10).loc["linearizable", "sequential"] == TOO_BIG
    with pytest.raises(ValueError, match="max_ops"):
        check_sequential(run.history, max_ops=10)


def test_sequential_store_reports_the_sequencers_order(default_runs: list) -> None:
    run = default_runs[1]
    log = run.sim.nodes["n1"].log
    assert run.versions == {k: [m.value for m in log if m.key == k] for k in ("x", "y")
                            if any(m.key == k for m in log)}


# -- same workload, determinism ------------------------------------------------------------------

def test_every_store_runs_the_same_scripted_workload(default_runs: list) -> None:
    """Each client sends the same operations in the same order to every store."""
    per_client = [[(op.process, op.f, op.key, op.value)
                   for op in sorted(run.history, key=lambda o: (o.process, o.call))]
                  for run in default_runs]
    assert all(ops == per_client[0] for ops in per_client)
    assert len(per_client[0]) == 24
    assert all(op.status == "ok" for run in default_runs for op in run.history)
    script = spectrum_workload(DEFAULT_SEED)
    assert [(op[1], op[2]) for op in per_client[0] if op[0] == "c1"] == [
        (s.f, s.key) for s in script["c1"]]


def test_workload_is_a_function_of_the_seed() -> None:
    first = spectrum_workload(3)
    assert first == spectrum_workload(3) and first != spectrum_workload(4)
    values = [s.value for steps in first.values() for s in steps if s.f == "write"]
    assert len(values) == len(set(values)) and all(len(s) == 8 for s in first.values())


def test_same_seed_same_trace_digest() -> None:
    for store in SPECTRUM_STORES:
        a, b = spectrum_run(store, seed=5), spectrum_run(store, seed=5)
        assert a.digest() == b.digest() and a.verdicts() == b.verdicts()
    assert spectrum_run("causal", seed=5).digest() != spectrum_run("causal", seed=6).digest()


def test_converged_is_false_when_replicas_disagree(default_runs: list) -> None:
    run = default_runs[2]
    assert run.converged
    run_copy = SpectrumResult(run.store, run.seed, run.params, run.sim, run.history,
                              {"n1": {"x": ("a",)}, "n2": {"x": ("b",)}}, run.versions)
    assert not run_copy.converged and run_copy.final() == {"x": ("a", "b")}


def test_plot_has_a_bar_per_store_and_operation(default_runs: list) -> None:
    import matplotlib

    matplotlib.use("Agg")
    fig = plot_spectrum(spectrum_table(default_runs))
    bars = [p for p in fig.axes[0].patches]
    assert len(bars) == 2 * len(SPECTRUM_STORES)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == list(SPECTRUM_STORES)


# -- bad input ----------------------------------------------------------------------------------

def test_unknown_store_names_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match="unknown store 'strong'; allowed: linearizable, "
                                          "sequential, causal, eventual"):
        spectrum_run("strong", seed=0)


@pytest.mark.parametrize(("option", "message"), [
    ({"clients": 1}, r"clients must be an int in \[2, 9\] \(one node each\), got 1"),
    ({"ops_per_client": 0}, "ops_per_client must be a positive int, got 0"),
    ({"keys": "xy"}, "keys must be a non-empty sequence of distinct keys, got 'xy'"),
    ({"keys": ("x", "x")}, "distinct keys"),
    ({"write_ratio": 1.5}, r"write_ratio must be in \[0, 1\], got 1.5"),
    ({"think": -1}, "think must be an int >= 0"),
    ({"settle": -5}, "settle must be an int >= 0, got -5"),
    ({"replica_latency": (50, 10)}, "latency max must be >= min"),
])
def test_bad_workload_settings_are_refused(option: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        spectrum_run("causal", seed=0, **option)


def test_bad_table_input(default_runs: list) -> None:
    with pytest.raises(ConfigError, match=r"options \['think'\] apply only when runs are seeds"):
        spectrum_table(default_runs, think=3)
    with pytest.raises(ConfigError, match="runs must be seeds"):
        spectrum_table([])
    with pytest.raises(ConfigError, match="runs must be seeds"):
        spectrum_table(["causal"])
    with pytest.raises(ConfigError, match="at least one seed"):
        spectrum_runs([])
