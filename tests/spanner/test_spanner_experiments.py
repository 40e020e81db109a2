"""The figures: commit latency against ε, determinism, clocks, and the Chubby table."""

from __future__ import annotations

import pytest

from consensus_lab.compare.chubby import CHUBBY, chubby_comparison
from consensus_lab.sim import ConfigError
from consensus_lab.spanner import (
    EPSILONS,
    SpannerConfig,
    clock_error_at,
    latency_row,
    latency_vs_epsilon,
    run_clients,
    scripted_anomaly,
    spanner_sim,
    workload_run,
)


@pytest.mark.parametrize("epsilon", [1, 10, 100])
def test_commit_latency_is_two_epsilon_plus_message_latency_within_ten_percent(
        epsilon: int) -> None:
    """The issue's figure; the wait itself is 2ε + 1 ticks (earliest must pass s strictly)."""
    row = latency_row(epsilon, txns=10)
    assert abs(row["ratio"] - 1) <= 0.10, row
    assert row["latency_ms"] - row["message_latency_ms"] == pytest.approx(2 * epsilon + 1,
                                                                        abs=1.0)
    assert row["overlapped_ms"] <= row["latency_ms"]


def test_overlapping_hides_the_wait_behind_replication_when_epsilon_is_small() -> None:
    """§4.2.1: with ε = 1 the 3 ms wait fits inside the majority round trip."""
    row = latency_row(1, txns=10)
    assert row["overlapped_ms"] < row["message_latency_ms"] + 1


def test_same_seed_same_run_different_seed_different_run() -> None:
    config = SpannerConfig(epsilon=5)
    digests = [workload_run(config, seed=s, txns=10).trace.digest() for s in (3, 3, 4)]
    assert digests[0] == digests[1] != digests[2]


def test_clock_errors_stay_within_the_bound_unless_told_otherwise() -> None:
    config = SpannerConfig(epsilon=5)
    sim = spanner_sim(config, seed=2)
    errors = [clock_error_at(sim, n) for n in config.node_ids]
    assert all(abs(e) <= 5 for e in errors) and len(set(errors)) > 1
    drifting = spanner_sim(config, seed=2, clock_error=0, drift_ppm=10_000)
    drifting.run(until=1_000)
    assert clock_error_at(drifting, "n1") == 10 and clock_error_at(drifting, "n4") == -10


def test_scripted_anomaly_with_commit_wait_shows_both_writes() -> None:
    run = scripted_anomaly(10, commit_wait=True)
    assert run.result.ok
    assert [value for value, _ in run.snapshot.values()] == ["first", "second"]


def test_chubby_rows_published_then_measured() -> None:
    rows = chubby_comparison(count=5)
    assert rows[0] == CHUBBY
    for row in rows[1:]:
        assert row["replicas"] == 5 and row["tolerates"] == 2  # measured: 3 down stalls
        assert 0 < row["write_ms"] < 100 and 0 < row["read_ms"] < 100


@pytest.mark.parametrize(("kwargs", "phrase"), [
    ({"clock_error": -1}, "clock_error must be an int >= 0, got -1"),
    ({"drift_ppm": 1.5}, "drift_ppm must be an int >= 0, got 1.5"),
    ({"skews": {"n9": 1}}, "skews names unknown node 'n9'"),
    ({"skews": {"n1": "fast"}}, "the skew of n1 must be an int"),
])
def test_bad_cluster_options_are_refused(kwargs: dict[str, object], phrase: str) -> None:
    with pytest.raises(ConfigError, match=phrase):
        spanner_sim(SpannerConfig(), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "phrase"), [
    ({"shards": 0}, "SpannerConfig.shards must be an int >= 1, got 0"),
    ({"replicas": "3"}, "SpannerConfig.replicas must be an int >= 1"),
    ({"epsilon": -2}, "epsilon must be an int number of ms >= 0, got -2"),
])
def test_bad_config_is_refused(kwargs: dict[str, object], phrase: str) -> None:
    with pytest.raises((ConfigError, ValueError), match=phrase):
        SpannerConfig(**kwargs)  # type: ignore[arg-type]


def test_bad_workload_and_anomaly_options_are_refused() -> None:
    config = SpannerConfig()
    with pytest.raises(ConfigError, match="clients must be an int >= 1, got 0"):
        run_clients(spanner_sim(config), config, clients=0)
    with pytest.raises(ConfigError, match="skew must be an int number of ms >= 0, got -3"):
        scripted_anomaly(10, skew=-3)


@pytest.mark.slow
def test_full_figure_every_epsilon_within_ten_percent() -> None:
    rows = latency_vs_epsilon(EPSILONS, txns=100)
    assert [r["epsilon_ms"] for r in rows] == list(EPSILONS)
    assert all(abs(r["ratio"] - 1) <= 0.10 for r in rows), rows


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20))
def test_latency_figure_holds_on_other_seeds(seed: int) -> None:
    for epsilon in (1, 100):
        assert abs(latency_row(epsilon, seed=seed, txns=30)["ratio"] - 1) <= 0.10
