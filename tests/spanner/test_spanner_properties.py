"""Properties: external consistency holds with commit wait and honest clocks, for any seed,
ε and workload; without commit wait, or with a clock wrong by more than ε, it breaks.

Spanner (OSDI 2012) §4.1.2: commit wait ensures "s_i is less than the absolute
commit time of T_i", which, with TrueTime's bound, gives external consistency.
A failing example prints its seed; ``workload_run(config, seed=...)`` replays it.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consensus_lab.spanner import (
    SpannerConfig,
    check_external_consistency,
    find_anomaly,
    scripted_anomaly,
    workload_run,
)

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(seed=st.integers(0, 10_000), epsilon=st.integers(0, 60), clients=st.integers(1, 4),
       overlap=st.booleans(), data=st.data())
def test_commit_wait_with_honest_clocks_is_externally_consistent(
        seed: int, epsilon: int, clients: int, overlap: bool, data: st.DataObject) -> None:
    clock_error = data.draw(st.integers(0, epsilon), label="clock_error")
    config = SpannerConfig(epsilon=epsilon, overlap=overlap)
    sim = workload_run(config, seed=seed, clock_error=clock_error, txns=15, clients=clients,
                       trace=False)
    result = check_external_consistency(sim.history)
    assert result.checked == 15
    assert result.ok, f"seed {seed}: {result.explanation}"


@FAST
@given(epsilon=st.integers(5, 100), seed=st.integers(0, 1_000), overlap=st.booleans())
def test_without_commit_wait_clocks_within_epsilon_still_break_it(
        epsilon: int, seed: int, overlap: bool) -> None:
    """Leader clocks at +ε and -ε — within the bound — and no commit wait: the later write
    gets the smaller timestamp, and a snapshot at its timestamp misses the earlier one."""
    run = scripted_anomaly(epsilon, commit_wait=False, overlap=overlap, seed=seed)
    assert run.violated
    (first_key, first), (second_key, second) = run.snapshot.items()
    assert first == (None, 0) and second[0] == "second"
    assert scripted_anomaly(epsilon, commit_wait=True, overlap=overlap, seed=seed).result.ok


@FAST
@given(epsilon=st.integers(0, 60), extra=st.integers(5, 50), seed=st.integers(0, 1_000))
def test_commit_wait_cannot_save_a_clock_wrong_by_more_than_epsilon(
        epsilon: int, extra: int, seed: int) -> None:
    """TrueTime's promise is the premise: skews of ±(ε + extra) break the guarantee even
    with commit wait."""
    run = scripted_anomaly(epsilon, commit_wait=True, skew=epsilon + extra, seed=seed)
    assert run.violated, run.result


def test_random_workloads_without_commit_wait_hit_the_anomaly_reproducibly() -> None:
    found = find_anomaly(10, commit_wait=False, seeds=range(100))
    assert found is not None and not found.result.ok
    again = find_anomaly(10, commit_wait=False, seeds=[found.seed])
    assert again is not None
    assert again.sim.trace.digest() == found.sim.trace.digest()
    assert again.result.explanation == found.result.explanation
    assert find_anomaly(10, commit_wait=True, seeds=range(found.seed + 1)) is None


@pytest.mark.parametrize(("kwargs", "why"), [
    ({"clock_error": 40}, "constant skews up to 40 ms with ε = 10 ms"),
    ({"drift_ppm": 20_000, "txns": 40}, "clocks drifting 2% apart grow past ε within a run"),
])
def test_random_workloads_with_clocks_beyond_epsilon_break_it_even_with_commit_wait(
        kwargs: dict[str, int], why: str) -> None:
    epsilon = 10 if "clock_error" in kwargs else 5
    found = find_anomaly(epsilon, commit_wait=True, seeds=range(50), **kwargs)
    assert found is not None, why
    again = find_anomaly(epsilon, commit_wait=True, seeds=[found.seed], **kwargs)
    assert again is not None and again.result.explanation == found.result.explanation
